"""REST for objectives: create, read, edit, delete, and their state changes (approval,
closing, carry-over), each a thin adapter over its slice's service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from boost_platform.auth import Principal
from boost_platform.ids import PathId, QueryId
from boost_platform.problems import Problem
from fastapi import APIRouter, Query, Response

from ..approvals import service as approvals
from ..bootstrap import Container
from ..closing import service as closing
from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..models import Objective as Objective_
from ..org.service import calendar
from ..responses import (
    HistoryEntry,
    Objective,
    ObjectiveEdited,
)
from ..schemas import (
    Close,
    ObjectiveCreate,
    ObjectivePatch,
    RequestChanges,
)
from ..uow import work
from . import service, store

router = APIRouter(prefix="/api/okr", tags=["objectives"])
Status = Literal["draft", "submitted", "approved", "changes_requested", "closed"]
CycleQ = Annotated[str | None, Query(max_length=16, description="a cycle id such as 2027-Q1, or current / next")]


@router.get("/objectives", response_model=list[Objective], summary="Objectives with their key results")
async def list_objectives(actor: ActorDep, c: ContainerDep, session: SessionDep, cycle: CycleQ = None,
                          team_id: QueryId = None, owner_id: QueryId = None, status: Status | None = None,
                          deleted: bool = False) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    return await store.list_objectives(session, cal, cycle=cycle, team_id=team_id, owner_id=owner_id,
                                         status=status, deleted=deleted)


@router.post("/objectives", response_model=Objective, status_code=201, summary="Create an objective (a draft)")
async def create_objective(body: ObjectiveCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        payload = body.model_dump()
        obj = await service.create_objective(w.tx, w.actor, w.cal, payload)
        return await store.objective_view(w.tx.session, w.cal, obj)


@router.get("/objectives/{objective_id}", response_model=Objective, summary="One objective")
async def get_objective(objective_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    obj = await store.get_objective(session, objective_id, deleted=True)
    return await store.objective_view(session, cal, obj)


@router.patch("/objectives/{objective_id}", response_model=ObjectiveEdited, summary="Change fields (per-field versions; text merges with `base`)")
async def patch_objective(objective_id: PathId, body: ObjectivePatch, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        result = await service.update_objective(w.tx, w.actor, w.cal, objective_id, body.changes(), body.version, body.base)
        return {**result.body, "merged": result.merged}


@router.delete("/objectives/{objective_id}", status_code=204, response_class=Response, summary="Delete (restorable)")
async def delete_objective(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> Response:
    async with work(c, principal.user_id) as w:
        await service.delete_objective(w.tx, w.actor, w.cal, objective_id)
    return Response(status_code=204)


Transition = Callable[..., Awaitable[Objective_]]


async def _transition(c: Container, principal: Principal, objective_id: int, command: Transition, **kwargs: Any) -> dict[str, Any]:
    """A change of an objective's state (restore, submit, approve, …), answered with the objective."""
    async with work(c, principal.user_id) as w:
        obj = await command(w.tx, w.actor, w.cal, objective_id, **kwargs)
        return await store.objective_view(w.tx.session, w.cal, obj)


@router.post("/objectives/{objective_id}/restore", response_model=Objective, summary="Undo a delete")
async def restore(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.restore_objective)


@router.post("/objectives/{objective_id}/submit", response_model=Objective, summary="Send for approval")
async def submit(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, approvals.submit)


@router.post("/objectives/{objective_id}/approve", response_model=Objective, summary="Approve (a lead of the parent team or an admin)")
async def approve(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, approvals.approve)


@router.post("/objectives/{objective_id}/request-changes", response_model=Objective, summary="Send back with a comment")
async def request_changes(objective_id: PathId, body: RequestChanges, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, approvals.request_changes, comment=body.comment)


@router.post("/objectives/{objective_id}/close", response_model=Objective, summary="Close with a score 0.0–1.0 and a note")
async def close(objective_id: PathId, body: Close, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, closing.close, score=body.score, note=body.note)


@router.post("/objectives/{objective_id}/carry-over", response_model=Objective, status_code=201, summary="Copy into next quarter as a draft")
async def carry_over(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, closing.carry_over)


@router.get("/objectives/{objective_id}/history", response_model=list[HistoryEntry], summary="Who changed what, newest first")
async def history(objective_id: PathId, actor: ActorDep, c: ContainerDep) -> list[dict[str, Any]]:
    # Lag-tolerant: the read replica; a 404 there (created a moment ago) is asked of the primary.
    return await c.reads.read(lambda session: store.history(session, objective_id), lag_errors=(Problem,))
