"""The permission matrix of the whole system, in one table: a member, a lead, an admin and a
guest, each against their own team's things and another team's, on every mutating route of okr,
feedback, notifier and scheduler (and the admin and personal reads), every Socket.IO room
join and edit, and every Slack action (the check-in modal, Approve, Request changes),
signed with the test signing secret. Everything goes through the gateway of a real stack.

The rules (ARCHITECTURE.md §2, §3, §4): everyone reads everything and may join any room;
members and leads write their team's objectives, key results and check-ins; approvals are
a lead of the parent team's or an admin's; org, people and teams are admins'; a person
changes only their own preferences, check-ins (24 h), feedback text and messages; feedback
is resolved by whom it is addressed to; admins moderate messages. A guest (org role
`guest`) reads everything, joins any room and sets their own preferences, and writes
nothing else, whatever their teams.

People: `member` and `lead` of team A; A1 is a team under A (its objectives are decided by
A's lead); B is another team under the company. "own" is the actor's team A (for decisions:
A1, the team below), or the actor's own check-in / feedback / message / self; "other" is
team B, or someone else's. The `guest` is a *lead* of team A (so every refusal in their
column is the guest rule's, not a missing team right); their own check-ins, feedback,
messages and reaction were made while they were still a member, before an admin made them
a guest."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import socketio

from services.notifier.tests.fake_slack import sign

CYCLE = "2027-Q1"  # running at the stack's clock
ROLES = ("member", "lead", "admin", "guest")
SCOPES = ("own", "other")
ALLOW, DENY = "allow", "deny"
_serial = count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


@dataclass
class World:
    http: httpx.AsyncClient
    base_url: str
    slack_url: str  # the fake Slack: what Boost told people (GET /_said/{to})
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    slack_ids: dict[str, str] = field(default_factory=dict)
    # What the guest made while still a member, one per cell that needs "their own" thing.
    guest_made: dict[str, list[str]] = field(default_factory=dict)

    def guest_own(self, who: str, scope: str, kind: str) -> str | None:
        if who == "guest" and scope == "own":
            return self.guest_made[kind].pop()
        return None

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def uid(self, who: str) -> int:
        return int(self.users[who]["id"])

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers={**self.auth(who), **kwargs.pop("headers", {})}, **kwargs)

    async def ok(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        r = await self.call(who, method, path, **kwargs)
        assert r.status_code < 300, f"setup {method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def team(self, scope: str) -> int:
        return self.teams["A" if scope == "own" else "B"]

    def decided_team(self, scope: str) -> int:
        """The team whose objectives the actor's side decides on: A1 (under A) or B."""
        return self.teams["A1" if scope == "own" else "B"]

    async def objective(self, team_id: int, *, submitted: bool = False, deleted: bool = False,
                        owner: str = "admin") -> dict[str, Any]:
        obj = await self.ok("admin", "POST", "/api/okr/objectives", json={
            "cycle": CYCLE, "team_id": team_id, "title": unique("Objective "), "owner_id": self.uid(owner),
            "key_results": [{"title": "Revenue", "start": 0, "target": 100, "owner_id": self.uid(owner)}]})
        if submitted:
            obj = await self.ok("admin", "POST", f"/api/okr/objectives/{obj['id']}/submit")
        if deleted:
            await self.ok("admin", "DELETE", f"/api/okr/objectives/{obj['id']}")
        return obj  # type: ignore[no-any-return]

    async def person(self) -> dict[str, Any]:
        return await self.ok("admin", "POST", "/api/okr/users",  # type: ignore[no-any-return]
                             json={"email": f"{unique('temp')}@x.example", "name": "Temp"})

    async def status_of(self, objective_id: int) -> str:
        return str((await self.ok("admin", "GET", f"/api/okr/objectives/{objective_id}"))["status"])


