"""What the scheduler's admin REST routes answer, for the OpenAPI document that the web
app's types are generated from, and for FastAPI's check of every answer."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime

from boost_contracts.events import ReminderKind
from boost_platform.responses import ResponseModel


class Occurrence(ResponseModel):
    id: str  # reminder:{kind}:{cycle}:{date}
    kind: ReminderKind
    cycle: str
    date: date  # org-local, after any move off a day off
    local_time: str  # "HH:MM"
    run_at: datetime
    moved_from: dt.date | None  # `date` is the field above


class Publication(ResponseModel):
    published_at: datetime
    trigger: str  # schedule | catch_up | manual
    last_run_at: datetime | None
    runs: int


class KindCalendar(ResponseModel):
    kind: ReminderKind
    enabled: bool
    local_time: str
    weekday: int | None  # weekly kinds; 0 = Monday
    next_run_at: datetime | None
    next: Occurrence | None


class PlannedOccurrence(Occurrence):
    published: Publication | None
    next_run_time: datetime | None  # the job scheduled for it on this replica, if any


class PastOccurrence(Publication):
    id: str
    kind: ReminderKind
    cycle: str
    date: date
    local_time: str


class ReminderCalendar(ResponseModel):
    timezone: str
    fiscal_year_start_month: int
    holidays: list[date]
    today: date
    now: datetime
    leader: bool  # this replica holds the lock and runs the jobs
    kinds: list[KindCalendar]
    occurrences: list[PlannedOccurrence]  # the coming weeks
    recent: list[PastOccurrence]  # published in the last two weeks, newest first


class ReminderRun(ResponseModel):
    occurrence: Occurrence
    event_id: str | None
    first_time: bool  # false: it had been published before (nobody hears it twice)
