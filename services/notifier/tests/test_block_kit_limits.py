"""Block Kit as Slack enforces it: every message kind, modal, unfurl card and answer Boost can
send, in both languages and with the longest titles, names and comments Boost allows, goes
through the real slack-sdk client to the strict fake Slack (which refuses what real Slack
refuses) and is accepted; a payload that cannot fit is refused before the call, loudly.
(A modal Slack refuses telling the person who clicked needs okr: tests/integration/notifier.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from notifier_service.messages.render import (
    COMMENT_MAX,
    RENDERERS,
    checkin_modal,
    info_view,
    render,
    request_changes_modal,
    section,
)
from notifier_service.slack.app import SlackApp
from notifier_service.slack.blockkit import BlockKitError, fit_blocks, fit_view, trim
from notifier_service.slack.client import SlackFailure, SlackWebApi
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from services.notifier.tests.fake_slack import TOKEN, FakeSlack

BASE = "https://boost.example"
TITLE = ("A <b>bold</b> & *starred* objective with a very long name " * 10)[:200]  # okr's longest title
NAME = ("Gwanghwamun Park-Kim " * 20)[:200]
UNIT = "u" * 32
COMMENT = ("Please make the KR measurable & explain <why>. " * 200)[:5000]  # the web allows 5000
KRS = [{"id": 40 + i, "title": TITLE, "kind": "number", "current": 123456789.125, "target": 987654321.5, "unit": UNIT,
        "progress": 0.4, "health": "at_risk", "confidence": 5, "owner_name": NAME} for i in range(30)]
OBJ = {"id": 123, "title": TITLE, "cycle": "2027-Q1", "team_id": 3, "key_results": KRS, "progress": 0.5,
       "health": "on_track", "status": "approved"}
TEAMS = [{"id": i, "name": NAME, "progress": 0.3, "expected_progress": 0.5, "objectives": [OBJ] * 20}
         for i in range(1, 8)]
LONGEST: dict[str, dict[str, Any]] = {
    "drafting_open": {"cycle": "2027-Q2", "teams": TEAMS, "key": "k" * 180},
    "approval_due": {"cycle": "2027-Q2", "teams": TEAMS, "count": 200, "objectives": [OBJ] * 50, "key": "k" * 180},
    "weekly_check_in": {"cycle": "2027-Q1", "count": 30, "kr_ids": [k["id"] for k in KRS], "krs": KRS, "key": "k" * 180},
    "review_mid_quarter": {"cycle": "2027-Q1", "teams": TEAMS, "key": "k" * 180},
    "retro_open": {"cycle": "2027-Q1", "teams": TEAMS, "key": "k" * 180},
    "approval_requested": {"objective": OBJ, "owner_name": NAME, "key": "k" * 180},
    "approval_decided": {"objective": OBJ, "outcome": "changes_requested", "decided_by": NAME, "comment": COMMENT},
    "feedback_received": {"feedback_kind": "question", "body": COMMENT, "author_name": NAME, "objective_id": 123,
                          "objective_title": TITLE},
    "mentioned": {"author_name": NAME, "body": COMMENT, "link": "/objectives/123#chat"},
    "team_digest": {"cycle": "2027-Q1", "team": TEAMS[0], "at_risk": KRS, "check_ins": 9999, "feedback": 9999,
                    "summary": [COMMENT] * 5},
    "source_failing": {"source_name": NAME, "kr_title": TITLE, "objective_id": 123, "kr_id": 40,
                       "error": COMMENT, "key": "k" * 180},
}


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, SlackWebApi]]:
    async with FakeSlack() as fake:
        api = SlackWebApi(TOKEN, fake.url, pacer=None, retries=0, timeout=5)
        try:
            yield fake, api
        finally:
            await api.close()


def test_the_longest_contexts_cover_every_kind() -> None:
    assert set(LONGEST) == set(RENDERERS)


@pytest.mark.parametrize("locale", ["en", "ko"])
async def test_every_message_kind_at_its_longest_is_accepted_by_strict_slack(
        slack: tuple[FakeSlack, SlackWebApi], locale: str) -> None:
    fake, api = slack
    for kind in sorted(RENDERERS):
        for outcome in ((None, "approved", "changes_requested") if kind == "approval_requested" else (None,)):
            ctx = {**LONGEST[kind], **({"outcome": outcome, "decided_by": NAME, "comment": COMMENT} if outcome else {})}
            message = render(kind, locale, BASE, ctx)
            posted = await api.post_message("U0PERSON", message.text, message.blocks)
            await api.update_message(posted.channel, posted.ts, message.text, message.blocks)
    assert fake.invalid == []
    assert len(fake.of("chat.postMessage")) == len(RENDERERS) + 2


@pytest.mark.parametrize("locale", ["en", "ko"])
async def test_every_modal_and_card_at_its_longest_opens_on_strict_slack(
        slack: tuple[FakeSlack, SlackWebApi], locale: str) -> None:
    fake, api = slack
    response_url = "https://hooks.slack.com/actions/T0TEST/" + "1" * 20 + "/" + "x" * 60
    for kr in ({**KRS[0], "kind": "number"}, {**KRS[0], "kind": "boolean"}, {**KRS[0], "kind": "milestone"}):
        meta = {"kr": kr["id"], "title": TITLE, "unit": UNIT, "kind": kr["kind"], "locale": locale}
        await api.open_view("trig", checkin_modal(kr, locale, meta))
    modal = request_changes_modal(123, TITLE, locale, {"response_url": response_url, "locale": locale})
    await api.open_view("trig", modal)
    comment = next(b for b in modal["blocks"] if b.get("block_id") == "comment")["element"]
    assert comment["max_length"] == COMMENT_MAX == 3000  # Slack's most; 5000 made views.open fail
    await api.open_view("trig", info_view("A title longer than Slack's 24 characters", COMMENT))
    card = SlackApp.objective_card(SimpleNamespace(public_url=BASE), OBJ, NAME, locale)  # type: ignore[arg-type]
    await api.unfurl("C0CHAT", "1.2", {f"{BASE}/objectives/123": {"blocks": card}})
    await api.respond(fake.response_url("answer"), {"response_type": "ephemeral", "text": COMMENT * 10,
                                                    "blocks": [section(COMMENT)] * 50})
    assert fake.invalid == []
    assert len(fake.of("views.open")) == 5 and len(fake.of("chat.unfurl")) == 1 and len(fake.responses) == 1


async def test_the_strict_fake_refuses_what_slack_refuses(slack: tuple[FakeSlack, SlackWebApi]) -> None:
    """The old request-changes modal (max_length 5000) straight to the fake: refused as by Slack."""
    fake, _ = slack
    client = AsyncWebClient(token=TOKEN, base_url=fake.url)
    old = request_changes_modal(1, "t", "en", {})
    old["blocks"][1]["element"]["max_length"] = 5000
    with pytest.raises(SlackApiError) as refused:
        await client.views_open(trigger_id="t", view=old)
    assert refused.value.response["error"] == "invalid_arguments"
    long_button = {"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                                    "text": {"type": "plain_text", "text": "x" * 76}}]}
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="U1", text="t", blocks=[long_button])
    assert refused.value.response["error"] == "invalid_blocks"
    assert len(fake.invalid) == 2 and fake.of("chat.postMessage") == []


async def test_what_cannot_be_trimmed_is_refused_before_the_call(slack: tuple[FakeSlack, SlackWebApi]) -> None:
    fake, api = slack
    with pytest.raises(SlackFailure) as refused:
        await api.post_message("U1", "t", [section("x")] * 51)
    assert refused.value.verdict == "failed" and "invalid_blocks" in refused.value.error
    old = request_changes_modal(1, "t", "en", {})
    old["blocks"][1]["element"]["max_length"] = 5000
    with pytest.raises(SlackFailure):
        await api.open_view("trig", old)
    assert fake.calls == []  # nothing reached Slack
    with pytest.raises(BlockKitError):
        fit_blocks([{"type": "actions", "elements": [{"type": "button", "action_id": "a", "value": "v" * 2001,
                                                      "text": {"type": "plain_text", "text": "ok"}}]}])
    with pytest.raises(BlockKitError):
        fit_view({"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": [section("x")],
                  "private_metadata": "m" * 3001})


def test_texts_are_trimmed_without_cutting_a_link_or_an_entity() -> None:
    link = "see <https://boost.example/objectives/1|the objective>"
    assert trim("a" * 10 + link, 20) == "a" * 10 + "see…"
    cut = trim("a" * 10 + link, 30)
    assert "<" not in cut and cut.endswith("…") and len(cut) <= 30
    assert trim("x" * 8 + " &amp; more", 11) == "x" * 8 + "…"
    assert trim("short", 10) == "short"
    view = fit_view({"type": "modal", "title": {"type": "plain_text", "text": "핵심 결과 체크인을 기록하는 양식입니다 정말로 길게"},
                     "blocks": [section("y" * 4000)]})
    assert len(view["title"]["text"]) <= 24 and len(view["blocks"][0]["text"]["text"]) <= 3000
