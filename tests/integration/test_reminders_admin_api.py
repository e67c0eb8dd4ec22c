"""The scheduler's admin REST with okr running: the calendar with next run times, and
"run a kind now" (same occurrence id as the scheduled one, so twice still reaches each
person once), for admins only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from boost_contracts.envelope import Envelope
from boost_contracts.events import OrgData, make_event
from boost_platform.clock import OffsetClock
from scheduler_service.leader import BUCKET
from scheduler_service.settings import SchedulerSettings

from tests.support.stack import in_process, login
from tests.support.waiting import until

CLOCK = OffsetClock(datetime(2027, 1, 13, 3, 0, tzinfo=UTC) - datetime.now(UTC))  # Wednesday 12:00 in Seoul


class World:
    def __init__(self, okr: Any, scheduler: Any, events: list[Envelope], admin: dict[str, str],
                 member: dict[str, str], container: Any, nc: Any) -> None:
        self.okr, self.scheduler, self.events = okr, scheduler, events
        self.admin, self.member = admin, member
        self.container, self.nc = container, nc


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any]) -> AsyncIterator[World]:
    settings = make_settings("schedapi")
    nc = await nats.connect(settings.nats_server_url())
    events: list[Envelope] = []

    async def collect(msg: Any) -> None:
        events.append(Envelope.from_json(msg.data))

    await nc.subscribe(settings.names.events_of("scheduler"), cb=collect)
    knobs = SchedulerSettings(_env_file=None, lock_ttl_seconds=2)  # type: ignore[call-arg]
    async with in_process(settings, clock=CLOCK) as stack:
        okr = stack.okr.client
        admin = await login(okr, "admin@boost.example")
        r = await okr.post("/api/okr/users", json={"email": "member@x.example", "name": "Min Member"}, headers=admin)
        assert r.status_code == 201, r.text
        member = await login(okr, "member@x.example")
        scheduler = await stack.start("scheduler", knobs)
        yield World(okr, scheduler, events, admin, member, stack.container_of("scheduler"), nc)
    await nc.jetstream().delete_key_value(settings.names.bucket(BUCKET))
    await nc.close()


async def test_only_admins_see_and_run_the_calendar(stack: World) -> None:
    assert (await stack.scheduler.get("/api/scheduler/reminders")).status_code == 401
    r = await stack.scheduler.get("/api/scheduler/reminders", headers=stack.member)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    r = await stack.scheduler.post("/api/scheduler/reminders/weekly_check_in/run", headers=stack.member)
    assert r.status_code == 403


async def test_the_calendar_lists_each_kind_with_its_next_run_time(stack: World) -> None:
    r = await stack.scheduler.get("/api/scheduler/reminders", headers=stack.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timezone"] == "Asia/Seoul" and body["today"] == "2027-01-13" and body["leader"] is True
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["weekly_check_in"]["next_run_at"] == "2027-01-18T10:00:00+09:00"
    assert kinds["team_digest"]["next_run_at"] == "2027-01-15T16:00:00+09:00"
    assert kinds["review_mid_quarter"]["next"]["id"] == "reminder:review_mid_quarter:2027-Q1:2027-02-15"
    assert kinds["drafting_open"]["next"]["cycle"] == "2027-Q2"
    upcoming = {o["id"]: o for o in body["occurrences"]}
    friday = upcoming["reminder:team_digest:2027-Q1:2027-01-15"]
    assert friday["next_run_time"] == "2027-01-15T16:00:00+09:00" and friday["published"] is None


async def test_running_a_kind_now_publishes_todays_occurrence_and_again_only_makes_it_due(stack: World) -> None:
    first = await stack.scheduler.post("/api/scheduler/reminders/weekly_check_in/run", headers=stack.admin)
    assert first.status_code == 202, first.text
    occurrence = "reminder:weekly_check_in:2027-Q1:2027-01-13"
    assert first.json()["occurrence"]["id"] == occurrence and first.json()["first_time"] is True
    second = await stack.scheduler.post("/api/scheduler/reminders/weekly_check_in/run", headers=stack.admin)
    assert second.json()["first_time"] is False

    def both() -> list[Envelope]:
        got = [e for e in stack.events if e.data.get("occurrence_id") == occurrence]
        return got if len(got) >= 2 else []
    got = await until(both, 5, "both runs' events")
    assert got[0].id == occurrence and got[1].id.startswith(occurrence + ":now:")
    assert all(e.data["due_now"] is True for e in got)
    listed = (await stack.scheduler.get("/api/scheduler/reminders", headers=stack.admin)).json()
    recent = [o for o in listed["occurrences"] if o["id"] == occurrence]
    assert recent == [] or recent[0]["published"]["runs"] == 2  # today's, not a scheduled date


async def test_unknown_and_event_driven_kinds_are_refused(stack: World) -> None:
    assert (await stack.scheduler.post("/api/scheduler/reminders/nope/run", headers=stack.admin)).status_code == 404
    r = await stack.scheduler.post("/api/scheduler/reminders/approval_requested/run", headers=stack.admin)
    assert r.status_code == 422


async def test_an_org_change_rebuilds_the_leaders_jobs(stack: World) -> None:
    r = await stack.okr.patch("/api/okr/org", json={"reminders": {"team_digest": {"enabled": True, "time": "15:30"}},
                                                   "holidays": ["2027-01-15"]}, headers=stack.admin)
    assert r.status_code == 200, r.text

    async def rebuilt() -> Any:
        body = (await stack.scheduler.get("/api/scheduler/reminders", headers=stack.admin)).json()
        digest = next(k for k in body["kinds"] if k["kind"] == "team_digest")
        return body if digest["next_run_at"] == "2027-01-18T15:30:00+09:00" else None
    body = await until(rebuilt, 5, "the team digest's next run to move to 15:30", every=0.1)
    upcoming = {o["id"]: o for o in body["occurrences"]}
    assert upcoming["reminder:team_digest:2027-Q1:2027-01-18"]["next_run_time"] == "2027-01-18T15:30:00+09:00"
    assert "reminder:team_digest:2027-Q1:2027-01-15" not in upcoming


async def test_a_late_copy_of_an_older_org_change_does_not_undo_a_newer_one(stack: World) -> None:
    """The outbox may publish an event again (it had not yet marked it sent); a core
    subscriber then sees an old org state after the new one. The org's version decides."""
    org = stack.container.org
    current = dict(org.org)
    stale = {**current, "timezone": "Pacific/Honolulu", "version": current["version"] - 1}
    envelope = make_event("okr", "org.updated", OrgData.model_validate(stale), actor_id="service:okr")
    await stack.nc.publish(org.bus.names.event("okr", "org.updated"), envelope.to_json())
    await stack.nc.flush()
    await asyncio.sleep(0.3)
    body = (await stack.scheduler.get("/api/scheduler/reminders", headers=stack.admin)).json()
    assert body["timezone"] == "Asia/Seoul" and org.org["version"] == current["version"]
