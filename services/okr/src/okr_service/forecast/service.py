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
from .fit import cycle_end, forecast

MAX_POINTS = 1000  # the latest ones: a key result fed every few minutes by a data source has many


async def refit(session: AsyncSession, cal: Calendar, kr: Any, cycle_id: str) -> None:
    """Set `kr.forecast` from its check-ins as they stand in this transaction."""
    rows = (await session.execute(
        sa.select(CheckIn.created_at, CheckIn.value).where(CheckIn.key_result_id == kr.id)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(MAX_POINTS))).all()
    tz = ZoneInfo(cal.timezone)
    end = cycle_end(cal.cycle(cycle_id).end, tz)
    fitted = forecast([(r.created_at, r.value) for r in rows], kind=kr.kind, start=kr.start, target=kr.target,
                      end=end, tz=tz)
    kr.forecast = {**fitted.as_json(), "at": end.isoformat()} if fitted is not None else None