@pytest.fixture(scope="module")
async def world(slack_stack: Any, fake_slack_url: str) -> AsyncIterator[World]:
    async with httpx.AsyncClient(base_url=slack_stack.base_url, timeout=15) as http:
        w = World(http, slack_stack.base_url, fake_slack_url.removesuffix("api/"))

        async def sign_in(who: str, email: str) -> None:
            r = await http.post("/api/auth/dev-login", json={"email": email})
            assert r.status_code == 200, r.text
            http.cookies.clear()
            w.tokens[who], w.users[who] = r.json()["token"], r.json()["user"]

        await sign_in("admin", "admin@boost.example")
        names = ("member", "lead", "member_a1", "member_b", "lead_b", "guest")
        for who in names:
            await w.ok("admin", "POST", "/api/okr/users", json={"email": f"{who}@x.example", "name": who.title()})
        for who in ("admin", *names):
            w.slack_ids[who] = f"U0{who.upper().replace('_', '')}"
        for who in names:
            await sign_in(who, f"{who}@x.example")
        for who in ("admin", *names):
            await w.ok("admin", "PATCH", f"/api/okr/users/{w.uid(who)}", json={"slack_user_id": w.slack_ids[who]})
        root = next(t for t in await w.ok("admin", "GET", "/api/okr/teams") if t["parent_id"] is None)
        a = await w.ok("admin", "POST", "/api/okr/teams", json={"name": "Team A", "parent_id": root["id"], "members": [
            {"user_id": w.uid("lead"), "role": "lead"}, {"user_id": w.uid("member"), "role": "member"},
            {"user_id": w.uid("guest"), "role": "lead"}]})
        a1 = await w.ok("admin", "POST", "/api/okr/teams", json={"name": "Team A1", "parent_id": a["id"], "members": [
            {"user_id": w.uid("member_a1"), "role": "member"}]})
        b = await w.ok("admin", "POST", "/api/okr/teams", json={"name": "Team B", "parent_id": root["id"], "members": [
            {"user_id": w.uid("lead_b"), "role": "lead"}, {"user_id": w.uid("member_b"), "role": "member"}]})
        w.teams = {"root": root["id"], "A": a["id"], "A1": a1["id"], "B": b["id"]}
        # feedback decides from its read model of okr: wait until it knows the teams.
        deadline = time.monotonic() + 20
        while True:
            r = await w.call("member", "POST", "/api/feedback/feedback",
                             json={"kind": "retro", "team_id": w.teams["B"], "cycle": "2020-Q1", "body": "probe"})
            if r.status_code == 403:
                break
            assert time.monotonic() < deadline, f"feedback's read model did not catch up: {r.status_code} {r.text}"
            await asyncio.sleep(0.2)
        await make_guest(w)
        yield w


async def make_guest(w: World) -> None:
    """The guest's own things, made while a member; then an admin makes them a guest, and
    feedback (which learns roles from okr's user events) refuses them."""
    made: dict[str, list[str]] = {"check_in": [], "feedback": [], "message": [], "reaction": []}
    for _ in range(2):
        obj = await w.objective(w.team("own"))
        ci = await w.ok("guest", "POST", f"/api/okr/key-results/{obj['key_results'][0]['id']}/check-ins", json={"value": 10})
        made["check_in"].append(f"/api/okr/check-ins/{ci['check_in']['id'] if 'check_in' in ci else ci['id']}")
    fb = await w.ok("guest", "POST", "/api/feedback/feedback",
                    json={"kind": "praise", "to_team_id": w.team("other"), "body": "Nice"})
    made["feedback"].append(f"/api/feedback/feedback/{fb['id']}")
    for _ in range(3):
        msg = await w.ok("guest", "POST", await p_thread(w, "guest", "own"), json={"body": "hello"})
        made["message"].append(f"/api/feedback/messages/{msg['id']}")
    msg = await w.ok("guest", "POST", await p_thread(w, "guest", "own"), json={"body": "hello"})
    await w.ok("guest", "PUT", f"/api/feedback/messages/{msg['id']}/reactions/%F0%9F%91%8D")
    made["reaction"].append(f"/api/feedback/messages/{msg['id']}/reactions/%F0%9F%91%8D")
    w.guest_made = made
    await w.ok("admin", "PATCH", f"/api/okr/users/{w.uid('guest')}", json={"role": "guest"})
    deadline = time.monotonic() + 20
    while True:
        r = await w.call("guest", "POST", "/api/feedback/feedback",
                         json={"kind": "praise", "to_team_id": w.team("other"), "body": "probe"})
        if r.status_code == 403:
            break
        assert r.status_code == 201 and time.monotonic() < deadline, f"feedback did not learn the guest: {r.text}"
        await asyncio.sleep(0.2)


