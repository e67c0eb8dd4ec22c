"""Slack payload fuzzing, through the gateway, with valid signatures (so the garbage gets
past the signature check and reaches the handlers): forms and JSON with missing, extra and
oddly typed fields on `/slack/events`, `/slack/commands` and `/slack/interactions`, from our
workspace and app or another.
Every answer is a 2xx (Slack-style: an ephemeral text, modal errors or an empty 200) or a
4xx problem+json, never a 5xx; the notifier logs no traceback and still works after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.notifier.tests.fake_slack import sign

EXAMPLES = 75

# JSON of any shape, small enough to send quickly.
scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=30)
garbage = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                              max_size=4), max_leaves=12)
ids = st.sampled_from(["U0MEMBER", "U0NOBODY", "", "U" + "9" * 40]) | garbage
# Our workspace and app (the fake's), another one, or garbage: refused or handled, never a 5xx.
teams = st.sampled_from(["T0TEST", "T0OTHER", ""]) | garbage
apps = st.sampled_from(["A0BOOST", "A0OTHER", ""]) | garbage
known_actions = st.sampled_from(["checkin_open", "checkin_open:1", "approve", "request_changes", "snooze", "open", "x"])
object_ids = st.integers(-5, 10**12) | garbage
values = (st.builds(lambda i, t: json.dumps({"id": i, "kr": i, "title": t}), object_ids, st.text(max_size=20))
          | st.text(max_size=40) | garbage)
response_urls = st.sampled_from([None, "", "not a url", 42, "http://127.0.0.1:9/closed"])
actions = st.fixed_dictionaries({}, optional={"action_id": known_actions | garbage, "value": values,
                                              "block_id": garbage, "type": st.sampled_from(["button", "static_select"])})
state = st.fixed_dictionaries({}, optional={"values": st.dictionaries(
    st.sampled_from(["value", "confidence", "note", "comment"]) | st.text(max_size=5),
    st.dictionaries(st.sampled_from(["value", "confidence", "note", "comment"]) | st.text(max_size=5),
                    st.fixed_dictionaries({}, optional={"type": st.sampled_from(["plain_text_input", "static_select"]),
                                                        "value": st.text(max_size=20) | garbage,
                                                        "selected_option": garbage}), max_size=3), max_size=4) | garbage})
metadata = (st.builds(lambda kr, o, loc: json.dumps({"kr": kr, "objective_id": o, "locale": loc}),
                      object_ids, object_ids, st.sampled_from(["en", "ko", "xx", None]))
            | st.text(max_size=30) | garbage)
views = st.fixed_dictionaries({}, optional={
    "callback_id": st.sampled_from(["checkin", "request_changes", "other"]) | garbage,
    "private_metadata": metadata, "state": state | garbage, "type": st.sampled_from(["modal", "home"]) | garbage})
interactions = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut"]) | garbage,
    "user": st.fixed_dictionaries({}, optional={"id": ids}) | garbage,
    "actions": st.lists(actions, max_size=3) | garbage, "view": views | garbage,
    "trigger_id": st.text(max_size=10) | garbage, "response_url": response_urls,
    "team": st.fixed_dictionaries({}, optional={"id": teams}) | garbage, "api_app_id": apps})
events = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["url_verification", "event_callback", "app_rate_limited"]) | garbage,
    "challenge": garbage, "event_id": st.text(max_size=12) | garbage, "team_id": teams, "api_app_id": apps,
    "is_ext_shared_channel": st.booleans() | garbage,
    "event": st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["link_shared", "app_home_opened", "message"]) | garbage, "user": ids,
        "channel": garbage, "message_ts": garbage, "tab": st.sampled_from(["home", "messages"]) | garbage,
        "links": st.lists(st.fixed_dictionaries({}, optional={
            "url": st.sampled_from(["http://127.0.0.1/objectives/1", "https://boost.example/objectives/99999999999",
                                    "https://boost.example/cycles/2027-Q1?kr=x", "javascript:alert(1)"]) | garbage,
            "domain": garbage}), max_size=3) | garbage}) | garbage})
form_text = st.text(max_size=60) | st.sampled_from(["", "help", "team", "team Team A", "team " + "x" * 500, "me",
                                                  "check-in 1 50", "\x00", "%%%"])
commands = st.fixed_dictionaries({}, optional={
    "command": st.sampled_from(["/okr", "/other", ""]) | st.text(max_size=10), "text": form_text,
    "user_id": st.sampled_from(["U0MEMBER", "U0NOBODY", ""]) | st.text(max_size=12),
    "response_url": st.sampled_from(["", "not a url", "http://127.0.0.1:9/closed"]), "trigger_id": st.text(max_size=8),
    "team_id": st.sampled_from(["T0TEST", "T0OTHER"]) | st.text(max_size=8),
    "api_app_id": st.sampled_from(["A0BOOST", "A0OTHER"]) | st.text(max_size=8),
    "channel_id": st.text(max_size=8)}).map(urlencode)
raw_bodies = st.binary(max_size=300) | st.sampled_from([b"", b"payload=", b"payload=%7B", b"payload=null", b"payload=[]",
                                                          b"payload=%FF%FE", b"{", b"[]", b"null", b"\xff\xfe\x00",
                                                          b"payload=" + b"A" * 20000])


@pytest.fixture(scope="module")
def slack(slack_stack: Any) -> Iterator[httpx.Client]:
    log = slack_stack.log_dir / "notifier.log"
    start = log.stat().st_size if log.exists() else 0
    with httpx.Client(base_url=slack_stack.base_url, timeout=15) as client:
        client.notifier_log = (log, start)  # type: ignore[attr-defined]
        yield client


def post(client: httpx.Client, path: str, body: bytes, content_type: str) -> httpx.Response:
    r = client.post(path, content=body, headers={"content-type": content_type, **sign(body)})
    assert r.status_code < 500, f"{path} {body[:300]!r} → {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.text[:200]
    elif r.content:
        r.json()  # a Slack-style JSON answer
    return r


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(payload=interactions | garbage)
def test_interactions_with_odd_payloads(slack: httpx.Client, payload: Any) -> None:
    post(slack, "/slack/interactions", urlencode({"payload": json.dumps(payload)}).encode(),
         "application/x-www-form-urlencoded")


@FUZZ
@given(payload=events | garbage)
def test_events_with_odd_payloads(slack: httpx.Client, payload: Any) -> None:
    r = post(slack, "/slack/events", json.dumps(payload).encode(), "application/json")
    if isinstance(payload, dict) and payload.get("type") == "url_verification" and r.status_code == 200:
        assert "challenge" in r.json()


@FUZZ
@given(form=commands)
def test_commands_with_odd_forms(slack: httpx.Client, form: str) -> None:
    post(slack, "/slack/commands", form.encode(), "application/x-www-form-urlencoded")


@FUZZ
@given(body=raw_bodies, path=st.sampled_from(["/slack/events", "/slack/commands", "/slack/interactions"]),
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]))
def test_raw_bodies_that_are_not_forms_or_json(slack: httpx.Client, body: bytes, path: str, content_type: str) -> None:
    post(slack, path, body, content_type)


def test_after_the_fuzzing_the_notifier_is_ready_and_logged_no_traceback(slack: httpx.Client) -> None:
    import time

    time.sleep(1.0)  # background work started by the fuzzing (modals, DMs) finishes
    assert slack.get("/api/notifier/readyz").status_code == 200
    body = b"command=%2Fokr&text=help&user_id=U0NOBODY"
    r = post(slack, "/slack/commands", body, "application/x-www-form-urlencoded")
    assert r.status_code == 200 and r.json().get("text")
    log, start = slack.notifier_log  # type: ignore[attr-defined]
    with log.open("rb") as f:
        f.seek(start)
        written = f.read().decode(errors="replace")
    problems = [line[:400] for line in written.splitlines() if "Traceback" in line or '"level": "error"' in line
                or '"level": "critical"' in line]
    assert not problems, "\n".join(problems[:5])
