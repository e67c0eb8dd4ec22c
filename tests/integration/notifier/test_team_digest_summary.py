"""The Friday digest opens with the week's sentences (§9 "Summaries"), end to end: real okr
(check-ins, back-filled history, its forecast and dashboard), feedback events, the notifier's
activity log, and the fake Slack. Product's lead reads Korean, so Product's digest is Korean."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from boost_contracts.envelope import Envelope, Scope
from notifier_service.models import Activity

from tests.support.notifier import NOW, Stack, notifier_stack
from tests.support.waiting import until

FRIDAY = date(2027, 1, 15)
FRIDAY_16_SEOUL = datetime(2027, 1, 15, 7, 0, tzinfo=UTC)


def feedback(stack: Stack, feedback_id: int, kind: str, resolved: bool = False, type_: str = "feedback.created") -> Envelope:
    product, author = stack.teams["product"]["id"], stack.user_id("other")
    return Envelope(type=type_, source="feedback", actor_id=author, subject_id=feedback_id,
                    scope=Scope(cycle="2027-Q1", team_id=product),
                    data={"id": feedback_id, "cycle": "2027-Q1", "to_team_id": product, "team_id": product,
                          "kind": kind, "body": "When do we ship?", "author_id": author, "resolved": resolved,
                          "created_at": NOW.isoformat()})


async def test_the_digest_opens_with_the_weeks_sentences_in_the_teams_language(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfdigsum") as stack:
        product = stack.objectives["q1_product"]
        actives = product["key_results"][0]["id"]  # "Weekly actives", 0 → 100

        async def kr(title: str, target: float) -> int:
            body = {"title": title, "start": 0, "target": target, "unit": ""}
            made = await stack.call("member", "POST", f"/api/okr/objectives/{product['id']}/key-results", json=body)
            return int(made["id"])

        async def check_in(who: str, kr_id: int, value: float, confidence: int | None = None,
                           at: str | None = None) -> None:
            body: dict[str, Any] = {"value": value, "confidence": confidence}
            if at:
                body["created_at"] = at
            await stack.call(who, "POST", f"/api/okr/key-results/{kr_id}/check-ins", json=body)

        churn = await kr("이탈 계정 줄이기", 10)   # ends in a vowel (기)
        nps = await kr("고객 추천 지수", 100)       # ends in a vowel (수)
        # Stalled: its only check-in was New Year's Day (back-filled by an admin).
        await check_in("admin", churn, 1, at="2027-01-01T09:00:00+09:00")
        # Likely to miss: three small steps on three days; the forecast lands far below the target.
        for day, value in (("02", 1), ("05", 2), ("07", 3)):
            await check_in("admin", nps, value, at=f"2027-01-{day}T09:00:00+09:00")
        # This week: Weekly actives jumps from 0 to 45 % while confidence falls from 8 to 5.
        await check_in("member", actives, 10, 8)
        await check_in("member", actives, 45, 5)
        # Two questions to the team; one answered since.
        await stack.publish(feedback(stack, 601, "question"))
        await stack.publish(feedback(stack, 602, "suggestion"))
        await stack.publish(feedback(stack, 602, "suggestion", resolved=True, type_="feedback.updated"))
        await stack.publish(feedback(stack, 603, "praise"))

        async def recorded() -> bool:
            async with stack.container.runtime.maker() as session:
                rows = list((await session.execute(sa.select(Activity))).scalars())
            resolved = any(r.kind == "feedback" and r.ref_id == 602 and r.resolved for r in rows)
            return resolved and sum(r.kind == "check_in" for r in rows) >= 6 and sum(r.kind == "feedback" for r in rows) >= 3

        await until(recorded, 10, "the week's activity")

        stack.clock.offset += FRIDAY_16_SEOUL - stack.clock.now()
        occurrence = await stack.reminder("team_digest", "2027-Q1", FRIDAY, "16:00")
        await until(lambda: stack.rows(occurrence_id=occurrence, status="sent"), 10, "the digest")
        (row,) = await stack.rows(occurrence_id=occurrence)
        said = row.context["summary"]
        assert said == [
            "“이탈 계정 줄이기”는 14일째 체크인이 없습니다.",
            "“Weekly actives”의 자신감이 8점에서 5점까지 떨어졌습니다.",
            said[2],  # checked below: okr's forecast decides the number
            "Min Member 님이 “Weekly actives”를 0%에서 45%까지 끌어올려 이번 주 가장 크게 움직였습니다.",
            "답변을 기다리는 피드백이 1건 있습니다.",
        ], said
        assert said[2].startswith("“고객 추천 지수”가 지금 추세라면 약 ") and said[2].endswith("에서 끝날 전망입니다.")
        assert row.locale == "ko" and row.text.startswith(said[0])
        assert stack.slack is not None
        (post,) = stack.slack.posts("C0PRODUCT")
        assert post["blocks"][0]["text"]["text"].startswith("“이탈 계정 줄이기”는")
