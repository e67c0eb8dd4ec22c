"""REST for drafting hints (§9)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from boost_platform.ids import PathId
from fastapi import APIRouter

from ..deps import ActorDep, ContainerDep, SessionDep
from ..models import User
from ..objectives import store
from ..org.service import calendar
from ..responses import Hint
from .rules import hints

router = APIRouter(prefix="/api/okr", tags=["objectives"])


@router.get("/objectives/{objective_id}/hints", response_model=list[Hint],
            summary="Drafting hints for an objective (never blocking), in the caller's language")
async def objective_hints(objective_id: PathId, actor: ActorDep, c: ContainerDep, session: SessionDep) -> list[dict[str, Any]]:
    cal = await calendar(session, c.runtime.clock)
    obj = await store.get_objective(session, objective_id)
    view = await store.objective_view(session, cal, obj)
    locale = (await session.execute(sa.select(User.locale).where(User.id == actor.user_id))).scalar_one_or_none()
    return hints(view["key_results"], locale or "en")