# ---------------------------------------------------------------------------- the cells
# Each action: (world, who, scope) → "allow" or "deny", doing what a person would do and
# checking what they would see (a 2xx, or a 403 problem+json; on Slack, okr's refusal told
# to them, on the modal, under the message or in a DM, and nothing changed).

Action = Callable[[World, str, str], Awaitable[str]]


def verdict(r: httpx.Response) -> str:
    if 200 <= r.status_code < 300:
        return ALLOW
    assert r.status_code == 403, f"expected 2xx or 403, got {r.status_code}: {r.text}"
    assert r.headers["content-type"].startswith("application/problem+json")
    return DENY


def rest(method: str, path: Callable[[World, str, str], Awaitable[str]],
         body: Callable[[World, str, str], Awaitable[Any]] | None = None, *, raw: bool = False) -> Action:
    async def act(w: World, who: str, scope: str) -> str:
        url = await path(w, who, scope)
        payload = await body(w, who, scope) if body else None
        if raw:
            return verdict(await w.call(who, method, url, content=payload, headers={"content-type": "text/csv"}))
        return verdict(await w.call(who, method, url, json=payload))
    return act


def fixed(value: Any) -> Callable[[World, str, str], Awaitable[Any]]:
    async def get(w: World, who: str, scope: str) -> Any:
        return value
    return get


# okr ------------------------------------------------------------------------

async def p_objectives(w: World, who: str, scope: str) -> str:
    return "/api/okr/objectives"


async def b_new_objective(w: World, who: str, scope: str) -> Any:
    return {"cycle": CYCLE, "team_id": w.team(scope), "title": unique("New ")}


def on_objective(suffix: str = "", *, submitted: bool = False, deleted: bool = False, decided: bool = False,
                 owner: str = "admin") -> Callable[[World, str, str], Awaitable[str]]:
    async def path(w: World, who: str, scope: str) -> str:
        team = w.decided_team(scope) if decided else w.team(scope)
        owner_ = ("member_a1" if scope == "own" else "member_b") if decided else owner
        obj = await w.objective(team, submitted=submitted, deleted=deleted, owner=owner_)
        return f"/api/okr/objectives/{obj['id']}{suffix}"
    return path


async def b_patch_objective(w: World, who: str, scope: str) -> Any:
    return {"version": 1, "description": "Changed"}


async def p_key_result(w: World, who: str, scope: str) -> str:
    obj = await w.objective(w.team(scope))
    return f"/api/okr/key-results/{obj['key_results'][0]['id']}"


async def p_deleted_key_result(w: World, who: str, scope: str) -> str:
    path = await p_key_result(w, who, scope)
    await w.ok("admin", "DELETE", path)
    return f"{path}/restore"


async def p_check_ins(w: World, who: str, scope: str) -> str:
    return f"{await p_key_result(w, who, scope)}/check-ins"


async def p_check_in(w: World, who: str, scope: str) -> str:
    """own: a check-in the actor made on their team's KR; other: someone else's."""
    if made := w.guest_own(who, scope, "check_in"):
        return made
    if scope == "own":
        kr = await p_key_result(w, who, "own")
        made = await w.ok(who, "POST", f"{kr}/check-ins", json={"value": 10})
    else:
        kr = await p_key_result(w, who, "other")
        made = await w.ok("member_b", "POST", f"{kr}/check-ins", json={"value": 10})
    return f"/api/okr/check-ins/{made['check_in']['id'] if 'check_in' in made else made['id']}"


async def p_user(w: World, who: str, scope: str) -> str:
    target = w.uid(who) if scope == "own" else int((await w.person())["id"])
    return f"/api/okr/users/{target}"


async def p_team(w: World, who: str, scope: str) -> str:
    return f"/api/okr/teams/{w.team(scope)}"


async def p_membership(w: World, who: str, scope: str) -> str:
    return f"/api/okr/teams/{w.team(scope)}/members/{(await w.person())['id']}"


async def p_existing_membership(w: World, who: str, scope: str) -> str:
    path = await p_membership(w, who, scope)
    await w.ok("admin", "PUT", path, json={"role": "member"})
    return path


async def b_new_team(w: World, who: str, scope: str) -> Any:
    return {"name": unique("Team "), "parent_id": w.team(scope)}


async def b_new_user(w: World, who: str, scope: str) -> Any:
    return {"email": f"{unique('new')}@x.example", "name": "New person"}


