"""Reminder occurrences and domain events reach exactly the right people, once, in their
language and at their local time, with deep links to the exact page — through okr's
targets, the delivery log and the fake Slack."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from boost_contracts.envelope import Envelope, Scope

from tests.support.notifier import PUBLIC_URL, SLACK_IDS, Stack, notifier_stack
from tests.support.waiting import until

MONDAY = date(2027, 1, 11)


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any]) -> AsyncIterator[Stack]:
    async with notifier_stack(make_settings, "ntfrem") as s:
        yield s


def links_of(params: dict[str, Any]) -> list[str]:
    return [el["url"] for block in params.get("blocks", []) if block.get("type") == "actions"
            for el in block["elements"] if el.get("url")]


async def run(stack: Stack, kind: str, cycle: str, day: date = MONDAY, **kw: Any) -> tuple[str, list[Any]]:
    assert stack.slack is not None
    occurrence = await stack.reminder(kind, cycle, day, **kw)
    await until(lambda: stack.rows(occurrence_id=occurrence), 10, f"{kind} rows")
    rows = await stack.settle(occurrence_id=occurrence)
    return occurrence, rows


def sent_to(stack: Stack, rows: list[Any]) -> Counter[str]:
    assert stack.slack is not None
    channels = {r.channel for r in rows}
    return Counter(p["channel"] for p in stack.slack.posts() if p["channel"] in channels and
                   any(p.get("text") == r.text for r in rows))


async def test_drafting_open_reaches_every_team_member_once_with_their_draft_page(stack: Stack) -> None:
    occurrence, rows = await run(stack, "drafting_open", "2027-Q2")
    who = {r.user_id: r for r in rows}
    # Everyone in a team (the admin is in none); each person once.
    assert set(who) == {stack.user_id(p) for p in ("lead", "member", "other", "ceo")}
    assert all(r.status == "sent" for r in rows) and len(rows) == 4
    assert sent_to(stack, rows) == Counter({SLACK_IDS[p]: 1 for p in ("lead", "member", "other", "ceo")})
    eng, product, root = (stack.teams[t]["id"] for t in ("engineering", "product", "root"))
    assert who[stack.user_id("other")].link == f"/cycles/2027-Q2/teams/{eng}/draft"
    assert who[stack.user_id("member")].link == f"/cycles/2027-Q2/teams/{product}/draft"
    assert who[stack.user_id("ceo")].link == f"/cycles/2027-Q2/teams/{root}/draft"
    post = next(p for p in stack.slack.posts(SLACK_IDS["member"]) if p["text"] == who[stack.user_id("member")].text)
    assert f"{PUBLIC_URL}/cycles/2027-Q2/teams/{product}/draft" in links_of(post)
    assert "Drafting for 2027-Q2 is open" in post["text"]
    # The lead reads Korean; everyone gets "Remind me tomorrow".
    assert "2027-Q2 OKR 작성이 시작되었습니다" in who[stack.user_id("lead")].text
    assert any(el.get("action_id") == "snooze" for b in post["blocks"] if b["type"] == "actions" for el in b["elements"])

    # The same occurrence again (a redelivery, a second scheduler, a "run now"): nobody hears it twice.
    before = len(stack.slack.posts())
    await stack.reminder("drafting_open", "2027-Q2", MONDAY, event_id=occurrence + ":now:again", due_now=True)
    await stack.reminder("drafting_open", "2027-Q2", MONDAY, event_id=occurrence, due_now=False)
    await stack.publish(Envelope(id=occurrence, type="reminder.due", source="scheduler",
                                 data={"occurrence_id": occurrence, "kind": "drafting_open", "cycle": "2027-Q2",
                                       "date": "2027-01-11", "local_time": "10:00"}), msg_id="past-the-dedupe-window")
    await until(lambda: stack.container.runtime.bus.is_connected)
    import asyncio

    await asyncio.sleep(1.0)
    assert len(stack.slack.posts()) == before
    assert len(await stack.rows(occurrence_id=occurrence)) == 4


async def test_approval_due_reaches_teams_with_unsubmitted_next_quarter_objectives(stack: Stack) -> None:
    _, rows = await run(stack, "approval_due", "2027-Q2")
    assert {r.user_id for r in rows} == {stack.user_id("lead"), stack.user_id("member")}  # Product only
    product = stack.teams["product"]["id"]
    assert {r.link for r in rows} == {f"/cycles/2027-Q2/teams/{product}/draft"}
    member = next(r for r in rows if r.user_id == stack.user_id("member"))
    assert "1 not submitted yet" in member.text and "Next quarter" in str(member.blocks)


async def test_weekly_check_in_reaches_owners_of_stale_krs_with_a_link_to_the_kr(stack: Stack) -> None:
    _, rows = await run(stack, "weekly_check_in", "2027-Q1")
    by_user = {r.user_id: r for r in rows}
    assert set(by_user) == {stack.user_id("member"), stack.user_id("other")}
    kr = stack.objectives["q1_product"]["key_results"][0]
    member = by_user[stack.user_id("member")]
    assert member.link == f"/cycles/2027-Q1?kr={kr['id']}"
    post = next(p for p in stack.slack.posts(SLACK_IDS["member"]) if p["text"] == member.text)
    assert f"{PUBLIC_URL}/cycles/2027-Q1?kr={kr['id']}" in links_of(post)
    assert "Weekly actives" in str(post["blocks"]) and "0%" in str(post["blocks"])
    checkin = [el for b in post["blocks"] if b.get("accessory") for el in [b["accessory"]]]
    assert checkin and checkin[0]["action_id"] == f"checkin_open:{kr['id']}"


async def test_mid_quarter_review_reaches_leads_and_retro_reaches_everyone(stack: Stack) -> None:
    _, rows = await run(stack, "review_mid_quarter", "2027-Q1", date(2027, 2, 15), due_now=True)
    assert {r.user_id for r in rows} == {stack.user_id("lead"), stack.user_id("ceo")}
    lead = next(r for r in rows if r.user_id == stack.user_id("lead"))
    assert lead.link == f"/teams/{stack.teams['product']['id']}?cycle=2027-Q1"
    _, rows = await run(stack, "retro_open", "2027-Q1", date(2027, 3, 24), due_now=True)
    assert len(rows) == 4
    other = next(r for r in rows if r.user_id == stack.user_id("other"))
    assert other.link == f"/feedback?team={stack.teams['engineering']['id']}&cycle=2027-Q1"


async def test_team_digest_goes_to_the_team_channel(stack: Stack) -> None:
    _, rows = await run(stack, "team_digest", "2027-Q1", date(2027, 1, 15), local_time="16:00", due_now=True)
    assert [(r.channel, r.user_id, r.team_id) for r in rows] == [("C0PRODUCT", None, stack.teams["product"]["id"])]
    assert rows[0].status == "sent" and rows[0].link == f"/teams/{stack.teams['product']['id']}?cycle=2027-Q1"
    assert len(stack.slack.posts("C0PRODUCT")) == 1


async def test_muted_kinds_are_skipped_and_local_time_is_each_persons(stack: Stack) -> None:
    await stack.call("member", "PATCH", f"/api/okr/users/{stack.user_id('member')}",
                     json={"muted_reminders": ["retro_open"]})
    await stack.call("other", "PATCH", f"/api/okr/users/{stack.user_id('other')}",
                     json={"timezone": "America/Los_Angeles"})
    occurrence = await stack.reminder("retro_open", "2027-Q4", MONDAY)
    await until(lambda: stack.rows(occurrence_id=occurrence))
    rows = await stack.settle(occurrence_id=occurrence)
    by_user = {r.user_id: r for r in rows}
    assert stack.user_id("member") not in by_user  # muted
    other = by_user[stack.user_id("other")]
    # 10:00 in Los Angeles on 11 January is 18:00 UTC: waiting, not sent at Seoul's 10:00.
    assert other.status == "scheduled" and other.due_at == datetime(2027, 1, 11, 18, 0, tzinfo=UTC)
    assert by_user[stack.user_id("lead")].status == "sent"
    # "Run now" makes it due at once; still once.
    await stack.reminder("retro_open", "2027-Q4", MONDAY, due_now=True, event_id=occurrence + ":now:1")
    await until(lambda: _status(stack, other.id, "sent"), 10, "the run-now send")
    assert len([p for p in stack.slack.posts(SLACK_IDS["other"]) if p["text"] == other.text]) == 1


async def _status(stack: Stack, row_id: int, status: str) -> bool:
    return any(r.status == status for r in await stack.rows(id=row_id))


async def test_approvals_reach_approvers_with_buttons_and_update_when_decided_on_the_web(stack: Stack) -> None:
    assert stack.slack is not None
    obj = await stack.objective("other", "engineering", "2027-Q2", "Cut build times", "Build minutes", submit_by="other")
    requested = await until(lambda: stack.rows(objective_id=obj["id"], kind="approval_requested"), 10, "requests")
    rows = await stack.settle(objective_id=obj["id"])
    requested = [r for r in rows if r.kind == "approval_requested"]
    assert [r.user_id for r in requested] == [stack.user_id("lead")]  # a lead of the parent team
    request = requested[0]
    assert request.status == "sent" and request.link == f"/objectives/{obj['id']}"
    actions = [el["action_id"] for b in request.blocks if b["type"] == "actions" for el in b["elements"]]
    assert actions[:2] == ["approve", "request_changes"]
    assert "승인을 요청했습니다" in request.text  # the lead reads Korean

    await stack.call("lead", "POST", f"/api/okr/objectives/{obj['id']}/approve")
    updates = await until(lambda: [c.params for c in stack.slack.of("chat.update")  # type: ignore[union-attr]
                                   if c.params["ts"] == request.slack_ts], 10, "chat.update")
    update = updates[-1]
    assert update["channel"] == request.slack_channel
    assert "승인함" in str(update["blocks"]) and "approve" not in str(update["blocks"]).replace("approved", "")
    decided = await until(lambda: stack.rows(objective_id=obj["id"], kind="approval_decided"), 10, "decided")
    assert [r.user_id for r in decided] == [stack.user_id("other")]
    assert "was approved by Lena Lead" in decided[0].text and decided[0].link == f"/objectives/{obj['id']}"


async def test_feedback_and_mentions_reach_the_addressee(stack: Stack) -> None:
    obj = stack.objectives["q1_eng"]
    feedback = Envelope(type="feedback.created", source="feedback", actor_id=stack.user_id("member"),
                        subject_id=901, scope=Scope(cycle="2027-Q1", objective_id=obj["id"]),
                        data={"id": 901, "cycle": "2027-Q1", "objective_id": obj["id"], "kind": "praise",
                              "body": "Lovely <b>work</b> on deploys", "author_id": stack.user_id("member"),
                              "created_at": "2027-01-11T01:00:00Z"})
    await stack.publish(feedback)
    rows = await until(lambda: stack.rows(occurrence_id=feedback.id), 10, "feedback rows")
    rows = await stack.settle(occurrence_id=feedback.id)
    assert [(r.kind, r.user_id) for r in rows] == [("feedback_received", stack.user_id("other"))]  # the owner
    assert rows[0].link == f"/objectives/{obj['id']}" and "&lt;b&gt;" in rows[0].text.replace("<b>", "&lt;b&gt;")
    mention = Envelope(type="mention.created", source="feedback", actor_id=stack.user_id("other"),
                       data={"message_id": 77, "subject": f"objective:{obj['id']}", "user_id": stack.user_id("ceo"),
                             "author_id": stack.user_id("other"), "body": "<@4> can you look?",
                             "link": f"/objectives/{obj['id']}#chat"})
    await stack.publish(mention)
    await until(lambda: stack.rows(occurrence_id=mention.id), 10, "mention rows")
    rows = await stack.settle(occurrence_id=mention.id)
    assert [(r.kind, r.user_id, r.status) for r in rows] == [("mentioned", stack.user_id("ceo"), "sent")]
    assert rows[0].link == f"/objectives/{obj['id']}#chat"


async def test_everyone_lists_their_own_deliveries_and_admins_all(stack: Stack) -> None:
    _, rows = await run(stack, "drafting_open", "2028-Q1", date(2027, 12, 18), due_now=True)
    member = await stack.as_("member")
    mine = await stack.notifier.get("/api/notifier/deliveries?user_id=me", headers=member)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body and {d["user_id"] for d in body} == {stack.user_id("member")}
    first = body[0]
    assert {"text", "blocks", "created_at", "status", "kind", "link"} <= set(first)
    assert (await stack.notifier.get("/api/notifier/deliveries", headers=member)).status_code == 403
    other = stack.user_id("other")
    assert (await stack.notifier.get(f"/api/notifier/deliveries?user_id={other}", headers=member)).status_code == 403
    everyone = await stack.notifier.get("/api/notifier/deliveries?kind=drafting_open&status=sent&limit=500",
                                        headers=stack.headers["admin"])
    assert {r.id for r in rows} <= {d["id"] for d in everyone.json()}
    assert {d["user_id"] for d in everyone.json()} >= {stack.user_id(p) for p in ("lead", "member", "other", "ceo")}
    summary = await stack.notifier.get("/api/notifier/deliveries/summary", headers=stack.headers["admin"])
    assert summary.json()["by_status"]["unknown"] == 0
    assert (await stack.notifier.get("/api/notifier/deliveries")).status_code == 401
