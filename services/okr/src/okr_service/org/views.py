"""REST for the org's settings and its cycles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..responses import Cycle, CycleInList, Org
from ..schemas import OrgPatch
from ..uow import work
from .service import calendar, get_org, org_json, update_org

router = APIRouter(prefix="/api/okr", tags=["directory"])


@router.get("/org", response_model=Org, summary="Org settings")
async def get_org_settings(actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    return org_json(await get_org(session))


@router.patch("/org", response_model=Org, summary="Change org settings (admins)")
async def patch_org(body: OrgPatch, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        org = await update_org(w.tx, w.actor, body.model_dump(exclude_unset=True, mode="json", exclude={"version", "base"}),
                               version=body.version, base=body.base)
        return org_json(org)


@router.get("/cycles", response_model=list[CycleInList], summary="Cycles around today: four back, current, two ahead")
async def cycles(actor: ActorDep, c: ContainerDep, session: SessionDep) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    cur = cal.current()
    items = [cur]
    for _ in range(4):
        items.insert(0, items[0].previous())
    items += [cur.next(), cur.next().next()]
    return [{**cy.as_json(), "phase": cy.phase_on(cal.today), "current": cy.id == cur.id} for cy in items]


@router.get("/cycles/current", response_model=Cycle, summary="This quarter (org timezone)")
async def cycle_current(actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    cy = cal.current()
    return {**cy.as_json(), "phase": cy.phase_on(cal.today), "today": cal.today.isoformat()}


@router.get("/cycles/next", response_model=Cycle, summary="Next quarter")
async def cycle_next(actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    cy = cal.next()
    return {**cy.as_json(), "phase": cy.phase_on(cal.today), "today": cal.today.isoformat()}


@router.get("/cycles/{cycle_id}", response_model=Cycle, summary="One cycle with its phases")
async def cycle(cycle_id: str, actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    cy = cal.resolve(cycle_id)
    return {**cy.as_json(), "phase": cy.phase_on(cal.today), "today": cal.today.isoformat()}
