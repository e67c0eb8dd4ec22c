"""The team digest's opening sentences (§9 "Summaries"), without a server: each rule in
English and Korean, Korean particles chosen by the final consonant of the word before them
(never "을(를)"), at most five sentences; and the facts each rule is computed from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from notifier_service.deliveries import weekly
from notifier_service.messages.render import render
from notifier_service.messages.summary import (
    ConfidenceDrop,
    LikelyToMiss,
    Mover,
    Stalled,
    WeekFacts,
    has_final_consonant,
    particle,
    sentences,
)

pytestmark = pytest.mark.unit

# Titles ending in a vowel (…하기, 리텐션 is a consonant: 션 has ㄴ) and in a consonant.
VOWEL = "주간 활성 사용자 늘리기"      # 기: no final consonant
CONSONANT = "온보딩 완료율"             # 율: ㄹ


@pytest.mark.parametrize(("word", "pair", "expected"), [
    ("사과", "을/를", "사과를"), ("수박", "을/를", "수박을"),
    ("사과", "이/가", "사과가"), ("수박", "이/가", "수박이"),
    ("사과", "은/는", "사과는"), ("수박", "은/는", "수박은"),
    ("“늘리기”", "이/가", "“늘리기”가"), ("“완료율”", "이/가", "“완료율”이"),  # the closing quote is read past
    ("NPS 40", "을/를", "NPS 40을"), ("Q2", "은/는", "Q2는"),  # 사십 / 이: digits as read in Korean
    ("Kim", "이/가", "Kim이"), ("Lee", "이/가", "Lee가"), ("Jiyoung", "은/는", "Jiyoung은"),
])
def test_particles_follow_the_final_consonant(word: str, pair: str, expected: str) -> None:
    assert particle(word, pair) == expected


def test_final_consonant_of_hangul_syllables() -> None:
    assert has_final_consonant("각") and has_final_consonant("율") and not has_final_consonant("가")
    assert not has_final_consonant("") and not has_final_consonant("”")


def _only(**kw: Any) -> WeekFacts:
    return WeekFacts(**kw)


def _no_either_or(text: str) -> None:
    for bad in ("을(를)", "이(가)", "은(는)", "를(을)"):
        assert bad not in text


def test_stalled_key_results() -> None:
    one = _only(stalled=[Stalled(VOWEL, 16)])
    assert sentences("en", one) == [f"“{VOWEL}” has had no check-in for 16 days."]
    assert sentences("ko", one) == [f"“{VOWEL}”는 16일째 체크인이 없습니다."]
    assert sentences("ko", _only(stalled=[Stalled(CONSONANT, 20)])) == [f"“{CONSONANT}”은 20일째 체크인이 없습니다."]
    many = _only(stalled=[Stalled(CONSONANT, 30), Stalled(VOWEL, 15), Stalled("Churn", 14)])
    assert sentences("en", many) == [f"“{CONSONANT}” and 2 more key results have had no check-in for 14 days or more."]
    assert sentences("ko", many) == [f"“{CONSONANT}” 외 2개 핵심 결과는 14일 넘게 체크인이 없습니다."]


def test_confidence_drops() -> None:
    facts = _only(drops=[ConfidenceDrop(CONSONANT, 8, 5)])
    assert sentences("en", facts) == [f"Confidence in “{CONSONANT}” fell from 8 to 5."]
    assert sentences("ko", facts) == [f"“{CONSONANT}”의 자신감이 8점에서 5점까지 떨어졌습니다."]
    more = _only(drops=[ConfidenceDrop(VOWEL, 9, 4), ConfidenceDrop(CONSONANT, 7, 5)])
    assert sentences("en", more) == [f"Confidence in “{VOWEL}” fell from 9 to 4, and 1 more lost 2 points or more."]
    assert sentences("ko", more)[0].endswith("그 밖에 1개 핵심 결과의 자신감도 2점 이상 떨어졌습니다.")


def test_likely_to_miss() -> None:
    vowel, consonant = _only(likely_to_miss=[LikelyToMiss(VOWEL, 0.62)]), _only(likely_to_miss=[LikelyToMiss(CONSONANT, 0.4)])
    assert sentences("en", vowel) == [f"“{VOWEL}” is likely to miss: on its pace it lands at about 62%."]
    assert sentences("ko", vowel) == [f"“{VOWEL}”가 지금 추세라면 약 62%에서 끝날 전망입니다."]
    assert sentences("ko", consonant) == [f"“{CONSONANT}”이 지금 추세라면 약 40%에서 끝날 전망입니다."]
    two = _only(likely_to_miss=[LikelyToMiss(CONSONANT, 0.4), LikelyToMiss(VOWEL, 0.6)])
    assert sentences("en", two) == [f"“{CONSONANT}” and 1 more are likely to miss; the furthest lands at about 40%."]


def test_biggest_mover() -> None:
    vowel = _only(mover=Mover(VOWEL, "Mina Member", 0.2, 0.55))
    consonant = _only(mover=Mover(CONSONANT, "김지훈", 0.1, 0.3))
    assert sentences("en", vowel) == [f"Biggest mover: Mina Member moved “{VOWEL}” from 20% to 55%."]
    assert sentences("ko", vowel) == [f"Mina Member 님이 “{VOWEL}”를 20%에서 55%까지 끌어올려 이번 주 가장 크게 움직였습니다."]
    assert sentences("ko", consonant) == [f"김지훈 님이 “{CONSONANT}”을 10%에서 30%까지 끌어올려 이번 주 가장 크게 움직였습니다."]


def test_feedback_waiting_for_an_answer() -> None:
    assert sentences("en", _only(waiting_feedback=1)) == ["1 piece of feedback is waiting for an answer."]
    assert sentences("en", _only(waiting_feedback=3)) == ["3 pieces of feedback are waiting for an answer."]
    assert sentences("ko", _only(waiting_feedback=3)) == ["답변을 기다리는 피드백이 3건 있습니다."]


def test_a_quiet_week_says_nothing_and_a_busy_one_at_most_five_in_order() -> None:
    assert sentences("en", WeekFacts()) == [] and sentences("ko", WeekFacts()) == []
    busy = WeekFacts(stalled=[Stalled(VOWEL, 14)], drops=[ConfidenceDrop(CONSONANT, 8, 6)],
                     likely_to_miss=[LikelyToMiss(CONSONANT, 0.5)], mover=Mover(VOWEL, "Mina", 0.1, 0.4),
                     waiting_feedback=2)
    for locale in ("en", "ko"):
        said = sentences(locale, busy)
        assert len(said) == 5
        _no_either_or(" ".join(said))
    assert [s.split()[0] for s in sentences("en", busy)] == [f"“{VOWEL.split()[0]}", "Confidence", f"“{CONSONANT.split()[0]}",
                                                             "Biggest", "2"]


def test_the_digest_message_opens_with_the_sentences() -> None:
    ctx = {"cycle": "2027-Q1", "team": {"id": 3, "name": "Product", "progress": 0.4, "expected_progress": 0.5},
           "at_risk": [], "check_ins": 2, "feedback": 1, "summary": sentences("ko", _only(waiting_feedback=2))}
    message = render("team_digest", "ko", "https://boost.example", ctx)
    assert message.text.startswith("답변을 기다리는 피드백이 2건 있습니다.")
    assert message.blocks[0]["text"]["text"] == "답변을 기다리는 피드백이 2건 있습니다."
    without = render("team_digest", "en", "https://boost.example", {**ctx, "summary": []})
    assert without.text.startswith("Product this week")


# ---------------------------------------------------------------------------- the facts

NOW = datetime(2027, 1, 15, 7, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


def row(days_ago: float, value: float | None = None, confidence: int | None = None) -> Any:
    return SimpleNamespace(at=NOW - timedelta(days=days_ago), value=value, confidence=confidence)


KRS = {1: {"id": 1, "title": "Signups", "kind": "number", "start": 0, "target": 100, "owner_id": 7},
       2: {"id": 2, "title": "Launch", "kind": "boolean", "start": 0, "target": 1, "owner_id": 8},
       3: {"id": 3, "title": "NPS", "kind": "number", "start": 20, "target": 60, "owner_id": 7}}


def test_stalled_and_likely_to_miss_come_from_the_dashboard() -> None:
    dash = {"stale": [{"title": "Old", "last_check_in_at": (NOW - timedelta(days=20)).isoformat()},
                      {"title": "Recent", "last_check_in_at": (NOW - timedelta(days=9)).isoformat()},
                      {"title": "Never", "last_check_in_at": None}],
            "likely_to_miss": [{"title": "Low", "forecast": {"progress": 0.41}}, {"title": "No fit", "forecast": None}]}
    assert weekly.stalled(dash, NOW) == [Stalled("Old", 20)]
    assert weekly.likely_to_miss(dash) == [LikelyToMiss("Low", 0.41)]


def test_confidence_drop_is_against_the_last_confidence_before_the_week() -> None:
    history = {1: [row(10, 30, 8), row(3, 35, 7), row(1, 36, 6)],   # 8 → 6: dropped by 2
               3: [row(5, 25, 7), row(2, 26, 6)],                    # 7 → 6 within the week: not enough
               2: [row(2, 1, None)]}                                 # no confidence given
    assert weekly.drops(history, SINCE, KRS) == [ConfidenceDrop("Signups", 8, 6)]


def test_the_biggest_mover_rises_most_in_progress() -> None:
    history = {1: [row(10, 30), row(1, 50)],      # 30% → 50%
               3: [row(2, 40)],                   # from its start 20: 0% → 50%
               2: [row(9, 0), row(8, 0)]}         # nothing this week
    assert weekly.mover(history, SINCE, KRS, {7: "Mina"}) == Mover("NPS", "Mina", 0.0, 0.5)
    assert weekly.mover({2: [row(1, 1)]}, SINCE, KRS, {8: "Jun"}) == Mover("Launch", "Jun", 0.0, 1.0)
    assert weekly.mover({1: [row(10, 60), row(1, 40)]}, SINCE, KRS, {}) is None  # fell: no mover
