"""Publishing occurrences (at most once each) and describing the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from boost_bus import Outbox
from boost_contracts.envelope import Envelope, Scope, new_event_id
from boost_contracts.events import ReminderDueData
from boost_platform.db import insert_ignore, rowcount
from sqlalchemy.ext.asyncio import AsyncSession

from ..calendar import SCHEDULED_KINDS, Occurrence, OrgCalendar
from ..models import PublishedOccurrence


@dataclass(frozen=True)
class Published:
    occurrence: Occurrence
    first_time: bool  # False: it had been published before (only a "run now" re-announces it)
    event_id: str | None


def reminder_event(occ: Occurrence, event_id: str, due_now: bool) -> Envelope:
    data = ReminderDueData(occurrence_id=occ.id, kind=occ.kind, cycle=occ.cycle, date=occ.date,  # type: ignore[arg-type]
                           local_time=occ.local_time).model_dump(mode="json")
    # `due_now`: every row of this occurrence is due at once (`POST /reminders/{kind}/run`).
    # TODO(contracts): make it a field of ReminderDueData; extra keys are ignored by parsers.
    data["due_now"] = due_now
    return Envelope(id=event_id, type="reminder.due", source="scheduler", actor_id="service:scheduler",
                    subject_id=occ.id, scope=Scope(cycle=occ.cycle), data=data)


async def publish(outbox: Outbox, occ: Occurrence, *, now: datetime, trigger: str, due_now: bool = False) -> Published:
    """Publish an occurrence through the outbox, once: the event id is the occurrence id and
    the `occurrences` row is claimed in the same transaction, so replicas, restarts and
    misfires never double it. A manual run of an occurrence already published announces it
    again under a fresh event id with `due_now` (same occurrence id: nobody hears it twice)."""
    async with outbox.transaction() as tx:
        dialect = tx.session.bind.dialect.name if tx.session.bind else "mysql"
        table = PublishedOccurrence.__table__
        result = await tx.session.execute(insert_ignore(
            table, dialect, id=occ.id, kind=occ.kind, cycle=occ.cycle, date=occ.date, local_time=occ.local_time,
            trigger=trigger, published_at=now, last_run_at=now if due_now else None, runs=1))
        if rowcount(result):
            tx.emit(reminder_event(occ, occ.id, due_now))
            return Published(occ, True, occ.id)
        if not due_now:
            return Published(occ, False, None)
        await tx.session.execute(sa.update(table).where(table.c.id == occ.id)
                                 .values(last_run_at=now, runs=table.c.runs + 1))
        event_id = f"{occ.id}:now:{new_event_id()}"
        tx.emit(reminder_event(occ, event_id, True))
        return Published(occ, False, event_id)


async def published_since(session: AsyncSession, since: date) -> dict[str, PublishedOccurrence]:
    rows = (await session.execute(sa.select(PublishedOccurrence).where(PublishedOccurrence.date >= since))).scalars()
    return {r.id: r for r in rows}


def published_json(row: PublishedOccurrence | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"published_at": row.published_at.isoformat(), "trigger": row.trigger,
            "last_run_at": row.last_run_at.isoformat() if row.last_run_at else None, "runs": row.runs}


async def describe(session: AsyncSession, cal: OrgCalendar, now: datetime, *, horizon_days: int,
                   scheduled: dict[str, datetime], leader: bool) -> dict[str, Any]:
    """The calendar: each kind's rule and next run, and the occurrences of the coming weeks."""
    today = _today(cal, now)
    published = await published_since(session, today - timedelta(days=14))
    kinds = []
    for kind in SCHEDULED_KINDS:
        rule = cal.rule(kind)
        upcoming = _upcoming(cal, kind, now, today, published) if rule.enabled else None
        kinds.append({
            "kind": kind, "enabled": rule.enabled, "local_time": rule.local_time, "weekday": rule.weekday,
            "next_run_at": upcoming.run_at.isoformat() if upcoming else None,
            "next": upcoming.as_json() if upcoming else None,
        })
    occurrences = []
    for occ in cal.occurrences(today, today + timedelta(days=horizon_days)):
        body = occ.as_json()
        body["published"] = published_json(published.get(occ.id))
        job = scheduled.get(occ.id)
        body["next_run_time"] = job.isoformat() if job else None
        occurrences.append(body)
    recent = [
        {"id": r.id, "kind": r.kind, "cycle": r.cycle, "date": r.date.isoformat(), "local_time": r.local_time,
         **(published_json(r) or {})}
        for r in sorted(published.values(), key=lambda r: r.published_at, reverse=True) if r.date < today
    ]
    return {"timezone": cal.timezone, "fiscal_year_start_month": cal.first_month,
            "holidays": sorted(d.isoformat() for d in cal.holidays), "today": today.isoformat(),
            "now": now.isoformat(), "leader": leader, "kinds": kinds, "occurrences": occurrences, "recent": recent}


def _upcoming(cal: OrgCalendar, kind: str, now: datetime, today: date,
              published: dict[str, PublishedOccurrence]) -> Occurrence | None:
    """An enabled kind's next occurrence. Published early is not done: a published occurrence
    is the next one until its org-local time has come, unless an admin ran it now."""
    nxt = cal.next_occurrence(kind, now)
    done = nxt is not None and nxt.id in published and (nxt.run_at <= now or published[nxt.id].last_run_at)
    if nxt is not None and done:
        later = cal.occurrences(nxt.date + timedelta(days=1), today + timedelta(days=400), [kind])
        return later[0] if later else None
    return nxt


def _today(cal: OrgCalendar, now: datetime) -> date:
    return now.astimezone(ZoneInfo(cal.timezone)).date()