async def b_csv(w: World, who: str, scope: str) -> Any:
    return f"email,name,team\n{unique('csv')}@x.example,Imported,{'Team A' if scope == 'own' else 'Team B'}\n".encode()


async def p_closed_objective_carry_over(w: World, who: str, scope: str) -> str:
    obj = await w.objective(w.team(scope))
    await w.ok("admin", "POST", f"/api/okr/objectives/{obj['id']}/close", json={"score": 0.3, "note": ""})
    return f"/api/okr/objectives/{obj['id']}/carry-over"


async def b_check_ins_csv(w: World, who: str, scope: str) -> Any:
    obj = await w.objective(w.team(scope))
    return f"key_result_id,created_at,value\n{obj['key_results'][0]['id']},2027-01-05,7\n".encode()


# feedback --------------------------------------------------------------------

async def p_feedback(w: World, who: str, scope: str) -> str:
    return "/api/feedback/feedback"


async def b_praise(w: World, who: str, scope: str) -> Any:
    return {"kind": "praise", "to_team_id": w.team(scope), "body": "Well done"}


async def b_retro(w: World, who: str, scope: str) -> Any:
    cycle = {"member": "2026-Q1", "lead": "2026-Q2", "admin": "2026-Q3", "guest": "2026-Q4"}[who]  # one retro per team and cycle
    return {"kind": "retro", "team_id": w.team(scope), "cycle": cycle, "went_well": "a", "to_improve": "b",
            "score": 0.7}


async def p_feedback_to_team(w: World, who: str, scope: str) -> str:
    made = await w.ok("member_b", "POST", "/api/feedback/feedback",
                      json={"kind": "suggestion", "to_team_id": w.team(scope), "body": "Try this"})
    return f"/api/feedback/feedback/{made['id']}"


async def p_feedback_written(w: World, who: str, scope: str) -> str:
    if made := w.guest_own(who, scope, "feedback"):
        return made
    author = who if scope == "own" else "member_b"
    made = await w.ok(author, "POST", "/api/feedback/feedback",
                      json={"kind": "praise", "to_team_id": w.team("other"), "body": "Nice"})
    return f"/api/feedback/feedback/{made['id']}"


async def p_thread(w: World, who: str, scope: str) -> str:
    return f"/api/feedback/threads/draft:2027-Q2:team:{w.team(scope)}/messages"


async def p_message(w: World, who: str, scope: str) -> str:
    if made := w.guest_own(who, scope, "message"):
        return made
    author = who if scope == "own" else "member_b"
    made = await w.ok(author, "POST", await p_thread(w, who, "own"), json={"body": "hello"})
    return f"/api/feedback/messages/{made['id']}"


async def p_reaction(w: World, who: str, scope: str) -> str:
    return f"{await p_message(w, who, scope)}/reactions/%F0%9F%91%8D"


async def p_my_reaction(w: World, who: str, scope: str) -> str:
    if made := w.guest_own(who, scope, "reaction"):
        return made
    path = await p_reaction(w, who, scope)
    await w.ok("member_b" if who == "guest" else who, "PUT", path)  # a guest reacts no more
    return path


# notifier, scheduler ------------------------------------------------------------

async def p_deliveries(w: World, who: str, scope: str) -> str:
    return f"/api/notifier/deliveries?user_id={'me' if scope == 'own' else w.uid('member_b')}"


# Socket.IO ------------------------------------------------------------------------

async def socket_ack(w: World, who: str, event: str, data: Any) -> dict[str, Any]:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(w.base_url, transports=["websocket"], auth={"token": w.tokens[who]}, wait_timeout=5)
    try:
        return dict(await sio.call(event, data, timeout=10))
    finally:
        await sio.disconnect()


def socket_verdict(ack: dict[str, Any]) -> str:
    if ack.get("ok") is True:
        return ALLOW
    assert ack.get("status") == 403, ack
    return DENY


def subscribe(room: Callable[[World, str], Awaitable[str]]) -> Action:
    async def act(w: World, who: str, scope: str) -> str:
        return socket_verdict(await socket_ack(w, who, "subscribe", {"room": await room(w, scope)}))
    return act


async def r_team(w: World, scope: str) -> str:
    return f"team:{w.team(scope)}:{CYCLE}"


async def r_objective(w: World, scope: str) -> str:
    return f"objective:{(await w.objective(w.team(scope)))['id']}"


