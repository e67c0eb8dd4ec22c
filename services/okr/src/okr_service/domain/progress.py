"""Progress, health and the behind/stale flags: pure functions (ARCHITECTURE.md §2).

The numbers come from `boost_contracts.rules` (rules.json), which the web app reads too;
okr is where these figures are decided, and it puts them in every entity and event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from boost_contracts.cycles import Cycle
from boost_contracts.rules import RULES

BEHIND_MARGIN = RULES.behind_margin
STALE_DAYS = RULES.stale_days
HEALTH_ORDER = {name: rank for rank, name in enumerate(RULES.health_worst_first)}
# A yes/no key result is done or not: it is never "behind" a straight line to its target.
BEHIND_KINDS = frozenset(RULES.behind_kinds)


def clamp01(x: float) -> float:
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def kr_progress(kind: str, start: float, target: float, current: float, items_done: int = 0, items_total: int = 0) -> float:
    """clamp((current − start)/(target − start), 0, 1); booleans 0/1; milestones done/total."""
    if kind == "boolean":
        return 1.0 if current >= RULES.boolean_done_from else 0.0
    if kind == "milestone":
        return items_done / items_total if items_total else 0.0
    if target == start:
        return 0.0
    return clamp01((current - start) / (target - start))


def health(confidence: int | None) -> str:
    if confidence is None:
        return "unknown"
    if confidence >= RULES.on_track_from:
        return "on_track"
    if confidence >= RULES.at_risk_from:
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

    @cached_property
    def behind_below(self) -> float:
        """Progress under which a key result is behind (−1: nothing is, before the start)."""
        return self.expected - BEHIND_MARGIN if self.today >= self.cycle.start else -1.0

    @cached_property
    def stale_before(self) -> datetime:
        return self.now - timedelta(days=STALE_DAYS)

    @cached_property
    def stale_if_never(self) -> bool:
        """Whether a key result never checked in is stale (the cycle runs and is old enough)."""
        return self.running and (self.today - self.cycle.start).days >= STALE_DAYS

    def behind(self, progress: float, kind: str) -> bool:
        return kind in BEHIND_KINDS and progress < self.behind_below

    def stale(self, last_check_in_at: datetime | None) -> bool:
        if not self.running:
            return False
        if last_check_in_at is None:
            return self.stale_if_never
        return last_check_in_at <= self.stale_before
