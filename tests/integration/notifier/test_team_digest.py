"""The Friday team digest: to the team's channel at 16:00 in the org's timezone, counting the
week's check-ins and new feedback from what the notifier keeps in its own schema — right
after a restart, with check-ins made while it was down, deleted ones and old ones replayed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from boost_contracts.envelope import Envelope, Scope
from notifier_service.models import Activity

from tests.support.notifier import NOW, Stack, knobs, notifier_stack
from tests.support.waiting import until

FRIDAY = date(2027, 1, 15)
FRIDAY_16_SEOUL = datetime(2027, 1, 15, 7, 0, tzinfo=UTC)


async def activity(stack: Stack) -> list[Activity]:
    async with stack.container.runtime.maker() as session:
        return list((await session.execute(sa.select(Activity).order_by(Activity.id))).scalars())


async def check_in(stack: Stack, kr_id: int, value: float) -> dict[str, Any]:
    body = {"value": value, "confidence": 7}
    return await stack.call("member", "POST", f"/api/okr/key-results/{kr_id}/check-ins", json=body)  # type: ignore[no-any-return]


def feedback_event(stack: Stack, feedback_id: int, at: datetime) -> Envelope:
    product, author = stack.teams["product"]["id"], stack.user_id("other")
    return Envelope(type="feedback.created", source="feedback", actor_id=author, subject_id=feedback_id,
                    scope=Scope(cycle="2027-Q1", team_id=product),
                    data={"id": feedback_id, "cycle": "2027-Q1", "to_team_id": product, "team_id": product,
                          "kind": "praise", "body": "Nice week", "author_id": author, "created_at": at.isoformat()})


async def test_the_digest_is_planned_for_friday_at_the_orgs_time(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfdigdue") as stack:
        # Published early (Monday, for Friday): the channel's row waits for Friday 16:00 in Seoul.
        occurrence = await stack.reminder("team_digest", "2027-Q1", FRIDAY, "16:00")
        rows = await until(lambda: stack.rows(occurrence_id=occurrence), 10, "the digest row")
        assert [(r.channel, r.status, r.due_at) for r in rows] == [("C0PRODUCT", "scheduled", FRIDAY_16_SEOUL)]
        # An admin's "run now" sends it at once.
        await stack.reminder("team_digest", "2027-Q1", FRIDAY, "16:00", due_now=True, event_id=occurrence + ":now:1")
        await until(lambda: _status(stack, occurrence, "sent"), 10, "the run-now digest")
        assert stack.slack is not None and len(stack.slack.posts("C0PRODUCT")) == 1


async def test_the_weeks_counts_survive_a_restart_and_leave_out_deleted_and_old_check_ins(
        make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfdigcnt") as stack:
        kr = stack.objectives["q1_product"]["key_results"][0]["id"]
        first = await check_in(stack, kr, 10)
        await check_in(stack, kr, 20)
        await stack.publish(feedback_event(stack, 501, NOW))
        await until(lambda: _recorded(stack, 3), 10, "the week's activity recorded")

        # The notifier stops; meanwhile a check-in is made, the first one deleted, and an event
        # of a check-in from ten days ago (a stream replayed from far back) is published.
        await stack.stop("notifier")
        await check_in(stack, kr, 30)
        await stack.call("member", "DELETE", f"/api/okr/check-ins/{first['id']}")
        old = NOW - timedelta(days=10)
        await stack.publish(Envelope(type="check_in.created", source="okr", actor_id=stack.user_id("member"),
                                     subject_id=9001, scope=Scope(cycle="2027-Q1", team_id=stack.teams["product"]["id"]),
                                     data={"id": 9001, "key_result_id": kr, "value": 5, "author_id":
                                           stack.user_id("member"), "created_at": old.isoformat()}))
        await stack.start("notifier", knobs())
        await until(lambda: _recorded(stack, 5, deleted=1), 10, "the catch-up after the restart")

        # Friday 16:00 in Seoul: the scheduler publishes the digest (a new process answers it).
        stack.clock.offset += FRIDAY_16_SEOUL - stack.clock.now()
        occurrence = await stack.reminder("team_digest", "2027-Q1", FRIDAY, "16:00")
        await until(lambda: _status(stack, occurrence, "sent"), 10, "the digest")
        (row,) = await stack.rows(occurrence_id=occurrence)
        # Three check-ins this week, one deleted; the ten-day-old one is not this week's.
        assert (row.context["check_ins"], row.context["feedback"]) == (2, 1)
        assert "체크인 2건" in row.text and "새 피드백 1건" in row.text  # the org's language (Seoul)


async def _recorded(stack: Stack, n: int, deleted: int = 0) -> bool:
    rows = await activity(stack)
    return len(rows) >= n and sum(r.deleted for r in rows) >= deleted


async def _status(stack: Stack, occurrence: str, status: str) -> bool:
    rows = await stack.rows(occurrence_id=occurrence)
    return bool(rows) and all(r.status == status for r in rows)


async def test_a_digest_slack_refuses_tells_the_teams_leads_once_per_failing_spell(
        make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfdigfail") as stack:
        slack = stack.slack
        assert slack is not None
        to_product = lambda params: params.get("channel") == "C0PRODUCT"  # noqa: E731
        slack.refuse("chat.postMessage", "not_in_channel", times=2, when=to_product)
        lead = stack.user_id("lead")

        async def notices() -> list[Any]:
            return [r for r in await stack.rows(user_id=lead) if r.key.startswith("digest_failing:")]

        async def run(day: date, status: str) -> None:
            occurrence = await stack.reminder("team_digest", "2027-Q1", day, "16:00", due_now=True)
            await until(lambda: _status(stack, occurrence, status), 10, f"the digest of {day} {status}")

        await run(FRIDAY, "failed")
        first = await until(notices, 10, "the lead's notice")
        await until(lambda: _sent_rows(notices), 10, "the notice sent")
        await run(FRIDAY + timedelta(days=7), "failed")  # still failing: no second notice
        await run(FRIDAY + timedelta(days=14), "sent")  # invited: the spell ends
        slack.refuse("chat.postMessage", "channel_not_found", times=1, when=to_product)
        await run(FRIDAY + timedelta(days=21), "failed")  # a new spell: told again
        await until(lambda: _count(notices, 2), 10, "the second spell's notice")
        await until(lambda: _sent_rows(notices), 10, "the second notice sent")
        rows = await notices()
        assert len(rows) == 2 and len(first) == 1
        texts = [r.text for r in rows]
        assert "not_in_channel" in texts[0] and "channel_not_found" in texts[1]
        assert "금요일 요약" in texts[0]  # the lead reads Korean
        lead_dms = [p for p in slack.posts("U0LEAD") if "금요일 요약" in p["text"]]
        assert len(lead_dms) == 2


async def _sent_rows(rows: Callable[[], Any]) -> bool:
    return all(r.status == "sent" for r in await rows())


async def _count(rows: Callable[[], Any], n: int) -> bool:
    return len(await rows()) >= n
