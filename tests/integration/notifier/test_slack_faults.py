"""Slack misbehaving and the notifier dying: 429s (with Retry-After) are retried until sent;
a timeout, a 5xx or a dropped connection after Slack posted is `unknown`, never re-sent;
each person hears each reminder at most once; a send interrupted by a crash is
`unknown` after the restart and never re-sent, while the rest of the batch goes out."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from tests.support.notifier import SLACK_IDS, knobs, notifier_stack
from tests.support.waiting import until

MONDAY = date(2027, 1, 11)
PEOPLE = ("lead", "member", "other", "ceo")


async def test_429s_are_retried_until_each_person_has_it_once(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfflt") as stack:
        slack = stack.slack
        assert slack is not None
        slack.fail("chat.postMessage", 429, times=3, retry_after=1)
        occurrence = await stack.reminder("drafting_open", "2027-Q2", MONDAY)
        await until(lambda: stack.rows(occurrence_id=occurrence), 10, "rows")

        async def all_sent() -> bool:
            return all(r.status == "sent" for r in await stack.rows(occurrence_id=occurrence))

        await until(all_sent, 30, "every row sent")
        rows = await stack.rows(occurrence_id=occurrence)
        texts = {r.text for r in rows}
        got = Counter(p["channel"] for p in slack.posts() if p["text"] in texts)
        assert got == Counter({SLACK_IDS[p]: 1 for p in PEOPLE})
        statuses = Counter(c.status for c in slack.calls if c.method == "chat.postMessage")
        assert statuses[429] == 3
        assert all(f.times == 0 for f in slack.faults)


async def test_slow_or_broken_answers_after_slack_posted_are_unknown_never_posted_twice(
        make_settings: Callable[..., Any]) -> None:
    """Slack records the message, then: answers after the client's timeout, answers 502, or
    drops the connection. Each person still has it exactly once; their delivery says `unknown`
    and why; the others are `sent`. An admin can then resend one deliberately (a new row)."""
    quick_timeout = knobs(slack_timeout_seconds=1.0, slack_retries=2)
    async with notifier_stack(make_settings, "ntfpostslow", notifier_knobs=quick_timeout) as stack:
        slack = stack.slack
        assert slack is not None

        def to(who: str) -> Callable[[dict[str, Any]], bool]:
            # This reminder only (a seeding message still on its way must not take the fault).
            return lambda params: params.get("channel") == SLACK_IDS[who] and "2027-Q2" in str(params.get("text"))

        slack.late("chat.postMessage", 2.5, when=to("lead"))
        slack.fail("chat.postMessage", 502, times=1, when=to("member"))
        slack.drop("chat.postMessage", when=to("other"))
        occurrence = await stack.reminder("drafting_open", "2027-Q2", MONDAY)
        await until(lambda: stack.rows(occurrence_id=occurrence), 10, "rows")

        async def finished() -> bool:
            rows = await stack.rows(occurrence_id=occurrence)
            return bool(rows) and all(r.status in ("sent", "unknown", "failed") for r in rows)

        await until(finished, 30, "every row finished")
        await asyncio.sleep(1.5)  # time for any (wrong) re-send to show up
        rows = {r.user_id: r for r in await stack.rows(occurrence_id=occurrence)}
        texts = {r.text for r in rows.values()}
        posted = Counter(p["channel"] for p in slack.posts() if p["text"] in texts)
        assert posted == Counter({SLACK_IDS[p]: 1 for p in PEOPLE})
        status = {who: rows[stack.user_id(who)].status for who in PEOPLE}
        assert status == {"lead": "unknown", "member": "unknown", "other": "unknown", "ceo": "sent"}
        assert "in time" in (rows[stack.user_id("lead")].error or "")
        assert "502" in (rows[stack.user_id("member")].error or "")
        assert "connection" in (rows[stack.user_id("other")].error or "")

        admin = await stack.as_("admin")
        listed = await stack.notifier.get("/api/notifier/deliveries", params={"status": "unknown"}, headers=admin)
        assert {d["user_id"] for d in listed.json()} == {stack.user_id(p) for p in ("lead", "member", "other")}
        assert all("may have been posted" in d["error"] for d in listed.json())

        member_row = rows[stack.user_id("member")]
        refused = await stack.notifier.post(f"/api/notifier/deliveries/{member_row.id}/resend",
                                            headers=await stack.as_("member"))
        assert refused.status_code == 403
        sent_row = rows[stack.user_id("ceo")]
        again = await stack.notifier.post(f"/api/notifier/deliveries/{sent_row.id}/resend", headers=admin)
        assert again.status_code == 409
        missing = await stack.notifier.post("/api/notifier/deliveries/999999/resend", headers=admin)
        assert missing.status_code == 404
        resent = await stack.notifier.post(f"/api/notifier/deliveries/{member_row.id}/resend", headers=admin)
        assert resent.status_code == 201, resent.text
        copy = resent.json()
        assert copy["id"] != member_row.id and copy["key"] == f"{member_row.key}:resend:1"

        async def copy_sent() -> bool:
            return any(r.id == copy["id"] and r.status == "sent" for r in await stack.rows(user_id=stack.user_id("member")))

        await until(copy_sent, 10, "the resent copy to go out")
        assert Counter(p["channel"] for p in slack.posts() if p["text"] in texts)[SLACK_IDS["member"]] == 2
        assert (await stack.rows(id=member_row.id))[0].status == "unknown"  # the original stays as it was


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
        await stack.stop("notifier")
        release.set()

        await stack.start("notifier", one_at_a_time)  # a new process: finds the row `sending`

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
