"""REST for who approves an objective (the rule itself is `okr.access.approvers_for`)."""

from __future__ import annotations

from typing import Any

from boost_platform.ids import PathId
from fastapi import APIRouter

from ..access import approvers_for
from ..deps import ActorDep, SessionDep
from ..models import Team
from ..objectives.store import get_objective
from ..responses import Approvers

router = APIRouter(prefix="/api/okr", tags=["objectives"])


@router.get("/objectives/{objective_id}/approvers", response_model=Approvers,
            summary="Who can approve this objective (the rule of okr.access.approvers_for), for the page to name them")
async def objective_approvers(objective_id: PathId, actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    obj = await get_objective(session, objective_id)
    team = await session.get(Team, obj.team_id)
    parent_id = team.parent_id if team is not None else None
    return {"objective_id": obj.id, "approvers": await approvers_for(session, obj), "parent_team_id": parent_id,
            "by": "parent_leads" if parent_id is not None else "admins"}
