"""Drafting hints (§9): what a second pair of eyes would say about a draft objective.
Pure: an objective's key results in, `[{code, key_result_id?, message}]` out. Hints never
block a write or a submit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .words import task_like

TOO_MANY = 5

MESSAGES = {
    "en": {
        "no_key_results": "Add a key result: how will you know this objective is met?",
        "too_many_key_results": "More than five key results: keep the few that matter most.",
        "start_equals_target": "The start and the target are the same: there is nothing to move.",
        "all_boolean": "Every key result is yes/no: outcomes are rarely binary. Measure one with a number.",
        "task_like": "This reads as a task. What number changes when it is done?",
        "no_baseline": "Starts at 0 with no check-in yet: record where it really stands today.",
    },
    "ko": {
        "no_key_results": "핵심 결과를 추가하세요. 이 목표를 이뤘다는 걸 어떻게 알 수 있을까요?",
        "too_many_key_results": "핵심 결과가 다섯 개를 넘어요. 가장 중요한 몇 개만 남기세요.",
        "start_equals_target": "시작값과 목표값이 같아요. 움직일 것이 없습니다.",
        "all_boolean": "모든 핵심 결과가 예/아니요예요. 성과는 대개 숫자로 드러납니다. 하나는 숫자로 재 보세요.",
        "task_like": "할 일처럼 보여요. 이 일이 끝나면 어떤 숫자가 바뀌나요?",
        "no_baseline": "시작값이 0이고 아직 체크인이 없어요. 지금 실제 값을 기록하세요.",
    },
}


def hints(key_results: Sequence[Mapping[str, Any]], locale: str = "en") -> list[dict[str, Any]]:
    """Hints for an objective from its live key results (each with kind, title, start,
    target and last_check_in_at), in a stable order: the objective's first, then each
    key result's in its order."""
    text = MESSAGES.get(locale, MESSAGES["en"])
    out: list[dict[str, Any]] = []

    def add(code: str, kr_id: int | None = None) -> None:
        out.append({"code": code, "key_result_id": kr_id, "message": text[code]})

    if not key_results:
        add("no_key_results")
        return out
    if len(key_results) > TOO_MANY:
        add("too_many_key_results")
    if all(k["kind"] == "boolean" for k in key_results):
        add("all_boolean")
    for k in key_results:
        if k["kind"] in ("number", "percent", "milestone") and k["start"] == k["target"]:
            add("start_equals_target", k["id"])
        if task_like(k["title"]):
            add("task_like", k["id"])
        if k["kind"] == "number" and k["start"] == 0 and k.get("last_check_in_at") is None:
            add("no_baseline", k["id"])
    return out
