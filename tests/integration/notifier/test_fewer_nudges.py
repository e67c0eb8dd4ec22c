"""Fewer, smarter nudges (§9) on the fake Slack: the weekly check-in names only the key results
that need one, people who are up to date hear nothing (a `skipped` / `up_to_date` row), nobody
hears more than the org's weekly cap of scheduled reminders (default 3), and event-driven
messages (a mention) still arrive. Skipped rows are listed with their reason."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from boost_contracts.envelope import Envelope

from tests.support.notifier import SLACK_IDS, Stack, notifier_stack, seed
from tests.support.waiting import until

MONDAY = date(2027, 1, 11)


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any]) -> AsyncIterator[Stack]:
    async with notifier_stack(make_settings, "ntfnudge", seeded=False) as s:
        await seed(s, max_nudges_per_week=None)  # the org keeps its default cap (3)
        await s.settle()
        yield s


async def run(stack: Stack, kind: str, cycle: str, day: date = MONDAY, **kw: Any) -> list[Any]:
    occurrence = await stack.reminder(kind, cycle, day, due_now=True, **kw)
    await until(lambda: stack.rows(occurrence_id=occurrence), 10, f"{kind} rows")
    return await stack.settle(occurrence_id=occurrence)


def posts_to(stack: Stack, who: str) -> list[dict[str, Any]]:
    assert stack.slack is not None
    return [p for p in stack.slack.posts(SLACK_IDS[who])]


async def test_weekly_check_in_names_only_stale_key_results_and_skips_people_up_to_date(stack: Stack) -> None:
    product = stack.objectives["q1_product"]
    first = product["key_results"][0]
    second = await stack.call("member", "POST", f"/api/okr/objectives/{product['id']}/key-results",
                              json={"title": "Churned accounts", "start": 0, "target": 10, "unit": ""})
    # The member checked in one of their two key results; the other person their only one.
    await stack.call("member", "POST", f"/api/okr/key-results/{first['id']}/check-ins", json={"value": 20, "confidence": 7})
    deploys = stack.objectives["q1_eng"]["key_results"][0]
    await stack.call("other", "POST", f"/api/okr/key-results/{deploys['id']}/check-ins", json={"value": 5})
    before_other = len(posts_to(stack, "other"))

    rows = await run(stack, "weekly_check_in", "2027-Q1")
    by_user = {r.user_id: r for r in rows}
    member, other = by_user[stack.user_id("member")], by_user[stack.user_id("other")]
    assert member.status == "sent" and member.link == f"/cycles/2027-Q1?kr={second['id']}"
    post = next(p for p in posts_to(stack, "member") if p["text"] == member.text)
    assert "Churned accounts" in str(post["blocks"]) and "Weekly actives" not in str(post["blocks"])
    assert "1 of your key results" in post["text"]
    # Up to date: no DM, a skipped row that says why.
    assert (other.status, other.reason) == ("skipped", "up_to_date")
    assert other.text == "Not sent: every key result is up to date."
    assert len(posts_to(stack, "other")) == before_other


async def test_a_fourth_scheduled_reminder_in_a_week_is_capped_but_a_mention_still_arrives(stack: Stack) -> None:
    other = stack.user_id("other")
    sent_before = len(posts_to(stack, "other"))
    # Three scheduled reminders this week (the skipped weekly check-in above does not count).
    for kind, cycle in (("drafting_open", "2027-Q2"), ("retro_open", "2027-Q1"), ("drafting_open", "2027-Q3")):
        rows = await run(stack, kind, cycle)
        mine = next(r for r in rows if r.user_id == other)
        assert mine.status == "sent", (kind, mine.status, mine.reason)
    assert len(posts_to(stack, "other")) == sent_before + 3

    rows = await run(stack, "retro_open", "2027-Q4")
    mine = next(r for r in rows if r.user_id == other)
    assert (mine.status, mine.reason) == ("skipped", "weekly_cap")
    assert "this week's reminders (3)" in mine.text
    assert len(posts_to(stack, "other")) == sent_before + 3  # the fourth never reached Slack

    # Event-driven messages are never capped.
    mention = Envelope(type="mention.created", source="feedback", actor_id=stack.user_id("ceo"),
                       data={"message_id": 501, "subject": f"objective:{stack.objectives['q1_eng']['id']}",
                             "user_id": other, "author_id": stack.user_id("ceo"), "body": "<@3> a look at deploys?",
                             "link": f"/objectives/{stack.objectives['q1_eng']['id']}#chat"})
    await stack.publish(mention)
    await until(lambda: stack.rows(occurrence_id=mention.id), 10, "mention rows")
    rows = await stack.settle(occurrence_id=mention.id)
    assert [(r.kind, r.status) for r in rows] == [("mentioned", "sent")]
    assert len(posts_to(stack, "other")) == sent_before + 4



async def test_skipped_rows_are_listed_with_their_reason(stack: Stack) -> None:
    admin = stack.headers["admin"]
    listed = await stack.notifier.get("/api/notifier/deliveries?status=skipped&limit=500", headers=admin)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    other = stack.user_id("other")
    reasons = {(d["kind"], d["reason"]) for d in body if d["user_id"] == other}
    assert reasons == {("weekly_check_in", "up_to_date"), ("retro_open", "weekly_cap")}
    assert all(d["status"] == "skipped" and d["reason"] in ("up_to_date", "weekly_cap") for d in body)
    # People see their own skipped rows (the bell); the summary counts them.
    mine = await stack.notifier.get("/api/notifier/deliveries?user_id=me&status=skipped", headers=await stack.as_("other"))
    assert {d["reason"] for d in mine.json()} == {"up_to_date", "weekly_cap"}
    summary = await stack.notifier.get("/api/notifier/deliveries/summary", headers=admin)
    assert summary.json()["by_status"]["skipped"] >= 2


async def test_the_cap_is_an_org_setting(stack: Stack) -> None:
    org = await stack.call("admin", "GET", "/api/okr/org")
    assert org["max_nudges_per_week"] == 3
    r = await stack.okr.call("admin", "PATCH", "/api/okr/org", json={"max_nudges_per_week": -1})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    await stack.call("admin", "PATCH", "/api/okr/org", json={"max_nudges_per_week": 5})
    # With a higher cap the same person hears a fifth reminder this week.
    rows = await run(stack, "drafting_open", "2027-Q4")
    mine = next(r for r in rows if r.user_id == stack.user_id("other"))
    assert mine.status == "sent"
    await stack.call("admin", "PATCH", "/api/okr/org", json={"max_nudges_per_week": 3})


async def test_two_occurrences_decided_at_once_never_pass_the_cap_together(stack: Stack) -> None:
    """Two replicas planning two occurrences for one person at the same moment: the second
    decision waits for the first to commit and counts its row."""
    from notifier_service.deliveries import nudges, store
    from notifier_service.messages.render import Message

    outbox, now, someone = stack.container.runtime.outbox, stack.clock.now(), 990001

    def plan(key: str) -> store.Plan:
        return store.Plan(key=f"cap-race:{key}", occurrence_id=f"cap-race:{key}", kind="drafting_open",
                          message=Message(text=key), due_at=now, user_id=someone, channel="U0RACE", timezone="Asia/Seoul")

    async with outbox.transaction() as tx:
        await store.add(tx, [plan("one"), plan("two")], now, can_send=False)
    decided, release = asyncio.Event(), asyncio.Event()

    async def decide(key: str, hold: bool) -> str | None:
        mine = plan(key)
        async with outbox.transaction() as tx:
            await nudges.apply_weekly_cap(tx.session, [mine], 3, "Asia/Seoul")
            await store.add(tx, [mine], now, can_send=False)
            if hold:
                decided.set()
                await release.wait()
        return mine.skip_reason

    first = asyncio.create_task(decide("three", hold=True))
    await decided.wait()
    second = asyncio.create_task(decide("four", hold=False))
    await asyncio.sleep(0.5)
    assert not second.done()  # waiting for its turn
    release.set()
    assert await first is None
    assert await second == "weekly_cap"
