"""Drafting hints (§9): the task-like words of both languages, the rules, and the endpoint."""

from __future__ import annotations

import pytest
from okr_service.hints.rules import hints
from okr_service.hints.words import TASK_NOUNS_KO, TASK_VERBS_EN, task_like

from tests.support.stack import Okr


@pytest.mark.parametrize("title", [
    "Launch the mobile app", "Build a data warehouse", "Ship the mobile check-in", "Roll out SSO",
    "set up on-call", "모바일 앱 출시", "데이터 파이프라인 구축", "결제 모듈 개발",
    "OKR 도구 도입", "신규 온보딩 프로그램 도입하기", "사내 위키 작성 완료", "채용 브랜딩 리뉴얼.",
])
def test_titles_that_read_as_tasks(title: str) -> None:
    assert task_like(title), title


@pytest.mark.parametrize("title", [
    "Weekly active teams from 40 to 120", "Launch 3 pilots", "Ship ten features", "NPS", "p95 dashboard latency",
    "Move CI under ten minutes", "출시 후 30일 유지율 40%", "고객 만족도", "신규 매출 두 배", "Pipeline", "",
    "Customer churn",
])
def test_titles_that_measure_something(title: str) -> None:
    assert not task_like(title), title


def test_the_word_lists_are_lower_case_and_have_no_duplicates() -> None:
    assert all(w == w.lower() for w in TASK_VERBS_EN)
    assert len(set(TASK_NOUNS_KO)) == len(TASK_NOUNS_KO)
    assert {"launch", "build", "ship"} <= TASK_VERBS_EN and {"출시", "구축", "개발", "도입"} <= set(TASK_NOUNS_KO)


def kr(id_: int, title: str = "Revenue", kind: str = "number", start: float = 10, target: float = 20,
       checked: bool = True) -> dict[str, object]:
    return {"id": id_, "title": title, "kind": kind, "start": start, "target": target,
            "last_check_in_at": "2027-01-05T01:00:00+00:00" if checked else None}


def test_rules() -> None:
    assert [h["code"] for h in hints([])] == ["no_key_results"]
    assert [h["code"] for h in hints([kr(i) for i in range(6)])] == ["too_many_key_results"]
    assert [h["code"] for h in hints([kr(i) for i in range(5)])] == []
    both = hints([kr(1, "Go live", "boolean", 0, 1), kr(2, "Launch the app", "boolean", 0, 1)])
    assert [(h["code"], h["key_result_id"]) for h in both] == [("all_boolean", None), ("task_like", 2)]
    assert [h["code"] for h in hints([kr(1, start=5, target=5)])] == ["start_equals_target"]
    assert [(h["code"], h["key_result_id"]) for h in hints([kr(1, start=0, checked=False), kr(2, start=0)])] \
        == [("no_baseline", 1)]
    assert hints([kr(1, start=0, checked=False)], "ko")[0]["message"].startswith("시작값이 0")


async def test_hints_endpoint_follows_the_draft_as_it_changes(okr: Okr) -> None:
    obj = await okr.objective("member", key_results=[{"title": "Revenue", "start": 0, "target": 100}])
    kr_id = obj["key_results"][0]["id"]
    path = f"/api/okr/objectives/{obj['id']}/hints"
    r = await okr.call("other", "GET", path)
    assert r.status_code == 200
    assert [(h["code"], h["key_result_id"]) for h in r.json()] == [("no_baseline", kr_id)]
    edited = await okr.call("member", "PATCH", f"/api/okr/key-results/{kr_id}",
                            json={"title": "Launch the new pricing page", "start": 5, "version": 1})
    assert edited.status_code == 200, edited.text
    assert [h["code"] for h in (await okr.call("other", "GET", path)).json()] == ["task_like"]
    # Hints never block: the draft still submits.
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")).status_code == 200
    assert (await okr.call("other", "GET", "/api/okr/objectives/999999/hints")).status_code == 404
