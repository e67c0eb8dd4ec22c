"""Progress, health and the behind/stale flags: pure functions (ARCHITECTURE.md §2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from boost_contracts.cycles import Cycle

BEHIND_MARGIN = 0.25
STALE_DAYS = 14
HEALTH_ORDER = {"off_track": 0, "at_risk": 1, "unknown": 2, "on_track": 3}


def clamp01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def kr_progress(kind: str, start: float, target: float, current: float, items_done: int = 0, items_total: int = 0) -> float:
    """clamp((current − start)/(target − start), 0, 1); booleans 0/1; milestones done/total."""
    if kind == "boolean":
        return 1.0 if current >= 0.5 else 0.0
    if kind == "milestone":
        return items_done / items_total if items_total else 0.0
    if target == start:
        return 0.0
    return clamp01((current - start) / (target - start))


def health(confidence: int | None) -> str:
    if confidence is None:
        return "unknown"
    if confidence >= 7:
        return "on_track"
    if confidence >= 4:
        return "at_risk"
    return "off_track"


def worst_health(healths: Iterable[str]) -> str:
    items = list(healths)
    if not items:
        return "unknown"
    return min(items, key=lambda h: HEALTH_ORDER[h])


def weighted_progress(parts: Iterable[tuple[float, float]]) -> float:
    """Weight-averaged progress of (progress, weight) pairs; 0 when there are none."""
    total_weight = 0.0
    acc = 0.0
    for progress, weight in parts:
        acc += progress * weight
        total_weight += weight
    return acc / total_weight if total_weight > 0 else 0.0


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


@dataclass(frozen=True)
class Moment:
    """Where we are in a cycle: drives expected progress and the flags."""

    cycle: Cycle
    today: date  # in the org timezone
    now: datetime

    @property
    def running(self) -> bool:
        return self.cycle.start <= self.today <= self.cycle.end

    @property
    def expected(self) -> float:
        return self.cycle.expected_progress(self.today)

    def behind(self, progress: float) -> bool:
        return self.today >= self.cycle.start and progress < self.expected - BEHIND_MARGIN

    def stale(self, last_check_in_at: datetime | None) -> bool:
        if not self.running:
            return False
        if last_check_in_at is None:
            return (self.today - self.cycle.start).days >= STALE_DAYS
        return self.now - last_check_in_at >= timedelta(days=STALE_DAYS)
