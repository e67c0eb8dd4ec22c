"""What the bot says, without any server: each kind's sentence in Korean and English,
the deep link of contract §6 on its button, the actions people act with, escaping of
people's text, the check-in modal; and the small pure parts (pacing, error classes,
local due times, Slack members as Boost users)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from notifier_service.deliveries.store import local_due
from notifier_service.directory.service import directory_user
from notifier_service.messages import links
from notifier_service.messages.render import RENDERERS, checkin_modal, plain, render
from notifier_service.slack.client import SlackFailure, classify
from notifier_service.slack.pacing import Pacer
from slack_sdk.errors import SlackApiError

BASE = "https://boost.example"
KR = {"id": 45, "title": "Weekly actives", "kind": "number", "current": 40.0, "target": 100.0, "unit": "%",
      "progress": 0.4, "health": "at_risk", "confidence": 5}
OBJ = {"id": 123, "title": "Grow <the> product", "cycle": "2027-Q1", "team_id": 3, "key_results": [KR]}
CONTEXTS: dict[str, dict[str, Any]] = {
    "drafting_open": {"cycle": "2027-Q2", "teams": [{"id": 3, "name": "Product"}, {"id": 1, "name": "Company"}], "key": "k"},
    "approval_due": {"cycle": "2027-Q2", "teams": [{"id": 3, "name": "Product"}], "count": 2,
                     "objectives": [{"id": 9, "title": "Bet"}], "key": "k"},
    "weekly_check_in": {"cycle": "2027-Q1", "count": 2, "kr_ids": [45, 46], "krs": [KR], "key": "k"},
    "review_mid_quarter": {"cycle": "2027-Q1", "teams": [{"id": 3, "name": "Product", "progress": 0.3,
                                                         "expected_progress": 0.5, "objectives": []}], "key": "k"},
    "retro_open": {"cycle": "2027-Q1", "teams": [{"id": 3, "name": "Product"}], "key": "k"},
    "approval_requested": {"objective": OBJ, "owner_name": "Min Member", "key": "k"},
    "approval_decided": {"objective": OBJ, "outcome": "changes_requested", "decided_by": "Lena", "comment": "Why?"},
    "feedback_received": {"feedback_kind": "praise", "body": "Great", "author_name": "Chae", "objective_id": 123,
                          "objective_title": "Grow"},
    "mentioned": {"author_name": "Otto", "body": "<@3> look", "link": "/objectives/123#chat"},
    "team_digest": {"cycle": "2027-Q1", "team": {"id": 3, "name": "Product", "progress": 0.3, "expected_progress": 0.5},
                    "at_risk": [{"id": 45, "title": "Weekly actives", "owner_name": "Min", "progress": 0.4,
                                 "health": "at_risk"}], "check_ins": 4, "feedback": 1},
    "source_failing": {"kr_id": 45, "kr_title": "Weekly actives", "objective_id": 123, "source_name": "Sales DB",
                       "error": "Sales DB: the query returned no rows; it must return one"},
}
LINKS = {
    "drafting_open": "/cycles/2027-Q2/teams/3/draft",
    "approval_due": "/cycles/2027-Q2/teams/3/draft",
    "weekly_check_in": "/cycles/2027-Q1?kr=45",
    "review_mid_quarter": "/teams/3?cycle=2027-Q1",
    "retro_open": "/feedback?team=3&cycle=2027-Q1",
    "approval_requested": "/objectives/123",
    "approval_decided": "/objectives/123",
    "feedback_received": "/objectives/123",
    "mentioned": "/objectives/123#chat",
    "team_digest": "/teams/3?cycle=2027-Q1",
    "source_failing": "/objectives/123?kr=45",
}


def urls(blocks: list[dict[str, Any]]) -> list[str]:
    return [el["url"] for b in blocks if b["type"] == "actions" for el in b["elements"] if el.get("url")]


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [el["action_id"] for b in blocks if b["type"] == "actions" for el in b["elements"]]


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize("locale", ["en", "ko"])
def test_every_kind_has_a_sentence_and_a_button_to_its_exact_page(kind: str, locale: str) -> None:
    message = render(kind, locale, BASE, CONTEXTS[kind])
    assert message.link == LINKS[kind]
    assert urls(message.blocks)[0] == BASE + LINKS[kind]
    assert message.text and "{" not in message.text and "*" not in message.text
    hangul = any("\uac00" <= ch <= "\ud7a3" for ch in message.text)
    assert hangul == (locale == "ko")
    assert len(json.dumps(message.blocks)) < 12_000


def test_reminders_carry_snooze_and_check_in_and_approvals_carry_decisions() -> None:
    weekly = render("weekly_check_in", "en", BASE, CONTEXTS["weekly_check_in"])
    assert "snooze" in action_ids(weekly.blocks)
    checkin = next(b["accessory"] for b in weekly.blocks if b.get("accessory"))
    assert checkin["action_id"] == "checkin_open:45" and json.loads(checkin["value"])["kr"] == 45
    assert "▰▰▰▰▱▱▱▱▱▱ 40%" in json.dumps(weekly.blocks, ensure_ascii=False)
    request = render("approval_requested", "en", BASE, CONTEXTS["approval_requested"])
    assert action_ids(request.blocks)[:2] == ["approve", "request_changes"]
    assert "snooze" not in action_ids(request.blocks)
    decided = render("approval_requested", "en", BASE, {**CONTEXTS["approval_requested"], "outcome": "approved",
                                                         "decided_by": "Lena"})
    assert action_ids(decided.blocks) == ["open_link"] and "Approved by Lena" in json.dumps(decided.blocks)
    drafting = render("drafting_open", "en", BASE, CONTEXTS["drafting_open"])
    assert urls(drafting.blocks)[:2] == [BASE + "/cycles/2027-Q2/teams/3/draft", BASE + "/cycles/2027-Q2/teams/1/draft"]


def test_peoples_text_cannot_inject_formatting_or_mentions() -> None:
    assert plain("<!channel> & <@U1|x>") == "&lt;!channel&gt; &amp; &lt;@U1|x&gt;"
    assert plain("a" * 400, 10) == "aaaaaaaaa…"
    request = render("approval_requested", "en", BASE, CONTEXTS["approval_requested"])
    assert "Grow &lt;the&gt; product" in request.blocks[0]["text"]["text"]


def test_deep_links_follow_the_contract() -> None:
    assert links.url(BASE + "/", "/objectives/1") == "https://boost.example/objectives/1"
    assert links.thread("objective:12") == "/objectives/12#chat"
    assert links.thread("draft:2027-Q1:team:3") == "/cycles/2027-Q1/teams/3/draft"
    assert links.kind_link("weekly_check_in", cycle="2027-Q1", kr_id=45) == "/cycles/2027-Q1?kr=45"
    assert links.feedback(3, "2027-Q1") == "/feedback?team=3&cycle=2027-Q1"


def test_the_check_in_modal_has_value_confidence_and_note() -> None:
    view = checkin_modal(KR, "ko", {"kr": 45})
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert view["callback_id"] == "checkin" and json.loads(view["private_metadata"]) == {"kr": 45}
    assert blocks["value"]["element"]["initial_value"] == "40"
    assert [o["value"] for o in blocks["confidence"]["element"]["options"]] == [str(n) for n in range(11)]
    assert blocks["confidence"]["element"]["initial_option"]["value"] == "5"
    assert blocks["note"]["optional"] is True and view["title"]["text"] == "체크인"


def test_local_due_times_are_each_persons_own() -> None:
    day = date(2027, 3, 15)
    assert local_due(day, "10:00", ZoneInfo("Asia/Seoul")).astimezone(UTC) == datetime(2027, 3, 15, 1, 0, tzinfo=UTC)
    assert local_due(day, "10:00", ZoneInfo("America/New_York")).astimezone(UTC) == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)


def test_slack_failures_are_sorted_into_retryable_and_permanent() -> None:
    class Resp(dict[str, Any]):
        def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            super().__init__(body)
            self.status_code = status
            self.headers = headers or {}

    limited = classify(SlackApiError("x", Resp(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"})))
    assert limited.verdict == "retry" and limited.retry_after == 3.0
    # Slack may have posted: never retried by itself.
    assert classify(SlackApiError("x", Resp(502, {}))).verdict == "unknown"
    assert classify(SlackApiError("x", Resp(200, {"ok": False, "error": "internal_error"}))).verdict == "unknown"
    assert classify(ConnectionResetError()).verdict == "unknown"
    assert classify(TimeoutError()).verdict == "unknown"
    assert classify(aiohttp.ServerDisconnectedError()).verdict == "unknown"
    gone = classify(SlackApiError("x", Resp(200, {"ok": False, "error": "channel_not_found"})))
    assert gone.verdict == "failed" and gone.error == "channel_not_found"
    assert isinstance(gone, SlackFailure)


async def test_a_refused_connection_is_retried_because_nothing_was_sent() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        try:
            await session.post(f"http://127.0.0.1:{port}/api/chat.postMessage")
        except aiohttp.ClientError as exc:
            refused = classify(exc)
    assert refused.verdict == "retry" and "nothing was sent" in refused.error


async def test_the_pacer_spaces_sends_and_a_429_holds_only_its_method() -> None:
    pacer = Pacer(rate=20, burst=1, method_rates={"users.list": 20})
    started = time.monotonic()
    for _ in range(5):
        await pacer.acquire()
    assert 0.18 <= time.monotonic() - started < 0.5  # 4 waits of 1/20 s
    await pacer.hold("users.list", 0.5)
    started = time.monotonic()
    await pacer.acquire()  # chat.postMessage is not held
    assert time.monotonic() - started < 0.15
    await pacer.acquire("users.list")
    assert time.monotonic() - started >= 0.45
    await pacer.hold("chat.postMessage", 0.3)
    started = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - started >= 0.29
    same = Pacer(rate=1000, burst=10, channel_interval=0.2)
    started = time.monotonic()
    await asyncio.gather(same.channel("C1"), same.channel("C1"), same.channel("C2"))
    assert 0.19 <= time.monotonic() - started < 0.4


def test_slack_members_become_boost_users_and_bots_do_not() -> None:
    member = {"id": "U1", "tz": "Asia/Seoul", "locale": "ko-KR", "deleted": False,
              "profile": {"email": "a@x.example", "real_name": "Ahn", "image_192": "https://img/1"}}
    assert directory_user(member) == {"email": "a@x.example", "name": "Ahn", "slack_user_id": "U1",
                                      "avatar_url": "https://img/1", "locale": "ko-KR", "timezone": "Asia/Seoul",
                                      "active": True, "guest": False}
    assert directory_user({**member, "deleted": True})["active"] is False  # type: ignore[index]
    assert directory_user({**member, "is_bot": True}) is None
    assert directory_user({"id": "USLACKBOT", "profile": {"email": "x@y"}}) is None
    assert directory_user({"id": "U2", "profile": {}}) is None


def test_a_chat_mention_reaches_slack_as_the_persons_slack_mention_never_boosts_id() -> None:
    ctx = {"author_name": "Otto", "body": "<@3> and <@4>, look at <@5>", "link": "/objectives/1#chat",
           "people": {"3": {"slack_user_id": "U0LEAD", "name": "Lena Lead"},
                      "4": {"slack_user_id": None, "name": "Nora <No Slack>"}}}
    for locale in ("en", "ko"):
        text = render("mentioned", locale, BASE, ctx).blocks[0]["text"]["text"]
        assert "<@U0LEAD>" in text and "@Nora &lt;No Slack&gt;" in text and "@someone" in text
        assert "<@3>" not in text and "&lt;@3&gt;" not in text and "&lt;@5&gt;" not in text


def test_korean_particles_and_english_possessives_follow_the_words() -> None:
    """Issue 21's seen examples: "칭찬을(를) 남겼습니다" and "Sales's OKRs"."""
    from notifier_service.messages.i18n import t

    assert t("ko", "feedback_received", author="하늘", kind_label="칭찬", body="b") == "*하늘* 님이 칭찬을 남겼습니다: b"
    assert t("ko", "feedback_received", author="하늘", kind_label="질문", body="b") == "*하늘* 님이 질문을 남겼습니다: b"
    assert "회고를" in t("ko", "feedback_received", author="하늘", kind_label="회고", body="b")
    assert t("ko", "retro_open", cycle="2027-Q2", team="T").startswith("*2027-Q2*가 ")
    assert "(을)" not in t("ko", "approve.done", title="매출") and t("ko", "approve.done", title="매출") == "*매출*을 승인했습니다."
    assert t("en", "button.open_draft", team="Sales") == "Open Sales' draft"
    assert "*Sales'* OKRs" in t("en", "approval_due.none", team="Sales", cycle="2027-Q2")


def test_slack_writes_a_key_results_numbers_by_its_scale_without_stray_decimals() -> None:
    """Seen in the Slack messages page: "28.87 / 60 %", "61.98 / 120 teams", "134.24 / 45 s"."""
    from notifier_service.messages.render import kr_line

    def line(kind: str, start: float, target: float, current: float, unit: str) -> str:
        return kr_line({"title": "T", "kind": kind, "start": start, "target": target, "current": current,
                        "unit": unit, "progress": 0.5, "health": "at_risk"}, "en")

    assert "62 / 120 teams" in line("number", 0, 120, 61.98, "teams")
    assert "134 / 45 s" in line("number", 300, 45, 134.24, "s")
    assert "29 / 60 %" in line("number", 20, 60.0, 28.87, "%")
    assert "4.2 / 5" in line("number", 3, 5, 4.2, "")
