"""Several scheduler replicas on real NATS and MariaDB: one leader (a NATS KV lock),
each occurrence published once with its deterministic id, a standby taking over when the
leader stops, and occurrences missed while no scheduler ran published the same day."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from boost_contracts.envelope import Envelope
from boost_platform.clock import OffsetClock
from boost_platform.settings import BoostSettings
from scheduler_service.leader import BUCKET
from scheduler_service.main import create_app
from scheduler_service.settings import SchedulerSettings

from conftest import running_app
from tests.support.waiting import until

KNOBS = SchedulerSettings(_env_file=None, lock_ttl_seconds=1.5)  # type: ignore[call-arg]
ORG = {"name": "Acme", "timezone": "Asia/Seoul", "fiscal_year_start_month": 1, "holidays": [], "reminders": {},
       "version": 1}


def clock_at(local_iso: str) -> OffsetClock:
    return OffsetClock(datetime.fromisoformat(local_iso).astimezone(UTC) - datetime.now(UTC))


class World:
    """okr's org query answered by a stub on the bus, and every reminder event collected."""

    def __init__(self, settings: BoostSettings, nc: Any) -> None:
        self.settings = settings
        self.nc = nc
        self.events: list[Envelope] = []

    def ids(self) -> list[str]:
        return [e.id for e in self.events]


@asynccontextmanager
async def world(make_settings: Callable[..., BoostSettings], suffix: str) -> AsyncIterator[World]:
    settings = make_settings(suffix)
    names = settings.names
    nc = await nats.connect(settings.nats_server_url())
    w = World(settings, nc)

    async def org(msg: Any) -> None:
        await msg.respond(json.dumps(ORG).encode())

    async def collect(msg: Any) -> None:
        w.events.append(Envelope.from_json(msg.data))

    await nc.subscribe(names.query("okr", "org"), cb=org)
    await nc.subscribe(names.events_of("scheduler"), cb=collect)
    try:
        yield w
    finally:
        js = nc.jetstream()
        try:
            await js.delete_key_value(names.bucket(BUCKET))
        except Exception:
            pass
        await nc.close()


def containers(apps: list[Any]) -> list[Any]:
    return [a.state.container for a in apps]


async def test_two_replicas_publish_each_occurrence_once_and_a_standby_takes_over(
        make_settings: Callable[..., BoostSettings]) -> None:
    # Monday 11 January 2027, two seconds before the weekly check-in is published: Monday
    # 10:00 in UTC+14, the first place it is Monday 10:00 (05:00 in Seoul, the org's timezone).
    clock = clock_at("2027-01-11T04:59:58+09:00")
    async with world(make_settings, "schedrep") as w, AsyncExitStack() as stack:
        apps = [create_app(w.settings, clock, KNOBS) for _ in range(2)]
        for app in apps:
            await stack.enter_async_context(running_app(app))
        await until(lambda: sum(c.leader.is_leader for c in containers(apps)) == 1)
        await until(lambda: "reminder:weekly_check_in:2027-Q1:2027-01-11" in w.ids())
        await asyncio.sleep(1.0)  # room for a double, were there one
        assert w.ids().count("reminder:weekly_check_in:2027-Q1:2027-01-11") == 1
        event = w.events[0]
        assert event.type == "reminder.due" and event.source == "scheduler"
        assert event.data["occurrence_id"] == event.id and event.data["local_time"] == "10:00"
        assert event.data["cycle"] == "2027-Q1" and event.data["date"] == "2027-01-11"
        assert sum(c.leader.is_leader for c in containers(apps)) == 1

        # The leader stops: the standby leads within the lock's TTL, and doesn't publish again.
        leader = next(a for a in apps if a.state.container.leader.is_leader)
        standby = next(a for a in apps if a is not leader)
        await leader.state.container.leader.stop()
        await until(lambda: standby.state.container.leader.is_leader, timeout=5)
        await until(lambda: standby.state.container.jobs.running, timeout=5)
        jobs = standby.state.container.jobs.next_run_times()
        assert "reminder:weekly_check_in:2027-Q1:2027-01-11" not in jobs  # published already
        assert "reminder:team_digest:2027-Q1:2027-01-15" in jobs
        # The team digest at the org's 16:00 (to a channel); next Monday's check-in at its 10:00 in UTC+14.
        assert jobs["reminder:team_digest:2027-Q1:2027-01-15"] == datetime(2027, 1, 15, 7, 0, tzinfo=UTC)
        assert jobs["reminder:weekly_check_in:2027-Q1:2027-01-18"] == datetime(2027, 1, 17, 20, 0, tzinfo=UTC)
        await asyncio.sleep(0.5)
        assert w.ids().count("reminder:weekly_check_in:2027-Q1:2027-01-11") == 1


async def test_an_occurrence_missed_while_down_is_published_when_it_returns_the_same_day(
        make_settings: Callable[..., BoostSettings]) -> None:
    # 15:00 on the Monday: nobody ran at 10:00. A restart later the same day changes nothing.
    clock = clock_at("2027-01-11T15:00:00+09:00")
    async with world(make_settings, "schedmiss") as w:
        async with running_app(create_app(w.settings, clock, KNOBS)):
            await until(lambda: "reminder:weekly_check_in:2027-Q1:2027-01-11" in w.ids())
        app = create_app(w.settings, clock, KNOBS)
        async with running_app(app):
            await until(lambda: app.state.container.jobs.running)
            await asyncio.sleep(0.5)
        assert w.ids() == ["reminder:weekly_check_in:2027-Q1:2027-01-11"]


async def test_a_missed_occurrence_is_still_published_while_it_is_that_day_somewhere(
        make_settings: Callable[..., BoostSettings]) -> None:
    # Tuesday 00:30 in Seoul is still Monday morning in the Americas: Monday's check-in goes
    # out (the notifier drops the rows of people whose Monday is over).
    async with world(make_settings, "schedwest") as w:
        app = create_app(w.settings, clock_at("2027-01-12T00:30:00+09:00"), KNOBS)
        async with running_app(app):
            await until(lambda: "reminder:weekly_check_in:2027-Q1:2027-01-11" in w.ids())
            await asyncio.sleep(0.5)
        assert w.ids() == ["reminder:weekly_check_in:2027-Q1:2027-01-11"]


# Monday is over everywhere at 12:00 UTC on Tuesday (midnight in UTC−12): 21:00 in Seoul.
@pytest.mark.parametrize("local_now", ["2027-01-12T21:00:00+09:00", "2027-01-13T09:00:00+09:00"])
async def test_yesterdays_missed_occurrence_is_not_sent_a_day_late(
        make_settings: Callable[..., BoostSettings], local_now: str) -> None:
    async with world(make_settings, "schedlate") as w:
        app = create_app(w.settings, clock_at(local_now), KNOBS)
        async with running_app(app):
            await until(lambda: app.state.container.jobs.running)
            await asyncio.sleep(0.5)
        assert w.ids() == []
