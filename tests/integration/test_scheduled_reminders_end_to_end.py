"""The whole reminder path on real NATS and MariaDB: two scheduler replicas, okr, the
notifier and the fake Slack. The weekly check-in is published ahead of Monday 10:00 and
held until then; at Monday 10:00 in Seoul it reaches the owners of stale key results
exactly once; running it again from the admin API changes nothing for them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from scheduler_service.leader import BUCKET
from scheduler_service.main import create_app as create_scheduler
from scheduler_service.settings import SchedulerSettings

from conftest import running_app
from tests.support.notifier import SLACK_IDS, notifier_stack
from tests.support.waiting import until

OCCURRENCE = "reminder:weekly_check_in:2027-Q1:2027-01-11"


async def test_two_schedulers_one_weekly_check_in_each_owner_once(make_settings: Callable[..., Any]) -> None:
    # Seeded at 04:59:58 in Seoul, just before Monday 10:00 comes in UTC+14, when the check-in
    # is published (or, were seeding slower, just after the schedulers start: the misfire
    # grace still publishes it the same day).
    now = datetime(2027, 1, 10, 19, 59, 58, tzinfo=UTC)
    async with notifier_stack(make_settings, "ntfe2e", now=now) as stack, AsyncExitStack() as schedulers:
        assert stack.slack is not None
        knobs = SchedulerSettings(_env_file=None, lock_ttl_seconds=2)  # type: ignore[call-arg]
        apps = [create_scheduler(stack.settings, stack.clock, knobs) for _ in range(2)]
        for app in apps:
            await schedulers.enter_async_context(running_app(app))
        schedulers.push_async_callback(lambda: stack.nc.jetstream().delete_key_value(
            stack.settings.names.bucket(BUCKET)))
        await until(lambda: sum(a.state.container.leader.is_leader for a in apps) == 1, 10, "a leader")
        rows = await until(lambda: stack.rows(occurrence_id=OCCURRENCE), 20, "the occurrence")
        rows = await stack.settle(occurrence_id=OCCURRENCE)
        assert {r.user_id for r in rows} == {stack.user_id("member"), stack.user_id("other")}
        # Held until 10:00 in Seoul; then sent.
        assert {(r.status, r.due_at) for r in rows} == {("scheduled", datetime(2027, 1, 11, 1, 0, tzinfo=UTC))}
        assert not [p for p in stack.slack.posts() if p["text"] in {r.text for r in rows}]
        stack.clock.offset += datetime(2027, 1, 11, 1, 0, tzinfo=UTC) - stack.clock.now()
        rows = await until(lambda: _all_sent(stack), 10, "the 10:00 sends")
        assert {r.user_id for r in rows} == {stack.user_id("member"), stack.user_id("other")}
        texts = {r.text for r in rows}

        def sent() -> Counter[str]:
            return Counter(p["channel"] for p in stack.slack.posts() if p["text"] in texts)  # type: ignore[union-attr]

        assert sent() == Counter({SLACK_IDS["member"]: 1, SLACK_IDS["other"]: 1})

        # An admin runs it again, twice, on either replica: same occurrence id, nobody hears it twice.
        admin = stack.headers["admin"]
        for app in apps:
            async with _client(app) as client:
                r = await client.post("/api/scheduler/reminders/weekly_check_in/run", headers=admin)
                assert r.status_code == 202, r.text
                assert r.json()["occurrence"]["id"] == OCCURRENCE and r.json()["first_time"] is False
        await asyncio.sleep(1.0)
        await stack.settle(occurrence_id=OCCURRENCE)
        assert sent() == Counter({SLACK_IDS["member"]: 1, SLACK_IDS["other"]: 1})
        assert len(await stack.rows(occurrence_id=OCCURRENCE)) == 2


async def _all_sent(stack: Any) -> list[Any]:
    rows = await stack.rows(occurrence_id=OCCURRENCE)
    return rows if rows and all(r.status == "sent" for r in rows) else []


def _client(app: Any) -> Any:
    """An httpx client on an app whose lifespan already runs."""
    import httpx

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
