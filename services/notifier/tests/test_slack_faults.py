"""Slack misbehaving and the notifier dying: 429s (with Retry-After) and 500s are retried
until sent, each person still hears each reminder once; a send interrupted by a crash is
`unknown` after the restart and never re-sent, while the rest of the batch goes out."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from services.notifier.tests.notifier_support import SLACK_IDS, knobs, notifier_stack
from tests.support.waiting import until

MONDAY = date(2027, 1, 11)
PEOPLE = ("lead", "member", "other", "ceo")


async def test_429s_and_500s_are_retried_until_each_person_has_it_once(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfflt") as stack:
        slack = stack.slack
        assert slack is not None
        slack.fail("chat.postMessage", 429, times=2, retry_after=1)
        slack.fail("chat.postMessage", 500, times=3)
        slack.fail("chat.postMessage", 503, times=1)
        occurrence = await stack.reminder("drafting_open", "2027-Q2", MONDAY)
        rows = await until(lambda: stack.rows(occurrence_id=occurrence), 10, "rows")

        async def all_sent() -> bool:
            return all(r.status == "sent" for r in await stack.rows(occurrence_id=occurrence))

        await until(all_sent, 30, "every row sent")
        rows = await stack.rows(occurrence_id=occurrence)
        texts = {r.text for r in rows}
        got = Counter(p["channel"] for p in slack.posts() if p["text"] in texts)
        assert got == Counter({SLACK_IDS[p]: 1 for p in PEOPLE})
        statuses = Counter(c.status for c in slack.calls if c.method == "chat.postMessage")
        assert statuses[429] == 2 and statuses[500] == 3 and statuses[503] == 1
        assert all(f.times == 0 for f in slack.faults)


async def test_a_restart_mid_batch_marks_the_interrupted_send_unknown_and_sends_the_rest_once(
        make_settings: Callable[..., Any]) -> None:
    one_at_a_time = knobs(senders=1)
    async with notifier_stack(make_settings, "ntfcrash", notifier_knobs=one_at_a_time) as stack:
        slack = stack.slack
        assert slack is not None
        release = slack.hold(SLACK_IDS["member"])  # Slack receives it and never answers in time
        occurrence = await stack.reminder("drafting_open", "2027-Q2", MONDAY)
        await until(lambda: SLACK_IDS["member"] in slack.held, 10, "the send to hang")
        rows = {r.user_id: r for r in await stack.rows(occurrence_id=occurrence)}
        assert rows[stack.user_id("member")].status == "sending"
        await stack.container.sender.crash()  # the process dies mid-send
        await stack.stop_notifier()
        release.set()

        await stack.start_notifier(one_at_a_time)  # a new process: finds the row `sending`

        async def finished() -> bool:
            return all(r.status in ("sent", "unknown") for r in await stack.rows(occurrence_id=occurrence))

        await until(finished, 15, "the batch to finish")
        rows = {r.user_id: r for r in await stack.rows(occurrence_id=occurrence)}
        assert rows[stack.user_id("member")].status == "unknown"
        assert {p: rows[stack.user_id(p)].status for p in ("lead", "other", "ceo")} == dict.fromkeys(
            ("lead", "other", "ceo"), "sent")
        texts = {r.text for r in rows.values()}
        attempts = Counter(c.params.get("channel") for c in slack.calls
                           if c.method == "chat.postMessage" and c.params.get("text") in texts)
        assert attempts == Counter({SLACK_IDS[p]: 1 for p in PEOPLE})  # the unknown one never again
        await asyncio.sleep(0.5)
        summary = await stack.notifier.get("/api/notifier/deliveries/summary", headers=await stack.as_("admin"))
        assert summary.json()["by_status"]["unknown"] == 1
