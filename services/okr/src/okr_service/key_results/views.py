"""REST for key results (thin: parse, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from boost_platform.ids import PathId
from fastapi import APIRouter, Query, Response

from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..objectives import store
from ..org.service import calendar
from ..responses import (
    KeyResult,
    KeyResultEdited,
    KeyResultInList,
)
from ..schemas import (
    KeyResultCreate,
    KeyResultPatch,
)
from ..uow import work
from . import service

router = APIRouter(prefix="/api/okr", tags=["objectives"])
CycleQ = Annotated[str | None, Query(max_length=16, description="a cycle id such as 2027-Q1, or current / next")]


@router.get("/key-results", response_model=list[KeyResultInList], summary="Key results, e.g. mine this quarter (owner_id=me)")
async def list_key_results(actor: ActorDep, c: ContainerDep, session: SessionDep,
                           owner_id: Annotated[str | None, Query(max_length=20, pattern=r"^(me|\d+)$")] = None,
                           cycle: CycleQ = None) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    owner = actor.user_id if owner_id == "me" else int(owner_id) if owner_id else None
    return await service.list_krs(session, cal, owner_id=owner, cycle=cycle)


@router.post("/objectives/{objective_id}/key-results", response_model=KeyResult, status_code=201, summary="Add a key result")
async def create_kr(objective_id: PathId, body: KeyResultCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        kr = await service.create_kr(w.tx, w.actor, w.cal, objective_id, body.model_dump())
        return (await store.kr_view(w.tx.session, w.cal, kr)).model_dump(mode="json")


@router.get("/key-results/{kr_id}", response_model=KeyResult, summary="One key result")
async def get_kr(kr_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    kr = await store.get_kr(session, kr_id, deleted=True)
    return (await store.kr_view(session, cal, kr)).model_dump(mode="json")


@router.patch("/key-results/{kr_id}", response_model=KeyResultEdited, summary="Change fields (per-field versions)")
async def patch_kr(kr_id: PathId, body: KeyResultPatch, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        result = await service.update_kr(w.tx, w.actor, w.cal, kr_id, body.changes(), body.version, body.base)
        return {**result.body, "merged": result.merged}


@router.delete("/key-results/{kr_id}", status_code=204, response_class=Response, summary="Delete (restorable)")
async def delete_kr(kr_id: PathId, principal: PrincipalDep, c: ContainerDep) -> Response:
    async with work(c, principal.user_id) as w:
        await service.delete_kr(w.tx, w.actor, w.cal, kr_id)
    return Response(status_code=204)


@router.post("/key-results/{kr_id}/restore", response_model=KeyResult, summary="Undo a key result's delete")
async def restore_kr(kr_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        kr = await service.restore_kr(w.tx, w.actor, w.cal, kr_id)
        return (await store.kr_view(w.tx.session, w.cal, kr)).model_dump(mode="json")
