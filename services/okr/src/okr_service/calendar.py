"""Today, in the org's timezone, and the cycles around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from boost_contracts.cycles import Cycle, current_cycle, local_today, parse_cycle
from boost_platform.problems import Problem

from .domain.progress import Moment


@dataclass(frozen=True)
class Calendar:
    timezone: str
    first_month: int
    now: datetime

    @property
    def today(self) -> date:
        return local_today(self.now, self.timezone)

    def current(self) -> Cycle:
        return current_cycle(self.now, self.timezone, self.first_month)

    def next(self) -> Cycle:
        return self.current().next()

    def cycle(self, cycle_id: str) -> Cycle:
        try:
            return parse_cycle(cycle_id, self.first_month)
        except ValueError as exc:
            raise Problem(422, str(exc), errors=[{"loc": ["cycle"], "msg": str(exc), "type": "value_error"}]) from exc

    def resolve(self, cycle_id: str | None) -> Cycle:
        """`current`, `next`, an id, or None (current)."""
        if cycle_id in (None, "", "current"):
            return self.current()
        if cycle_id == "next":
            return self.next()
        return self.cycle(cycle_id)

    def moment(self, cycle: Cycle) -> Moment:
        return Moment(cycle=cycle, today=self.today, now=self.now)

    def started(self, cycle: Cycle) -> bool:
        return self.today >= cycle.start
