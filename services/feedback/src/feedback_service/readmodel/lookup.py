"""Questions the rest of the service asks the read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from boost_contracts.cycles import Cycle, current_cycle, parse_cycle
from boost_platform.problems import invalid
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import RmKeyResult, RmObjective, RmOrg, RmTeam, RmUser


async def live_objective(session: AsyncSession, objective_id: int) -> RmObjective | None:
    obj = await session.get(RmObjective, objective_id)
    return obj if obj is not None and not obj.deleted else None


async def live_key_result(session: AsyncSession, kr_id: int) -> RmKeyResult | None:
    kr = await session.get(RmKeyResult, kr_id)
    return kr if kr is not None and not kr.deleted else None


async def live_team(session: AsyncSession, team_id: int) -> RmTeam | None:
    team = await session.get(RmTeam, team_id)
    return team if team is not None and not team.deleted else None


async def active_user(session: AsyncSession, user_id: int) -> RmUser | None:
    user = await session.get(RmUser, user_id)
    return user if user is not None and user.active else None


def owned_objective_ids(user_id: int) -> sa.Select[Any]:
    return sa.select(RmObjective.id).where(RmObjective.owner_id == user_id)


async def cycle_of(session: AsyncSession, now: datetime, cycle_id: str | None, default_timezone: str) -> Cycle:
    """`current`, `next` or an id, in the org's calendar (from okr's org events)."""
    org = await session.get(RmOrg, 1)
    timezone = org.timezone if org is not None else default_timezone
    first_month = org.fiscal_year_start_month if org is not None else 1
    if cycle_id in (None, "", "current"):
        return current_cycle(now, timezone, first_month)
    if cycle_id == "next":
        return current_cycle(now, timezone, first_month).next()
    try:
        return parse_cycle(cycle_id, first_month)
    except ValueError as exc:
        raise invalid(str(exc), "cycle") from exc
