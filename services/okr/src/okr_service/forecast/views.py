"""REST for calibration (§9)."""

from __future__ import annotations

from typing import Any

from boost_platform.ids import PathId
from boost_platform.problems import Problem
from fastapi import APIRouter, Request

from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..org.service import calendar
from ..responses import CalibrationCycle, CheckInImportResult
from ..uow import work
from .backfill import import_check_ins
from .calibration import calibration

router = APIRouter(prefix="/api/okr", tags=["people"])


@router.get("/people/{user_id}/calibration", response_model=list[CalibrationCycle],
            summary="Past quarters: mean confidence at mid-quarter beside the progress reached")
async def person_calibration(user_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    return await calibration(session, cal, user_id)


@router.post("/check-ins/import", response_model=CheckInImportResult, tags=["objectives"],
             summary="Back-fill check-ins from a CSV (admins): all or nothing, with per-row errors",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}})
async def import_csv(request: Request, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        raise Problem(422, "Send the CSV as the request body (text/csv).")
    async with work(c, principal.user_id) as w:
        return await import_check_ins(w.tx, w.actor, w.cal, raw)
