"""A modal Slack refuses (views.open fails) tells the person who clicked, in their language,
instead of failing silently: okr, the notifier and the fake Slack."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.support.notifier import SLACK_IDS, Stack, notifier_stack
from tests.support.waiting import until


async def test_a_modal_slack_refuses_tells_the_person_who_clicked(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfmodal") as stack:
        assert stack.slack is not None
        await _refused_modal_is_told(stack)


async def _refused_modal_is_told(stack: Stack) -> None:
    assert stack.slack is not None
    stack.slack.fail("views.open", 500, times=1, posted=False)
    obj = await stack.objective("other", "engineering", "2027-Q2", "Send me back", "Thing", submit_by="other")
    rows = await until(lambda: stack.rows(objective_id=obj["id"], kind="approval_requested"), 10, "the request")
    value = next(el["value"] for b in rows[0].blocks if b["type"] == "actions" for el in b["elements"]
                 if el["action_id"] == "request_changes")
    payload = {"type": "block_actions", "user": {"id": SLACK_IDS["lead"]}, "trigger_id": "trig-x",
               "response_url": stack.slack.response_url("modal"),
               "actions": [{"type": "button", "action_id": "request_changes", "value": value}]}
    from urllib.parse import urlencode

    r = await stack.slack_post("/slack/interactions", urlencode({"payload": json.dumps(payload)}).encode())
    assert r.status_code == 200
    told = await until(lambda: [b for n, b in stack.slack.responses if n == "modal"], 10, "the person to be told")
    assert told[0]["response_type"] == "ephemeral" and "양식을 열 수 없습니다" in told[0]["text"]  # the lead reads Korean