async def r_thread(w: World, scope: str) -> str:
    return f"thread:draft:2027-Q2:team:{w.team(scope)}"


async def r_cycle(w: World, scope: str) -> str:
    return f"cycle:{CYCLE}"


def socket_edit(entity: str) -> Action:
    async def act(w: World, who: str, scope: str) -> str:
        obj = await w.objective(w.team(scope))
        target = obj if entity == "objective" else obj["key_results"][0]
        changes = {"description": "Live"} if entity == "objective" else {"title": "Live"}
        return socket_verdict(await socket_ack(w, who, "edit", {
            "entity": entity, "id": target["id"], "changes": changes, "version": target["version"],
            "op_id": unique("perm-")}))
    return act


async def socket_presence(w: World, who: str, scope: str) -> str:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(w.base_url, transports=["websocket"], auth={"token": w.tokens[who]}, wait_timeout=5)
    try:
        room = await r_team(w, scope)
        assert (await sio.call("subscribe", {"room": room}, timeout=10))["ok"]
        return socket_verdict(dict(await sio.call("presence", {"room": room, "field": None}, timeout=10)))
    finally:
        await sio.disconnect()


# Slack ----------------------------------------------------------------------------
# A Slack "deny" is positive, never inferred from silence: the person is told why, in the
# words okr's own refusal uses (the same action over REST, by the same person, on the same
# objective, answers 403 with that sentence), AND nothing changed. A handler that breaks
# (raises, or never answers) tells nobody that sentence, so its deny cells fail.

SAID_WAIT = 6.0  # seconds to wait for what Boost tells the person (its answers come after okr's)


async def slack_interaction(w: World, payload: dict[str, Any]) -> httpx.Response:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return await w.http.post("/slack/interactions", content=body, headers={
        "content-type": "application/x-www-form-urlencoded", **sign(body)})


async def said(w: World, to: str) -> dict[str, list[dict[str, Any]]]:
    """What the fake Slack recorded Boost saying to `to` (a response_url's name, or a Slack
    user id: their DMs and ephemerals)."""
    async with httpx.AsyncClient(base_url=w.slack_url, timeout=5) as fake:
        r = await fake.get(f"/_said/{to}")
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


def texts(entries: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("text") or "") + json.dumps(e.get("blocks") or []) for e in entries]


async def told(w: World, to: str, sentence: str, *, responses: bool = False, after: int = 0) -> bool:
    """Within SAID_WAIT, is `to` told `sentence` (in a response_url answer, or a DM/ephemeral
    newer than the first `after` ones)?"""
    deadline = time.monotonic() + SAID_WAIT
    while True:
        got = await said(w, to)
        entries = got["responses"] if responses else got["messages"][after:]
        if any(sentence in text for text in texts(entries)):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)


async def refusal(w: World, who: str, method: str, path: str, body: Any = None) -> str:
    """okr's refusal of the same action over REST, by the same person: the sentence a Slack
    refusal must tell them. (Asked only after Slack refused: a 403 changes nothing.)"""
    r = await w.call(who, method, path, json=body)
    assert r.status_code == 403, f"Slack refused what REST allows ({r.status_code}: {r.text})"
    return str(r.json()["detail"])


async def slack_check_in(w: World, who: str, scope: str) -> str:
    kr = (await w.objective(w.team(scope)))["key_results"][0]
    checkins = f"/api/okr/key-results/{kr['id']}/check-ins"
    dms_before = len((await said(w, w.slack_ids[who]))["messages"])
    r = await slack_interaction(w, {
        "type": "view_submission", "user": {"id": w.slack_ids[who]}, "trigger_id": "t",
        "view": {"callback_id": "checkin", "private_metadata": json.dumps({"kr": kr["id"], "title": kr["title"]}),
                 "state": {"values": {"value": {"value": {"type": "plain_text_input", "value": "42"}},
                                      "note": {"note": {"type": "plain_text_input", "value": "from Slack"}}}}}})
    assert r.status_code == 200, r.text
    answer = r.json() if r.content else {}
    if answer.get("response_action") == "errors":  # refused within Slack's 3 s: said on the modal
        sentence = await refusal(w, who, "POST", checkins, {"value": 42})
        assert answer["errors"] == {"value": sentence[:150]}, (answer, sentence)
        assert not await w.ok("admin", "GET", checkins)
        return DENY
    assert answer.get("response_action") in (None, "update"), answer  # closed, or "saving…" past the 3 s budget
    deadline = time.monotonic() + 3
    while not await w.ok("admin", "GET", checkins):
        if time.monotonic() > deadline:
            # Refused after the modal closed: a DM must say okr's refusal, and nothing recorded.
            sentence = await refusal(w, who, "POST", checkins, {"value": 42})
            assert await told(w, w.slack_ids[who], sentence, after=dms_before), f"nobody told {who}: {sentence}"
            assert not await w.ok("admin", "GET", checkins)
            return DENY
        await asyncio.sleep(0.1)
    return ALLOW


