"""The leader's APScheduler 3.x: one date job per occurrence of the coming weeks.

Jobs are rebuilt from the calendar when this replica becomes the leader, when the org's
settings change and every hour (to move the window on). Each job runs at its occurrence's
`publish_at` (for people, before anyone's local time: see calendar.py) and has a misfire
grace that reaches to the end of its date (in UTC−12 for people, the org's for a channel),
so an occurrence missed while no scheduler ran is still published when one returns while
it is still that day for someone; the occurrence id stops it from being published twice.

With BOOST_NOW the service clock runs ahead of (or behind) the wall clock that
APScheduler uses: run times are translated by that offset."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from boost_bus import Outbox
from boost_platform.clock import Clock
from boost_platform.logging import get_logger

from .calendar import Occurrence
from .org import OrgSource
from .reminders.service import publish, published_since
from .settings import SchedulerSettings

log = get_logger("scheduler.jobs")

REBUILD_JOB = "rebuild"


class ReminderJobs:
    def __init__(self, outbox: Outbox, org: OrgSource, clock: Clock, settings: SchedulerSettings) -> None:
        self.outbox = outbox
        self.org = org
        self.clock = clock
        self.settings = settings
        self.scheduler: AsyncIOScheduler | None = None
        self._pending: dict[str, Occurrence] = {}
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def next_run_times(self) -> dict[str, datetime]:
        """Job id → next run time (service clock), for the admin calendar."""
        if not self.running or self.scheduler is None:
            return {}
        offset = self._offset()
        out: dict[str, datetime] = {}
        for job in self.scheduler.get_jobs():
            if job.id == REBUILD_JOB or job.next_run_time is None:
                continue
            occ = self._pending.get(job.id)
            # A pending job runs at its occurrence's time; a retry at the wall time plus the offset.
            out[job.id] = occ.publish_at if occ is not None and job.next_run_time <= occ.publish_at - offset + timedelta(
                seconds=1) else (job.next_run_time + offset).replace(microsecond=0)
        return out

    def _offset(self) -> timedelta:
        return self.clock.now() - datetime.now(UTC)

    async def start(self) -> None:
        """This replica leads now: read the org and schedule."""
        await self.org.load()
        await self.rebuild()

    async def stop(self) -> None:
        async with self._lock:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            self.scheduler = None
            self._pending.clear()

    async def refresh(self) -> None:
        """The hourly job: re-read the org (a missed update heals) and rebuild."""
        try:
            await self.org.fetch()
        except Exception as exc:
            log.info("okr did not answer; rebuilding from the org settings we have", error=repr(exc))
        await self.rebuild()

    async def rebuild(self) -> None:
        async with self._lock:
            cal = self.org.calendar
            tz = ZoneInfo(cal.timezone)
            now = self.clock.now()
            # An occurrence of two days ago (org-local) can still be someone's today: an org
            # in UTC+14 is a day and more ahead of UTC−12.
            since = now.astimezone(tz).date() - timedelta(days=2)
            async with self.outbox.maker() as session:
                done = set(await published_since(session, since))
            # No await from here on: the jobs are replaced in one step.
            offset = self._offset()
            if self.scheduler is not None and str(self.scheduler.timezone) != cal.timezone:
                self.scheduler.shutdown(wait=False)
                self.scheduler = None
            if self.scheduler is None:
                # Explicit timezone; coalesce; a grace of hours by default (each job sets its own).
                self.scheduler = AsyncIOScheduler(
                    timezone=tz, event_loop=asyncio.get_running_loop(),
                    job_defaults={"coalesce": True, "misfire_grace_time": 6 * 3600, "max_instances": 1})
            scheduler = self.scheduler
            scheduler.remove_all_jobs()
            self._pending.clear()
            for occ in cal.occurrences(since, since + timedelta(days=2 + self.settings.horizon_days)):
                if occ.id in done or occ.day_ends_at <= now:
                    continue
                self._pending[occ.id] = occ
                grace = max(1, int((occ.day_ends_at - occ.publish_at).total_seconds()))
                scheduler.add_job(self._fire, DateTrigger(run_date=occ.publish_at - offset, timezone=tz), id=occ.id,
                                  args=[occ.id], misfire_grace_time=grace, coalesce=True, replace_existing=True)
            scheduler.add_job(self.refresh, IntervalTrigger(minutes=self.settings.rebuild_minutes, timezone=tz),
                              id=REBUILD_JOB, replace_existing=True)
            if not scheduler.running:
                scheduler.start()
            log.info("reminder jobs rebuilt", jobs=len(self._pending), timezone=cal.timezone)

    async def _fire(self, occurrence_id: str) -> None:
        occ = self._pending.pop(occurrence_id, None)
        if occ is None:
            return
        now = self.clock.now()
        trigger = "catch_up" if now - occ.publish_at > timedelta(minutes=1) else "schedule"
        try:
            result = await publish(self.outbox, occ, now=now, trigger=trigger)
        except Exception:
            log.exception("publishing a reminder failed; retrying in 30 s", occurrence=occurrence_id)
            if self.scheduler is not None and self.scheduler.running and now < occ.day_ends_at:
                self._pending[occ.id] = occ
                self.scheduler.add_job(self._fire, DateTrigger(run_date=datetime.now(UTC) + timedelta(seconds=30)),
                                       id=occ.id, args=[occ.id], misfire_grace_time=3600, replace_existing=True)
            return
        if result.first_time:
            log.info("reminder published", occurrence=occurrence_id, trigger=trigger)
