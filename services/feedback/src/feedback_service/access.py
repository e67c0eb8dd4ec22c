"""Who is calling, from the read model (role and teams), and the few rules that use it.

Everyone in the org reads all feedback and every thread. Writes: see the services; each
starts with `require_writer`: guests (okr's org role `guest`, carried in its user events
to the read model) read everything and write nothing: no feedback, retros, messages or reactions."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from boost_platform.people import Roles
from boost_platform.problems import Problem
from sqlalchemy.ext.asyncio import AsyncSession

from .models import RmMembership, RmUser


@dataclass(frozen=True)
class Actor(Roles):
    """The caller (`Roles`: admin, guest, `require_writer`, teams)."""

    user_id: int
    role: str = "member"  # admin | member | guest (okr's org role)
    teams: dict[int, str] = field(default_factory=dict)  # team_id → member|lead


async def load_actor(session: AsyncSession, user_id: int) -> Actor:
    # One round trip on every request: the person and their teams together.
    rows = (await session.execute(
        sa.select(RmUser.role, RmUser.active, RmMembership.team_id, RmMembership.role.label("team_role"))
        .outerjoin(RmMembership, RmMembership.user_id == RmUser.id)
        .where(RmUser.id == user_id)
    )).all()
    if not rows:
        # The token is valid (okr signed it) but okr's user.created has not reached us yet.
        raise Problem(503, "Boost is still learning about your account; try again in a moment.",
                      title="Service Unavailable", headers={"Retry-After": "1"})
    if not rows[0].active:
        raise Problem(401, "Your account is not active; sign in again.")
    teams = {r.team_id: r.team_role for r in rows if r.team_id is not None}
    return Actor(user_id=user_id, role=rows[0].role, teams=teams)
