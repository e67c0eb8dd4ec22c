"""Reads across a whole cycle or the whole org that tolerate a little lag (and may come from
a read replica): the CSV export and search."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..calendar import Calendar
from ..models import KeyResult, Objective, Team, User
from ..objectives.store import list_objectives


async def export_csv(session: AsyncSession, cal: Calendar, cycle_id: str | None) -> str:
    cycle = cal.resolve(cycle_id)
    objectives = await list_objectives(session, cal, cycle=cycle.id, team_id=None, owner_id=None, status=None)
    teams = dict((await session.execute(sa.select(Team.id, Team.name))).all())
    names = dict((await session.execute(sa.select(User.id, User.name))).all())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["cycle", "team", "objective_id", "objective", "status", "owner", "objective_progress",
                     "objective_health", "score", "key_result_id", "key_result", "kr_owner", "kind", "start", "target",
                     "current", "unit", "weight", "kr_progress", "confidence", "kr_health", "behind", "stale"])
    for obj in objectives:
        base = [cycle.id, teams.get(obj["team_id"], ""), obj["id"], _cell(obj["title"]), obj["status"],
                names.get(obj["owner_id"], ""), obj["progress"], obj["health"], obj["score"] if obj["score"] is not None else ""]
        if not obj["key_results"]:
            writer.writerow(base + [""] * 14)
        for kr in obj["key_results"]:
            writer.writerow([*base, kr["id"], _cell(kr["title"]), names.get(kr["owner_id"], ""), kr["kind"], kr["start"], kr["target"], kr["current"], kr["unit"], kr["weight"], kr["progress"], kr["confidence"] if kr["confidence"] is not None else "", kr["health"], kr["behind"], kr["stale"]])
    return out.getvalue()


def _cell(text: str) -> str:
    """Spreadsheets run cells that start with = + - @: neutralise them."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def search(session: AsyncSession, q: str, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    like = f"%{q.strip().lower()}%"
    objs = (await session.execute(
        sa.select(Objective.id, Objective.title, Objective.cycle, Objective.team_id, Objective.status)
        .where(Objective.deleted_at.is_(None), sa.func.lower(Objective.title).like(like))
        .order_by(Objective.cycle.desc(), Objective.id.desc()).limit(limit))).all()
    krs = (await session.execute(
        sa.select(KeyResult.id, KeyResult.title, KeyResult.objective_id, Objective.cycle)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.deleted_at.is_(None), Objective.deleted_at.is_(None), sa.func.lower(KeyResult.title).like(like))
        .order_by(Objective.cycle.desc(), KeyResult.id.desc()).limit(limit))).all()
    users = (await session.execute(
        sa.select(User.id, User.name, User.email, User.avatar_url)
        .where(User.active, sa.or_(sa.func.lower(User.name).like(like), User.email.like(like))).order_by(User.name).limit(limit))).all()
    teams = (await session.execute(
        sa.select(Team.id, Team.name).where(sa.func.lower(Team.name).like(like)).order_by(Team.name).limit(limit))).all()
    return {
        "objectives": [dict(r._mapping) for r in objs],
        "key_results": [dict(r._mapping) for r in krs],
        "users": [dict(r._mapping) for r in users],
        "teams": [dict(r._mapping) for r in teams],
    }
