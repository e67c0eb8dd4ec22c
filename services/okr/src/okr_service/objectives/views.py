"""REST for objectives, key results and check-ins (thin: parse, call, render)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from boost_platform.auth import Principal
from boost_platform.ids import PathId, QueryId
from boost_platform.problems import Problem
from fastapi import APIRouter, Query, Response

from ..bootstrap import Container
from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..models import Objective as Objective_
from ..org.service import calendar
from ..responses import (
    CheckIn,
    CheckInRecorded,
    HistoryEntry,
    KeyResult,
    KeyResultEdited,
    KeyResultInList,
    Objective,
    ObjectiveEdited,
)
from ..schemas import (
    CheckInCreate,
    CheckInPatch,
    Close,
    KeyResultCreate,
    KeyResultPatch,
    ObjectiveCreate,
    ObjectivePatch,
    RequestChanges,
)
from ..serialize import check_in_json
from ..uow import work
from . import service

router = APIRouter(prefix="/api/okr", tags=["objectives"])
Status = Literal["draft", "submitted", "approved", "changes_requested", "closed"]
CycleQ = Annotated[str | None, Query(max_length=16, description="a cycle id such as 2027-Q1, or current / next")]


@router.get("/objectives", response_model=list[Objective], summary="Objectives with their key results")
async def list_objectives(actor: ActorDep, c: ContainerDep, session: SessionDep, cycle: CycleQ = None,
                          team_id: QueryId = None, owner_id: QueryId = None, status: Status | None = None,
                          deleted: bool = False) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    return await service.list_objectives(session, cal, cycle=cycle, team_id=team_id, owner_id=owner_id,
                                         status=status, deleted=deleted)


@router.post("/objectives", response_model=Objective, status_code=201, summary="Create an objective (a draft)")
async def create_objective(body: ObjectiveCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        payload = body.model_dump()
        obj = await service.create_objective(w.tx, w.actor, w.cal, payload)
        return await service.objective_view(w.tx.session, w.cal, obj)


@router.get("/objectives/{objective_id}", response_model=Objective, summary="One objective")
async def get_objective(objective_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    obj = await service.get_objective(session, objective_id, deleted=True)
    return await service.objective_view(session, cal, obj)


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
        return await service.objective_view(w.tx.session, w.cal, obj)


@router.post("/objectives/{objective_id}/restore", response_model=Objective, summary="Undo a delete")
async def restore(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.restore_objective)


@router.post("/objectives/{objective_id}/submit", response_model=Objective, summary="Send for approval")
async def submit(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.submit)


@router.post("/objectives/{objective_id}/approve", response_model=Objective, summary="Approve (a lead of the parent team or an admin)")
async def approve(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.approve)


@router.post("/objectives/{objective_id}/request-changes", response_model=Objective, summary="Send back with a comment")
async def request_changes(objective_id: PathId, body: RequestChanges, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.request_changes, comment=body.comment)


@router.post("/objectives/{objective_id}/close", response_model=Objective, summary="Close with a score 0.0–1.0 and a note")
async def close(objective_id: PathId, body: Close, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.close, score=body.score, note=body.note)


@router.post("/objectives/{objective_id}/carry-over", response_model=Objective, status_code=201, summary="Copy into next quarter as a draft")
async def carry_over(objective_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    return await _transition(c, principal, objective_id, service.carry_over)


@router.get("/objectives/{objective_id}/history", response_model=list[HistoryEntry], summary="Who changed what, newest first")
async def history(objective_id: PathId, actor: ActorDep, c: ContainerDep) -> list[dict[str, Any]]:
    # Lag-tolerant: the read replica; a 404 there (created a moment ago) is asked of the primary.
    return await c.reads.read(lambda session: service.history(session, objective_id), lag_errors=(Problem,))


# ------------------------------------------------------------------ key results


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
        return (await service.kr_view(w.tx.session, w.cal, kr)).model_dump(mode="json")


@router.get("/key-results/{kr_id}", response_model=KeyResult, summary="One key result")
async def get_kr(kr_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    cal = await calendar(session, c.runtime.clock)
    kr = await service.get_kr(session, kr_id, deleted=True)
    return (await service.kr_view(session, cal, kr)).model_dump(mode="json")


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
        return (await service.kr_view(w.tx.session, w.cal, kr)).model_dump(mode="json")


# ------------------------------------------------------------------ check-ins


@router.post("/key-results/{kr_id}/check-ins", response_model=CheckInRecorded, status_code=201, summary="Record progress (one click)")
async def create_check_in(kr_id: PathId, body: CheckInCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        ci = await service.check_in(w.tx, w.actor, w.cal, kr_id, value=body.value, confidence=body.confidence,
                                    note=body.note, item_id=body.item_id, done=body.done, created_at=body.created_at)
        kr = await service.get_kr(w.tx.session, kr_id)
        return {**check_in_json(ci), "key_result": (await service.kr_view(w.tx.session, w.cal, kr)).model_dump(mode="json")}


@router.get("/key-results/{kr_id}/check-ins", response_model=list[CheckIn], summary="A key result's history, oldest first")
async def list_check_ins(kr_id: PathId, actor: ActorDep, session: SessionDep) -> list[dict[str, Any]]:
    return await service.list_check_ins(session, kr_id)


@router.patch("/check-ins/{check_in_id}", response_model=CheckIn, summary="Correct a check-in (author within 24 h; admins)")
async def patch_check_in(check_in_id: PathId, body: CheckInPatch, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        ci = await service.update_check_in(w.tx, w.actor, w.cal, check_in_id, body.model_dump(exclude_unset=True))
        return check_in_json(ci)


@router.delete("/check-ins/{check_in_id}", status_code=204, response_class=Response, summary="Delete a check-in")
async def delete_check_in(check_in_id: PathId, principal: PrincipalDep, c: ContainerDep) -> Response:
    async with work(c, principal.user_id) as w:
        await service.delete_check_in(w.tx, w.actor, w.cal, check_in_id)
    return Response(status_code=204)
