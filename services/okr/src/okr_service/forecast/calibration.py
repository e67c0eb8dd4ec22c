"""Calibration (§9): for each past cycle, a person's mean confidence at mid-quarter beside
the progress their key results reached, so people learn what their "8" means."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from boost_platform.problems import not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..calendar import Calendar
from ..domain.progress import kr_progress, mean
from ..models import CheckIn, KeyResult, MilestoneItem, Objective, User


async def calibration(session: AsyncSession, cal: Calendar, user_id: int) -> list[dict[str, Any]]:
    """Newest cycle first; only cycles that have ended. A key result counts towards the
    confidence when it had one by the end of the review day (mid-quarter)."""
    if await session.get(User, user_id) is None:
        raise not_found(f"Person {user_id}")
    k, o = KeyResult.__table__.c, Objective.__table__.c
    rows = (await session.execute(
        sa.select(k.id, k.title, k.kind, k.start, k.target, k.current, o.cycle, o.id.label("objective_id"))
        .join(Objective.__table__, o.id == k.objective_id)
        .where(k.owner_id == user_id, k.deleted_at.is_(None), o.deleted_at.is_(None))
        .order_by(o.cycle.desc(), k.id))).all()
    past = [r for r in rows if cal.cycle(r.cycle).end < cal.today]
    if not past:
        return []
    ids = [r.id for r in past]
    items = await _milestone_counts(session, ids)
    confidences = await _confidences(session, ids)
    tz = ZoneInfo(cal.timezone)
    by_cycle: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in past:
        cycle = cal.cycle(r.cycle)
        mid_end = datetime.combine(cycle.review + timedelta(days=1), time(0), tzinfo=tz)  # the review day's end
        said = [conf for at, conf in confidences.get(r.id, []) if at < mid_end]
        done, total = items.get(r.id, (0, 0))
        by_cycle[r.cycle].append({
            "id": r.id, "objective_id": r.objective_id, "title": r.title,
            "mid_quarter_confidence": said[-1] if said else None,
            "progress": round(kr_progress(r.kind, r.start, r.target, r.current, done, total), 4)})
    return [_cycle_figures(cycle_id, by_cycle[cycle_id]) for cycle_id in sorted(by_cycle, reverse=True)]


def _cycle_figures(cycle_id: str, krs: list[dict[str, Any]]) -> dict[str, Any]:
    """One cycle: the mean confidence said by mid-quarter beside the mean progress reached."""
    said = [kr["mid_quarter_confidence"] for kr in krs if kr["mid_quarter_confidence"] is not None]
    return {"cycle": cycle_id, "mid_quarter_confidence": round(mean(said), 2) if said else None,
            "progress": round(mean(kr["progress"] for kr in krs), 4), "key_results": krs}


async def _milestone_counts(session: AsyncSession, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each milestone key result's items: (done, total)."""
    m = MilestoneItem.__table__.c
    return {kr_id: (int(done or 0), int(total)) for kr_id, done, total in (await session.execute(
        sa.select(m.key_result_id, sa.func.sum(sa.case((m.done, 1), else_=0)), sa.func.count())
        .where(m.key_result_id.in_(ids)).group_by(m.key_result_id))).all()}


async def _confidences(session: AsyncSession, ids: list[int]) -> dict[int, list[tuple[datetime, int]]]:
    """Each key result's confidences said, oldest first."""
    c = CheckIn.__table__.c
    confidences: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for kr_id, at, conf in (await session.execute(
            sa.select(c.key_result_id, c.created_at, c.confidence)
            .where(c.key_result_id.in_(ids), c.confidence.is_not(None)).order_by(c.created_at, c.id))).all():
        confidences[kr_id].append((at, conf))
    return confidences
