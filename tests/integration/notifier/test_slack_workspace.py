"""Boost stays in its workspace: signed requests naming another team or app change nothing
(answered 200, empty); a bot token of another workspace is reported at start in /readyz;
links unfurl only for members of the org in this workspace's own channels; an event Slack
retries is handled once across two replicas."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from notifier_service.main import create_app

from conftest import running_app
from services.notifier.tests.fake_slack import sign
from tests.support.notifier import PUBLIC_URL, SLACK_IDS, Stack, knobs, notifier_stack
from tests.support.waiting import until


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any]) -> AsyncIterator[Stack]:
    async with notifier_stack(make_settings, "ntfws", settings_overrides={"slack_team_id": "T0TEST"}) as s:
        await until(lambda: s.container.workspace.checked, 10, "auth.test at start")
        yield s


def _event(event_id: str, event: dict[str, Any], **envelope: Any) -> bytes:
    return json.dumps({"type": "event_callback", "event_id": event_id, "team_id": "T0TEST", "api_app_id": "A0BOOST",
                       "event": event, **envelope}).encode()


def _link(stack: Stack, ts: str, user: str, channel: str = "C0CHAT", **extra: Any) -> dict[str, Any]:
    url = f"{PUBLIC_URL}/objectives/{stack.objectives['q1_eng']['id']}"
    return {"type": "link_shared", "channel": channel, "message_ts": ts, "user": user,
            "links": [{"domain": "boost.example", "url": url}], **extra}


async def test_the_token_is_checked_at_start_and_ready_says_so(stack: Stack) -> None:
    assert stack.container.workspace.problem is None and stack.container.workspace.app_id == "A0BOOST"
    ready = await stack.notifier.get("/api/notifier/readyz")
    assert ready.status_code == 200 and ready.json()["dependencies"]["slack"] == "up"


async def test_a_token_of_another_workspace_is_reported_in_readyz(make_settings: Callable[..., Any]) -> None:
    async with notifier_stack(make_settings, "ntfwrongws", seeded=False,
                              settings_overrides={"slack_team_id": "T0OURS"}) as wrong:
        await until(lambda: wrong.container.workspace.checked, 10, "auth.test at start")
        ready = await wrong.notifier.get("/api/notifier/readyz")
        assert ready.status_code == 503
        said = ready.json()["dependencies"]["slack"]
        assert "T0TEST" in said and "BOOST_SLACK_TEAM_ID=T0OURS" in said


async def test_requests_from_another_team_or_app_change_nothing(stack: Stack) -> None:
    assert stack.slack is not None
    # An approval from a "lead" of another workspace (same user id, other team): nothing changes.
    obj = await stack.objective("other", "engineering", "2027-Q2", "Foreign approval", "Thing", submit_by="other")
    rows = await until(lambda: stack.rows(objective_id=obj["id"], kind="approval_requested"), 10, "the request")
    value = next(el["value"] for b in rows[0].blocks if b["type"] == "actions" for el in b["elements"]
                 if el["action_id"] == "approve")
    for team, app in (("T0OTHER", "A0BOOST"), ("T0TEST", "A0OTHER")):
        payload = {"type": "block_actions", "user": {"id": SLACK_IDS["lead"], "team_id": team}, "team": {"id": team},
                   "api_app_id": app, "trigger_id": "t", "response_url": stack.slack.response_url("foreign"),
                   "actions": [{"type": "button", "action_id": "approve", "value": value}]}
        r = await stack.slack_post("/slack/interactions", urlencode({"payload": json.dumps(payload)}).encode())
        assert r.status_code == 200 and r.content == b""
        command = urlencode({"command": "/okr", "text": "", "user_id": SLACK_IDS["lead"], "team_id": team,
                             "api_app_id": app, "response_url": stack.slack.response_url("foreign")}).encode()
        r = await stack.slack_post("/slack/commands", command)
        assert r.status_code == 200 and r.content == b""
        body = json.dumps({"type": "event_callback", "event_id": f"EvF{team}{app}", "team_id": team, "api_app_id": app,
                           "event": _link(stack, f"9.{team}", SLACK_IDS["member"])}).encode()
        assert (await stack.slack_post("/slack/events", body, "application/json")).status_code == 200
    await asyncio.sleep(1.0)
    assert (await stack.call("admin", "GET", f"/api/okr/objectives/{obj['id']}"))["status"] == "submitted"
    assert [n for n, _ in stack.slack.responses if n == "foreign"] == []
    assert stack.slack.of("chat.unfurl") == [] or all(not c.params.get("ts", "").startswith("9.")
                                                       for c in stack.slack.of("chat.unfurl"))
    # The same approval from our own workspace and app works.
    payload = {"type": "block_actions", "user": {"id": SLACK_IDS["lead"]}, "team": {"id": "T0TEST"},
               "api_app_id": "A0BOOST", "trigger_id": "t", "response_url": stack.slack.response_url("ours"),
               "actions": [{"type": "button", "action_id": "approve", "value": value}]}
    await stack.slack_post("/slack/interactions", urlencode({"payload": json.dumps(payload)}).encode())
    await until(lambda: [b for n, b in stack.slack.responses if n == "ours"], 10, "the answer")
    assert (await stack.call("admin", "GET", f"/api/okr/objectives/{obj['id']}"))["status"] == "approved"


async def test_links_unfurl_only_for_members_in_our_own_channels(stack: Stack) -> None:
    assert stack.slack is not None
    shared = _event("EvExt", _link(stack, "7.1", SLACK_IDS["member"], "C0CONNECT"), is_ext_shared_channel=True)
    guest = _event("EvGuest", _link(stack, "7.2", "U0GUEST"))  # a guest: not imported, not a Boost user
    composer = _event("EvComposer", _link(stack, "7.3", SLACK_IDS["member"], "COMPOSER", source="composer",
                                          unfurl_id="UF1"))
    member = _event("EvMember", _link(stack, "7.4", SLACK_IDS["member"]))
    for body in (shared, guest, composer, member):
        assert (await stack.slack_post("/slack/events", body, "application/json")).status_code == 200
    await until(lambda: [c for c in stack.slack.of("chat.unfurl") if c.params.get("ts") == "7.4"], 10, "the member's")
    await asyncio.sleep(0.5)
    unfurled = {c.params.get("ts") for c in stack.slack.of("chat.unfurl")} | {
        c.params.get("unfurl_id") for c in stack.slack.of("chat.unfurl")}
    assert not unfurled & {"7.1", "7.2", "7.3", "UF1"}


async def test_an_event_retried_by_slack_is_handled_once_across_replicas(stack: Stack) -> None:
    assert stack.slack is not None
    second = create_app(stack.settings, stack.clock, knobs())
    async with running_app(second) as replica:
        body = _event("EvHomeOnce", {"type": "app_home_opened", "user": SLACK_IDS["member"], "tab": "home"})
        first = await stack.slack_post("/slack/events", body, "application/json")
        retry_headers = {**sign(body), "Content-Type": "application/json", "X-Slack-Retry-Num": "1",
                         "X-Slack-Retry-Reason": "http_timeout"}
        retried = await replica.post("/slack/events", content=body, headers=retry_headers)
        assert first.status_code == retried.status_code == 200
        await until(lambda: [c for c in stack.slack.of("views.publish")  # type: ignore[union-attr]
                             if c.params.get("user_id") == SLACK_IDS["member"]], 10, "App Home")
        await asyncio.sleep(1.0)
        assert len([c for c in stack.slack.of("views.publish") if c.params.get("user_id") == SLACK_IDS["member"]]) == 1



async def test_admins_pick_a_teams_channel_from_slack_and_see_when_boost_is_not_in_it(stack: Stack) -> None:
    assert stack.slack is not None
    stack.slack.channels = [
        {"id": "C0GENERAL", "name": "general", "is_private": False, "is_member": True},
        {"id": "C0RANDOM", "name": "random", "is_private": False, "is_member": False},
        {"id": "G0PRODUCT", "name": "product-leads", "is_private": True, "is_member": True},
        {"id": "G0SECRET", "name": "secret", "is_private": True, "is_member": False},
        {"id": "C0PARTNER", "name": "partner-connect", "is_private": False, "is_member": True, "is_ext_shared": True},
        {"id": "C0OLD", "name": "old", "is_private": False, "is_member": True, "is_archived": True},
    ]
    member = await stack.notifier.get("/api/notifier/slack/channels", headers=await stack.as_("member"))
    assert member.status_code == 403
    listed = await stack.notifier.get("/api/notifier/slack/channels", headers=stack.headers["admin"])
    assert listed.status_code == 200, listed.text
    got = {c["name"]: c for c in listed.json()}
    assert set(got) == {"general", "random", "product-leads"}  # not the secret, shared or archived ones
    assert got["product-leads"]["is_private"] and got["product-leads"]["is_member"] and got["general"]["note"] is None
    assert got["random"]["is_member"] is False and "not in this channel" in got["random"]["note"]
    secret = (await stack.notifier.get("/api/notifier/slack/channels/G0SECRET", headers=stack.headers["admin"])).json()
    assert secret["is_member"] is False and "can't see this channel" in secret["note"]
    shared = (await stack.notifier.get("/api/notifier/slack/channels/C0PARTNER", headers=stack.headers["admin"])).json()
    assert "outside the org" in shared["note"]
    bad = await stack.notifier.get("/api/notifier/slack/channels/not-an-id", headers=stack.headers["admin"])
    assert bad.status_code == 422
