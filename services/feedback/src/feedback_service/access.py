"""Who is calling, from the read model (role and teams), and the few rules that use it.

Everyone in the org reads all feedback and every thread. Writes: see the services; each
starts with `require_writer`: guests (okr's org role `guest`, carried in its user events
to the read model) read everything and write nothing: no feedback, retros, messages or reactions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


_users, _memberships = RmUser.__table__, RmMembership.__table__
# The person and their teams (`actor_from_rows`). Built once, on the tables (Core): the ORM's
# execution path plus building the statement and its cache key on every request cost more
# than the round trip itself.
ACTOR = (sa.select(_users.c.role, _users.c.active, _memberships.c.team_id, _memberships.c.role.label("team_role"))
         .select_from(_users.outerjoin(_memberships, _memberships.c.user_id == _users.c.id))
         .where(_users.c.id == sa.bindparam("user_id")))


async def load_actor(session: AsyncSession, user_id: int) -> Actor:
    # One round trip on every request: the person and their teams together, never cached.
    conn = await session.connection()
    rows = (await conn.execute(ACTOR, {"user_id": user_id})).all()
    return actor_from_rows(user_id, [row._mapping for row in rows])


def actor_from_rows(user_id: int, rows: Sequence[Mapping[Any, Any]]) -> Actor:
    """The caller from `ACTOR`'s rows; refused when not known yet or no longer active."""
    if not rows:
        # The token is valid (okr signed it) but okr's user.created has not reached us yet.
        raise Problem(503, "Boost is still learning about your account; try again in a moment.",
                      title="Service Unavailable", headers={"Retry-After": "1"})
    if not rows[0]["active"]:
        raise Problem(401, "Your account is not active; sign in again.")
    teams = {r["team_id"]: r["team_role"] for r in rows if r["team_id"] is not None}
    return Actor(user_id=user_id, role=rows[0]["role"], teams=teams)
