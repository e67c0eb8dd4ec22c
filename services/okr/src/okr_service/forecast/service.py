"""Keeps each key result's forecast fit current: every check-in write (create, correct,
delete, back-fill) refits it from the key result's check-ins in the same transaction and
stores it on the row, so reads, events and the dashboard take it with the row instead of
fitting on the way out."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..calendar import Calendar
from ..models import CheckIn
from .fit import cycle_end, daily, forecast

MAX_POINTS = 500  # the latest ones read in full
SAMPLE_EVERY = 16  # beyond them (a key result fed every few minutes by a data source), every 16th by id


async def refit(session: AsyncSession, cal: Calendar, kr: Any, cycle_id: str) -> None:
    """Set `kr.forecast` from its check-ins as they stand in this transaction."""
    c = CheckIn.__table__.c
    rows = [(r.created_at, r.value) for r in (await session.execute(
        sa.select(c.created_at, c.value).where(c.key_result_id == kr.id)
        .order_by(c.created_at.desc(), c.id.desc()).limit(MAX_POINTS))).all()]
    if len(rows) == MAX_POINTS:
        # Dense history: a sample of the older check-ins too, and one point a day, so the line
        # spans the quarter rather than the last few days of a data source's readings.
        older = (await session.execute(
            sa.select(c.created_at, c.value).where(c.key_result_id == kr.id, c.created_at < rows[-1][0],
                                                   c.id % SAMPLE_EVERY == 0)
            .order_by(c.created_at.desc()).limit(MAX_POINTS * 4))).all()
        rows = daily(rows + [(r.created_at, r.value) for r in older], ZoneInfo(cal.timezone))
    fit(cal, kr, cycle_id, rows)


def fit(cal: Calendar, kr: Any, cycle_id: str, rows: list[Any]) -> None:
    """Set `kr.forecast` from its check-ins' (created_at, value), latest first: all of them,
    or the sample `refit` takes of a dense history."""
    tz = ZoneInfo(cal.timezone)
    end = cycle_end(cal.cycle(cycle_id).end, tz)
    fitted = forecast(rows, kind=kr.kind, start=kr.start, target=kr.target, end=end, tz=tz)
    kr.forecast = {**fitted.as_json(), "at": end.isoformat()} if fitted is not None else None
