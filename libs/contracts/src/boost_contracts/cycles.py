"""Quarterly cycles, computed the same way by every service.

A cycle id is `{FY}-Q{n}` where FY is the calendar year in which the fiscal year starts.
`end` is inclusive. Phases drive reminders and badges only; they never block a write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_CYCLE_RE = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Cycle:
    id: str
    fiscal_year: int
    quarter: int
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def drafting_start(self) -> date:
        return self.start - timedelta(days=14)

    @property
    def approval_due(self) -> date:
        return self.start - timedelta(days=3)

    @property
    def review(self) -> date:
        return self.start + timedelta(days=self.days // 2)

    @property
    def retro_start(self) -> date:
        return self.end - timedelta(days=7)

    @property
    def retro_end(self) -> date:
        return self.end + timedelta(days=7)

    def phases(self) -> dict[str, object]:
        return {
            "drafting": {"start": self.drafting_start.isoformat(), "end": (self.start - timedelta(days=1)).isoformat()},
            "approval_due": self.approval_due.isoformat(),
            "in_progress": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "review": self.review.isoformat(),
            "retro": {"start": self.retro_start.isoformat(), "end": self.retro_end.isoformat()},
        }

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "start": self.start.isoformat(), "end": self.end.isoformat(), "phases": self.phases()}

    def phase_on(self, day: date) -> str | None:
        """The most specific phase a day is in (for badges), or None."""
        if self.retro_start <= day <= self.retro_end:
            return "retro"
        if self.start <= day <= self.end:
            return "review" if day >= self.review else "in_progress"
        if self.approval_due <= day < self.start:
            return "approval_due"
        if self.drafting_start <= day < self.start:
            return "drafting"
        return None

    def expected_progress(self, day: date) -> float:
        """Whole days elapsed / days in the cycle, clamped to [0, 1]."""
        elapsed = (day - self.start).days
        return min(max(elapsed / self.days, 0.0), 1.0)

    def next(self) -> Cycle:
        fy, q = (self.fiscal_year, self.quarter + 1) if self.quarter < 4 else (self.fiscal_year + 1, 1)
        return _build(fy, q, self._first_month())

    def previous(self) -> Cycle:
        fy, q = (self.fiscal_year, self.quarter - 1) if self.quarter > 1 else (self.fiscal_year - 1, 4)
        return _build(fy, q, self._first_month())

    def _first_month(self) -> int:
        return (self.start.month - 3 * (self.quarter - 1) - 1) % 12 + 1


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + n
    return idx // 12, idx % 12 + 1


def _build(fiscal_year: int, quarter: int, first_month: int) -> Cycle:
    y, m = _add_months(fiscal_year, first_month, 3 * (quarter - 1))
    ny, nm = _add_months(y, m, 3)
    start = date(y, m, 1)
    end = date(ny, nm, 1) - timedelta(days=1)
    return Cycle(f"{fiscal_year}-Q{quarter}", fiscal_year, quarter, start, end)


def _check_month(first_month: int) -> None:
    if not 1 <= first_month <= 12:
        raise ValueError("first month of the fiscal year must be 1..12")


def parse_cycle(cycle_id: str, first_month: int = 1) -> Cycle:
    _check_month(first_month)
    match = _CYCLE_RE.match(cycle_id or "")
    if not match:
        raise ValueError(f"not a cycle id: {cycle_id!r} (expected e.g. 2027-Q1)")
    return _build(int(match.group(1)), int(match.group(2)), first_month)


def cycle_containing(day: date, first_month: int = 1) -> Cycle:
    _check_month(first_month)
    months_into_fy = (day.month - first_month) % 12
    fiscal_year = day.year if day.month >= first_month else day.year - 1
    return _build(fiscal_year, months_into_fy // 3 + 1, first_month)


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def current_cycle(now: datetime, timezone: str, first_month: int = 1) -> Cycle:
    return cycle_containing(local_today(now, timezone), first_month)


def next_cycle(now: datetime, timezone: str, first_month: int = 1) -> Cycle:
    return current_cycle(now, timezone, first_month).next()


def is_cycle_id(value: str) -> bool:
    return bool(_CYCLE_RE.match(value or ""))
