"""REST for check-ins (thin: parse, call, render)."""

from __future__ import annotations

from typing import Annotated, Any

from boost_platform.ids import PathId
from fastapi import APIRouter, Query, Response

from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..objectives.live import FullPath
from ..org.service import calendar_of
from ..responses import (
    CheckIn,
    CheckInRecorded,
)
from ..schemas import (
    CheckInCreate,
    CheckInPatch,
)
from ..serialize import check_in_json
from ..uow import work
from . import live, service

router = APIRouter(prefix="/api/okr", tags=["objectives"])
CycleQ = Annotated[str | None, Query(max_length=16, description="a cycle id such as 2027-Q1, or current / next")]


@router.post("/key-results/{kr_id}/check-ins", response_model=CheckInRecorded, status_code=201, summary="Record progress (one click)")
async def create_check_in(kr_id: PathId, body: CheckInCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    if live.takes(body):
        cal = await calendar_of(c.runtime.maker, c.runtime.clock)
        try:
            async with c.runtime.outbox.batch_transaction() as tx:
                return service.recorded(tx, await live.check_in(tx, principal.user_id, cal, kr_id, body))
        except FullPath:
            pass  # rolled back: the full path below
    async with work(c, principal.user_id) as w:
        ci = await service.check_in(w.tx, w.actor, w.cal, kr_id, value=body.value, confidence=body.confidence,
                                    note=body.note, item_id=body.item_id, done=body.done, created_at=body.created_at)
        return service.recorded(w.tx, ci)


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