async def wait_status(w: World, objective_id: int, wanted: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await w.status_of(objective_id) == wanted:
            return True
        await asyncio.sleep(0.1)
    return await w.status_of(objective_id) == wanted


async def slack_approve(w: World, who: str, scope: str) -> str:
    owner = "member_a1" if scope == "own" else "member_b"
    obj = await w.objective(w.decided_team(scope), submitted=True, owner=owner)
    answer_to = unique("approve-")
    r = await slack_interaction(w, {
        "type": "block_actions", "user": {"id": w.slack_ids[who]}, "trigger_id": "t",
        "response_url": f"{w.slack_url}response/{answer_to}",
        "actions": [{"action_id": "approve", "value": json.dumps({"id": obj["id"], "title": obj["title"]})}]})
    assert r.status_code == 200, r.text
    # The button answers at once; the decision follows, and then an ephemeral under the message.
    if await wait_status(w, obj["id"], "approved", 2.0):
        return ALLOW
    sentence = await refusal(w, who, "POST", f"/api/okr/objectives/{obj['id']}/approve")
    assert await told(w, answer_to, sentence, responses=True), \
        f"{who} was not told {sentence!r}: {(await said(w, answer_to))['responses']}"
    assert await w.status_of(obj["id"]) == "submitted"
    return DENY


async def slack_request_changes(w: World, who: str, scope: str) -> str:
    owner = "member_a1" if scope == "own" else "member_b"
    obj = await w.objective(w.decided_team(scope), submitted=True, owner=owner)
    path = f"/api/okr/objectives/{obj['id']}/request-changes"
    dms_before = len((await said(w, w.slack_ids[who]))["messages"])
    r = await slack_interaction(w, {
        "type": "view_submission", "user": {"id": w.slack_ids[who]}, "trigger_id": "t",
        "view": {"callback_id": "request_changes", "private_metadata": json.dumps({"objective_id": obj["id"]}),
                 "state": {"values": {"comment": {"comment": {"type": "plain_text_input", "value": "Sharper KRs"}}}}}})
    assert r.status_code == 200, r.text
    answer = r.json() if r.content else {}
    if answer.get("response_action") == "errors":  # refused on the modal itself
        sentence = await refusal(w, who, "POST", path, {"comment": "Sharper KRs"})
        assert answer["errors"] == {"comment": sentence[:150]}, (answer, sentence)
        assert await w.status_of(obj["id"]) == "submitted"
        return DENY
    if await wait_status(w, obj["id"], "changes_requested", 2.0):
        return ALLOW
    sentence = await refusal(w, who, "POST", path, {"comment": "Sharper KRs"})  # refused after the modal closed
    assert await told(w, w.slack_ids[who], sentence, after=dms_before), f"nobody told {who}: {sentence}"
    assert await w.status_of(obj["id"]) == "submitted"
    return DENY


# ---------------------------------------------------------------------------- the table
A, D = ALLOW, DENY
#            member own/other, lead own/other, admin own/other, guest own/other
READ = (A, A, A, A, A, A, A, A)  # reads, room joins, presence: everyone, guests too
EVERYONE = (A, A, A, A, A, A, D, D)  # writes anyone in the org makes; never a guest
TEAM = (A, D, A, D, A, A, D, D)
DECIDER = (D, D, A, D, A, A, D, D)
ADMIN = (D, D, D, D, A, A, D, D)
SELF = (A, D, A, D, A, A, D, D)  # their own check-in, message: a guest's too is refused
PREFERENCES = (A, D, A, D, A, A, A, D)  # a guest still sets their own language and timezone
AUTHOR = (A, D, A, D, A, D, D, D)

MATRIX: list[tuple[str, str, tuple[str, ...], Action]] = [
    # okr: org, people, teams
    ("okr", "PATCH /org", ADMIN, rest("PATCH", fixed("/api/okr/org"), fixed({"name": "Boost Test Org"}))),
    ("okr", "POST /users", ADMIN, rest("POST", fixed("/api/okr/users"), b_new_user)),
    ("okr", "PATCH /users/{id} (preferences)", PREFERENCES, rest("PATCH", p_user, fixed({"locale": "en", "timezone": "Asia/Seoul"}))),
    ("okr", "PATCH /users/{id} (role)", ADMIN, rest("PATCH", p_user, fixed({"role": "admin"}))),
    ("okr", "PATCH /users/{id} (name, Slack id)", ADMIN, rest("PATCH", p_user, fixed({"name": "Renamed"}))),
    ("okr", "POST /import", ADMIN, rest("POST", fixed("/api/okr/import"), b_csv, raw=True)),
    ("okr", "POST /teams", ADMIN, rest("POST", fixed("/api/okr/teams"), b_new_team)),
    ("okr", "PATCH /teams/{id}", ADMIN, rest("PATCH", p_team, fixed({"slack_channel_id": "C0TEAM"}))),
    ("okr", "PUT /teams/{id}/members/{user}", ADMIN, rest("PUT", p_membership, fixed({"role": "member"}))),
    ("okr", "DELETE /teams/{id}/members/{user}", ADMIN, rest("DELETE", p_existing_membership)),
    # okr: objectives and key results
    ("okr", "POST /objectives", TEAM, rest("POST", p_objectives, b_new_objective)),
    ("okr", "PATCH /objectives/{id}", TEAM, rest("PATCH", on_objective(), b_patch_objective)),
    ("okr", "DELETE /objectives/{id}", TEAM, rest("DELETE", on_objective())),
    ("okr", "POST /objectives/{id}/restore", TEAM, rest("POST", on_objective("/restore", deleted=True))),
    ("okr", "POST /objectives/{id}/submit", TEAM, rest("POST", on_objective("/submit"))),
    ("okr", "POST /objectives/{id}/approve", DECIDER, rest("POST", on_objective("/approve", submitted=True, decided=True))),
    ("okr", "POST /objectives/{id}/request-changes", DECIDER,
     rest("POST", on_objective("/request-changes", submitted=True, decided=True), fixed({"comment": "Sharper"}))),
    ("okr", "POST /objectives/{id}/close", (D, D, A, D, A, A, D, D),  # the owner, a lead of its team, an admin
     rest("POST", on_objective("/close"), fixed({"score": 0.6, "note": "done"}))),
    # Carrying over an open objective closes it first: the close's rule; a closed one, the team's.
    ("okr", "POST /objectives/{id}/carry-over (open)", (D, D, A, D, A, A, D, D), rest("POST", on_objective("/carry-over"))),
    ("okr", "POST /objectives/{id}/carry-over (closed)", TEAM, rest("POST", p_closed_objective_carry_over)),
    ("okr", "POST /objectives/{id}/key-results", TEAM,
     rest("POST", on_objective("/key-results"), fixed({"title": "New KR", "start": 0, "target": 5}))),
    ("okr", "PATCH /key-results/{id}", TEAM, rest("PATCH", p_key_result, fixed({"version": 1, "title": "Renamed KR"}))),
    ("okr", "DELETE /key-results/{id}", TEAM, rest("DELETE", p_key_result)),
    ("okr", "POST /key-results/{id}/restore", TEAM, rest("POST", p_deleted_key_result)),
    ("okr", "POST /key-results/{id}/check-ins", TEAM, rest("POST", p_check_ins, fixed({"value": 7, "confidence": 6}))),
    ("okr", "POST /key-results/{id}/check-ins (back-filled)", ADMIN,
     rest("POST", p_check_ins, fixed({"value": 7, "created_at": "2027-01-05T10:00:00+09:00"}))),
    ("okr", "POST /check-ins/import", ADMIN, rest("POST", fixed("/api/okr/check-ins/import"), b_check_ins_csv, raw=True)),
    ("okr", "PATCH /check-ins/{id}", SELF, rest("PATCH", p_check_in, fixed({"value": 11}))),
    ("okr", "DELETE /check-ins/{id}", SELF, rest("DELETE", p_check_in)),
    # feedback
    ("feedback", "POST /feedback (praise)", EVERYONE, rest("POST", p_feedback, b_praise)),
    ("feedback", "POST /feedback (retro)", TEAM, rest("POST", p_feedback, b_retro)),
    ("feedback", "PATCH /feedback/{id} (resolved)", (A, D, A, D, D, D, D, D),  # whom it is addressed to
     rest("PATCH", p_feedback_to_team, fixed({"resolved": True}))),
    ("feedback", "PATCH /feedback/{id} (body)", AUTHOR, rest("PATCH", p_feedback_written, fixed({"body": "Edited", "version": 1}))),
    ("feedback", "POST /threads/{subject}/messages", EVERYONE, rest("POST", p_thread, fixed({"body": "hi <@1>"}))),
    ("feedback", "PATCH /messages/{id}", AUTHOR, rest("PATCH", p_message, fixed({"body": "edited"}))),
    ("feedback", "DELETE /messages/{id}", SELF, rest("DELETE", p_message)),  # admins moderate
    ("feedback", "PUT /messages/{id}/reactions/{emoji}", EVERYONE, rest("PUT", p_reaction)),
    ("feedback", "DELETE /messages/{id}/reactions/{emoji}", EVERYONE, rest("DELETE", p_my_reaction)),
    # notifier, scheduler
    ("notifier", "POST /directory/sync", ADMIN, rest("POST", fixed("/api/notifier/directory/sync"))),
    ("notifier", "GET /deliveries?user_id=", PREFERENCES, rest("GET", p_deliveries)),  # one's own
    ("scheduler", "GET /reminders", ADMIN, rest("GET", fixed("/api/scheduler/reminders"))),
    ("scheduler", "POST /reminders/{kind}/run", ADMIN, rest("POST", fixed("/api/scheduler/reminders/review_mid_quarter/run"))),
    # Socket.IO
    ("realtime", "subscribe cycle:{cycle}", READ, subscribe(r_cycle)),
    ("realtime", "subscribe team:{id}:{cycle}", READ, subscribe(r_team)),
    ("realtime", "subscribe objective:{id}", READ, subscribe(r_objective)),
    ("realtime", "subscribe thread:{subject}", READ, subscribe(r_thread)),
    ("realtime", "presence", READ, socket_presence),
    ("realtime", "edit objective", TEAM, socket_edit("objective")),
    ("realtime", "edit key_result", TEAM, socket_edit("key_result")),
    # Slack
    ("slack", "check-in modal submit", TEAM, slack_check_in),
    ("slack", "Approve button", DECIDER, slack_approve),
    ("slack", "Request changes modal submit", DECIDER, slack_request_changes),
]

CELLS = [pytest.param(action, ROLES[i // 2], SCOPES[i % 2], expected[i], id=f"{service} {route} · {ROLES[i // 2]} {SCOPES[i % 2]}")
         for service, route, expected, action in MATRIX for i in range(len(ROLES) * 2)]


@pytest.mark.parametrize(("action", "who", "scope", "expected"), CELLS)
async def test_permission(world: World, action: Action, who: str, scope: str, expected: str) -> None:
    assert await action(world, who, scope) == expected


@pytest.mark.parametrize("who", ROLES)
async def test_nobody_changes_status_team_or_version_by_editing(world: World, who: str) -> None:
    """Approval and team are not fields: an edit or a PATCH that names them is refused for
    everyone (members would otherwise approve their own objectives by typing)."""
    obj = await world.objective(world.team("own"))
    for changes in ({"status": "approved"}, {"team_id": world.team("other")}, {"cycle": "2027-Q3"},
                    {"version": 99}, {"review": {"by": world.uid(who)}}):
        ack = await socket_ack(world, who, "edit", {"entity": "objective", "id": obj["id"], "changes": changes,
                                                    "version": obj["version"], "op_id": unique("field-")})
        assert ack["ok"] is False and 400 <= ack["status"] < 500, (changes, ack)
        if "version" not in changes:
            r = await world.call(who, "PATCH", f"/api/okr/objectives/{obj['id']}",
                                 json={"version": obj["version"], **changes})
            assert r.status_code == 422, (changes, r.text)
    now = await world.ok("admin", "GET", f"/api/okr/objectives/{obj['id']}")
    assert (now["status"], now["team_id"], now["cycle"]) == ("draft", world.team("own"), CYCLE)
