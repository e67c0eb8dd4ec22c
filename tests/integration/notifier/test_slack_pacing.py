"""Slack's rate limits per method and per channel, shared by the replicas: a 429 on
`users.list` holds the directory sync, not a reminder; a storm of 2,000 reminders sent by two
notifier replicas stays within the `chat.postMessage` limit the fake Slack enforces (it
answers 429 past it, and counts), and nobody gets one twice.

Scaled down for CI: Slack allows chat.postMessage at roughly one message a second per
channel with a workspace-wide ceiling; here the fake's workspace-wide ceiling is 100/s and
the pacer's configured rate 80/s (the same ratio holds at Slack's real numbers; only the
wall-clock time shrinks)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from notifier_service.deliveries import store
from notifier_service.deliveries.store import Plan
from notifier_service.main import create_app
from notifier_service.messages.render import render

from conftest import running_app
from services.notifier.tests.fake_slack import FakeSlack
from tests.support.notifier import NOW, PUBLIC_URL, knobs, notifier_stack
from tests.support.waiting import until

STORM = 2000
FAKE_RATE = 100.0  # chat.postMessage per second the fake accepts (token bucket, burst 10)
PACER_RATE = 80.0  # what the notifier is configured to send, all replicas together


async def test_a_429_on_users_list_does_not_delay_a_reminder(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfpace429") as stack:
        slack = stack.slack
        assert slack is not None
        slack.fail("users.list", 429, times=1, retry_after=4)
        sync = asyncio.ensure_future(stack.notifier.post("/api/notifier/directory/sync", headers=stack.headers["admin"]))
        await until(lambda: [c for c in slack.calls if c.method == "users.list" and c.status == 429], 10, "the 429")
        started = time.monotonic()
        occurrence = await stack.reminder("drafting_open", "2027-Q2", date(2027, 1, 11))
        await until(lambda: stack.rows(occurrence_id=occurrence), 10, "rows")

        async def all_sent() -> bool:
            return all(r.status == "sent" for r in await stack.rows(occurrence_id=occurrence))

        await until(all_sent, 10, "the reminder sent")
        assert time.monotonic() - started < 3.0  # not held for users.list's 4 s
        assert not sync.done()  # the sync is still waiting out its own Retry-After
        assert (await sync).status_code == 200
        assert len([c for c in slack.calls if c.method == "users.list" and c.status == 200]) >= 1


async def test_a_storm_across_two_replicas_stays_within_slacks_limit_and_posts_each_once(
        make_settings: Callable[..., Any]) -> None:
    fake = FakeSlack(rate_per_second=FAKE_RATE, burst=10, record_params=False)
    paced = knobs(send_rate=PACER_RATE, send_burst=1, senders=4, channel_interval=1.0, poll_seconds=0.1,
                  sender_ttl_seconds=5.0)
    async with notifier_stack(make_settings, "ntfstorm", fake=fake, notifier_knobs=paced, seeded=False) as stack:
        second = create_app(stack.settings, stack.clock, paced)
        async with running_app(second) as _:
            message = render("drafting_open", "en", PUBLIC_URL,
                             {"cycle": "2027-Q2", "teams": [{"id": 1, "name": "Product"}]})
            plans = [Plan(key=f"storm:user:{n}", occurrence_id="storm", kind="drafting_open", message=message,
                          due_at=NOW, user_id=n, channel=f"U{n:07d}") for n in range(STORM)]
            started = time.monotonic()
            async with stack.container.runtime.outbox.transaction() as tx:
                assert await store.add(tx, plans, stack.clock.now(), can_send=True) == STORM
            stack.container.sender.wake()
            second.state.container.sender.wake()

            async def done() -> bool:
                return sum(fake.posted.values()) >= STORM

            await until(done, 120, "the storm to be posted")
            elapsed = time.monotonic() - started
            await asyncio.sleep(1.0)
            rows = await stack.rows(occurrence_id="storm")
            by_replica = Counter(r.sender for r in rows)
        assert len(fake.posted) == STORM and set(fake.posted.values()) == {1}  # 0 duplicates
        assert {r.status for r in rows} == {"sent"}
        assert len(by_replica) == 2  # both replicas sent a share
        assert fake.rejected == 0  # never past the fake's limit: no 429 at all
        # And the pace was the configured one, not twice it (two replicas each at full rate).
        assert elapsed >= STORM / PACER_RATE * 0.9
