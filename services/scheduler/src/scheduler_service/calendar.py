"""The reminder calendar of contract §6, as a pure function of the org's settings.

Dates come from the shared cycle function (`boost_contracts.cycles`); each kind has a
default local time (and weekday for the weekly kinds) that the org may override; an
occurrence falling on a day off (a Saturday, a Sunday or an org holiday) moves to the next
working day. One occurrence per kind and org-local date, with the deterministic id
`reminder:{kind}:{cycle}:{date}` that keeps replicas, restarts and misfires from doubling it.

When it is published: each person hears a reminder at the kind's time on that date in
their *own* timezone, and the notifier holds each person's row until then. So an
occurrence for people is published when that date's kind-time comes in the earliest
timezone on Earth (UTC+14, Kiribati's Line Islands): from then on, each person's moment is
still ahead of them, wherever they live — the org's own 10:00 would come too late for
everyone east of the org. It can be published until that date has ended in the latest
timezone (UTC−12); after that it is nobody's day any more. A team digest goes to the
team's channel at the org's time, so it is published then (and its counts are as of then)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from boost_contracts.cycles import Cycle, cycle_containing

MONDAY, FRIDAY, SATURDAY = 0, 4, 5
# The first and the last place on Earth where a given date and time happen.
EARLIEST_ZONE = timezone(timedelta(hours=14))
LATEST_ZONE = timezone(timedelta(hours=-12))


@dataclass(frozen=True)
class KindRule:
    kind: str
    local_time: str  # "HH:MM"
    weekday: int | None = None  # weekly kinds only; 0 = Monday
    # Which cycle a run on an arbitrary day belongs to ("next" for the drafting kinds).
    cycle: str = "current"
    # "people": each hears it at their own local time; "channels": a team channel, at the org's.
    audience: str = "people"

    @property
    def weekly(self) -> bool:
        return self.weekday is not None


# The time-driven kinds (the others are sent on events: approvals, feedback, mentions).
RULES: dict[str, KindRule] = {
    "drafting_open": KindRule("drafting_open", "10:00", cycle="next"),
    "approval_due": KindRule("approval_due", "10:00", cycle="next"),
    "weekly_check_in": KindRule("weekly_check_in", "10:00", weekday=MONDAY),
    "review_mid_quarter": KindRule("review_mid_quarter", "10:00"),
    "retro_open": KindRule("retro_open", "10:00"),
    "team_digest": KindRule("team_digest", "16:00", weekday=FRIDAY, audience="channels"),
}
SCHEDULED_KINDS: tuple[str, ...] = tuple(RULES)


def occurrence_id(kind: str, cycle: str, day: date) -> str:
    return f"reminder:{kind}:{cycle}:{day.isoformat()}"


@dataclass(frozen=True)
class Occurrence:
    kind: str
    cycle: str
    date: date  # org-local, after any holiday move
    local_time: str
    timezone: str
    nominal_date: dt.date | None = None  # before a move off a day off (None when not moved)
    audience: str = "people"

    @property
    def id(self) -> str:
        return occurrence_id(self.kind, self.cycle, self.date)

    @property
    def run_at(self) -> datetime:
        """When it is due in the org's timezone (aware)."""
        return datetime.combine(self.date, parse_hhmm(self.local_time), ZoneInfo(self.timezone))

    @property
    def publish_at(self) -> datetime:
        """When the scheduler publishes it (see the module's docstring): for people, the kind's
        time on its date in UTC+14, before anyone's own; for a channel, the org's time."""
        if self.audience == "channels":
            return self.run_at
        return datetime.combine(self.date, parse_hhmm(self.local_time), EARLIEST_ZONE)

    @property
    def day_ends_at(self) -> datetime:
        """After this its date is over for everyone it is for (for people, in UTC−12; for a
        channel, in the org's timezone): a missed occurrence is no longer published."""
        tz = ZoneInfo(self.timezone) if self.audience == "channels" else LATEST_ZONE
        return datetime.combine(self.date + timedelta(days=1), time(0), tz)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "cycle": self.cycle, "date": self.date.isoformat(),
                "local_time": self.local_time, "run_at": self.run_at.isoformat(),
                "moved_from": self.nominal_date.isoformat() if self.nominal_date else None}


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _valid_hhmm(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_hhmm(value)
    except ValueError:
        return None
    return f"{parsed.hour:02d}:{parsed.minute:02d}"


@dataclass(frozen=True)
class ResolvedRule:
    """A kind's rule after the org's override."""

    kind: str
    enabled: bool
    local_time: str
    weekday: int | None
    cycle: str
    audience: str


@dataclass(frozen=True)
class OrgCalendar:
    timezone: str = "Asia/Seoul"
    first_month: int = 1
    holidays: frozenset[date] = frozenset()
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_org(cls, org: Mapping[str, Any]) -> OrgCalendar:
        """From okr's org settings (`okr.query.org` or `okr.events.org.updated` data)."""
        holidays = frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in org.get("holidays") or [])
        overrides = {k: dict(v) if isinstance(v, Mapping) else v.model_dump() for k, v in (org.get("reminders") or {}).items()}
        return cls(timezone=org.get("timezone") or "Asia/Seoul", first_month=int(org.get("fiscal_year_start_month") or 1),
                   holidays=holidays, overrides=overrides)

    # ------------------------------------------------------------------ rules
    def rule(self, kind: str) -> ResolvedRule:
        base = RULES[kind]
        override = self.overrides.get(kind) or {}
        weekday = base.weekday
        if base.weekly and isinstance(override.get("weekday"), int) and 0 <= override["weekday"] <= 6:
            weekday = override["weekday"]
        return ResolvedRule(kind=kind, enabled=override.get("enabled", True) is not False,
                            local_time=_valid_hhmm(override.get("time")) or base.local_time, weekday=weekday,
                            cycle=base.cycle, audience=base.audience)

    # ------------------------------------------------------------------ dates
    def shift(self, day: date, *, weekend_chosen: bool = False) -> date:
        """A day off (a weekend day or a holiday) moves to the next working day. A weekly kind
        the org put on a weekend day on purpose keeps it (only a holiday moves it)."""
        while day in self.holidays or (day.weekday() >= SATURDAY and not weekend_chosen):
            day += timedelta(days=1)
            weekend_chosen = False  # a move lands on a working day
        return day

    def nominal_dates(self, kind: str, cycle: Cycle) -> list[date]:
        """The kind's dates for a cycle before holidays move them (contract §6)."""
        rule = self.rule(kind)
        if kind == "drafting_open":
            return [cycle.drafting_start]
        if kind == "approval_due":
            return [cycle.approval_due - timedelta(days=2)]
        if kind == "review_mid_quarter":
            return [cycle.review]
        if kind == "retro_open":
            return [cycle.retro_start]
        assert rule.weekday is not None  # weekly kinds, during in_progress
        first = cycle.start + timedelta(days=(rule.weekday - cycle.start.weekday()) % 7)
        return [first + timedelta(weeks=n) for n in range((cycle.end - first).days // 7 + 1)]

    def cycles_around(self, start: date, end: date) -> Iterable[Cycle]:
        # A cycle's occurrences lie within [start - 14 days, end] (plus holiday moves).
        cycle = cycle_containing(start, self.first_month).previous()
        last = cycle_containing(end + timedelta(days=31), self.first_month)
        while cycle.start <= last.start:
            yield cycle
            cycle = cycle.next()

    def occurrences(self, start: date, end: date, kinds: Iterable[str] = SCHEDULED_KINDS) -> list[Occurrence]:
        """Every occurrence with an org-local date in [start, end], in time order."""
        out: dict[str, Occurrence] = {}
        for cycle in self.cycles_around(start, end):
            for kind in kinds:
                rule = self.rule(kind)
                if not rule.enabled:
                    continue
                weekend_chosen = rule.weekday is not None and rule.weekday >= SATURDAY
                for nominal in self.nominal_dates(kind, cycle):
                    day = self.shift(nominal, weekend_chosen=weekend_chosen)
                    if start <= day <= end:
                        occ = Occurrence(kind, cycle.id, day, rule.local_time, self.timezone,
                                         nominal if nominal != day else None, rule.audience)
                        out.setdefault(occ.id, occ)  # days off in a row can land two on one day
        return sorted(out.values(), key=lambda o: (o.run_at, o.kind))

    def next_occurrence(self, kind: str, now: datetime, horizon_days: int = 400) -> Occurrence | None:
        """The first occurrence of a kind still due today or later (its run time not yet past,
        or today's when it is today and not yet sent)."""
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        for occ in self.occurrences(today, today + timedelta(days=horizon_days), [kind]):
            if occ.run_at >= now or occ.date == today:
                return occ
        return None

    def occurrence_for_run(self, kind: str, now: datetime) -> Occurrence:
        """Today's occurrence of a kind, for `POST /reminders/{kind}/run`: the scheduled one when
        today has one (same id), else one for today in the cycle the kind is about."""
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        rule = self.rule(kind)
        for occ in self.occurrences(today, today, [kind]) if rule.enabled else []:
            return occ
        current = cycle_containing(today, self.first_month)
        if rule.cycle == "next":
            cycle = current.next()
        elif kind == "retro_open" and today <= current.start + timedelta(days=6):
            cycle = current.previous()  # retro runs until 7 days after the end
        else:
            cycle = current
        return Occurrence(kind, cycle.id, today, rule.local_time, self.timezone, audience=rule.audience)
