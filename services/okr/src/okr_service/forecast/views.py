"""REST for calibration (§9)."""

from __future__ import annotations

from typing import Any

from boost_platform.ids import PathId
from fastapi import APIRouter

from ..deps import ActorDep, ContainerDep, SessionDep
from ..org.service import calendar
from ..responses import CalibrationCycle
from .calibration import calibration

router = APIRouter(prefix="/api/okr", tags=["people"])


@router.get("/people/{user_id}/calibration", response_model=list[CalibrationCycle],
            summary="Past quarters: mean confidence at mid-quarter beside the progress reached")
async def person_calibration(user_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    return await calibration(session, cal, user_id)
