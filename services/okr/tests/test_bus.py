"""okr on the bus: events through the outbox, edit commands with op_id replay,
check-ins, approvals, upserts from Slack's directory, reminder targets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nats
import pytest
from boost_contracts.envelope import Envelope

from tests.support.stack import Okr
from tests.support.waiting import until as _until


@pytest.fixture(scope="module")
async def bus(okr: Okr) -> Any:
    container = okr.client.boost_app.state.container  # type: ignore[attr-defined]
    await container.runtime.bus.wait_connected(10)
    return container.runtime.bus


async def request(bus: Any, kind: str, name: str, body: dict[str, Any]) -> Any:
    subject = bus.names.cmd("okr", name) if kind == "cmd" else bus.names.query("okr", name)
    msg = await bus.nc.request(subject, json.dumps(body).encode(), timeout=5)
    return json.loads(msg.data)


async def test_writes_publish_events_with_scope_and_ulid_ids(okr: Okr, bus: Any) -> None:
    nc = await nats.connect(bus.url)
    seen: list[Envelope] = []
    async def collect(msg: Any) -> None:
        seen.append(Envelope.from_json(msg.data))

    sub = await nc.subscribe(bus.names.events_of("okr"), cb=collect)
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    r = await okr.call("member", "POST", "/api/okr/objectives", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
                       json={"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"], "title": "Evented"})
    obj = r.json()
    assert r.headers["traceparent"].split("-")[1] == trace
    await _until(lambda: any(e.type == "objective.created" and e.subject_id == obj["id"] for e in seen))
    event = next(e for e in seen if e.type == "objective.created" and e.subject_id == obj["id"])
    assert event.scope.cycle == "2027-Q2" and event.scope.objective_id == obj["id"]
    assert event.data["title"] == "Evented" and "key_results" not in event.data
    assert len(event.id) == 26 and event.actor_id == okr.ids["member"]["id"]
    assert event.trace_id == trace  # the click's trace id travels with the event
    await sub.unsubscribe()
    await nc.close()


async def test_edit_command_acks_versions_merges_and_replays_op_ids(okr: Okr, bus: Any) -> None:
    obj = await okr.objective("member", title="Grow revenue")
    me = okr.ids["member"]["id"]
    base = {"actor_id": me, "entity": "objective", "id": obj["id"], "version": obj["version"]}
    a = await request(bus, "cmd", "edit", {**base, "changes": {"title": "Grow ARR revenue"}, "base": {"title": "Grow revenue"}, "op_id": "op-a"})
    assert a == {"ok": True, "version": obj["version"] + 1}
    b = await request(bus, "cmd", "edit", {**base, "changes": {"title": "Grow revenue fast"}, "base": {"title": "Grow revenue"}, "op_id": "op-b"})
    assert b["ok"] and b["value"] == {"title": "Grow ARR revenue fast"}
    # The same op_id again: the original ack, nothing changes.
    again = await request(bus, "cmd", "edit", {**base, "changes": {"title": "Something else"}, "op_id": "op-b"})
    assert again == b
    # A replay of a merged text edit would merge again: it is refused by its receipt instead.
    replay = await request(bus, "cmd", "edit", {**base, "changes": {"title": "Grow ARR revenue"},
                                                "base": {"title": "Grow revenue"}, "op_id": "op-a"})
    assert replay == a
    now = (await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}")).json()
    assert now["title"] == "Grow ARR revenue fast" and now["version"] == obj["version"] + 2
    stale = await request(bus, "cmd", "edit", {**base, "changes": {"owner_id": me}, "op_id": "op-c"})
    assert stale["ok"]  # another field: applies
    conflict = await request(bus, "cmd", "edit", {**base, "entity": "objective", "changes": {"title": "No base"}, "op_id": "op-d"})
    assert conflict["ok"] is False and conflict["current"]["title"] == "Grow ARR revenue fast"
    forbidden = await request(bus, "cmd", "edit", {**base, "actor_id": okr.ids["other"]["id"], "changes": {"description": "x"}})
    assert forbidden["ok"] is False and forbidden["status"] == 403


async def test_typed_edits_leave_what_a_form_edit_leaves(okr: Okr, bus: Any) -> None:
    """Text edits take okr's two-round-trip path (`objectives.live`); what they leave behind
    (row, history, event data, the dashboard's revision) is what the full path leaves."""
    nc = await nats.connect(bus.url)
    seen: list[Envelope] = []

    async def collect(msg: Any) -> None:
        seen.append(Envelope.from_json(msg.data))

    sub = await nc.subscribe(bus.names.events_of("okr"), cb=collect)
    me = okr.ids["member"]["id"]
    obj = await okr.objective("member", title="Typed", key_results=[
        {"title": "Ship", "kind": "milestone", "items": [{"title": "Design"}, {"title": "Build"}]},
        {"title": "Revenue", "start": 0, "target": 100}])
    milestone, number = obj["key_results"]
    r = await okr.call("member", "POST", f"/api/okr/key-results/{milestone['id']}/check-ins",
                       json={"item_id": milestone["items"][0]["id"], "done": True})
    assert r.status_code == 201
    milestone = r.json()["key_result"]  # a tick moved its current and version
    board = {"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"]}
    assert (await okr.call("member", "GET", "/api/okr/dashboard", params=board)).status_code == 200  # now cached

    kr_ack = await request(bus, "cmd", "edit", {"actor_id": me, "entity": "key_result", "id": milestone["id"],
                                                "version": milestone["version"], "changes": {"title": "Ship it"},
                                                "op_id": "typed-kr"})
    obj_ack = await request(bus, "cmd", "edit", {"actor_id": me, "entity": "objective", "id": obj["id"],
                                                 "version": obj["version"], "changes": {"title": "Typed: 진행"},
                                                 "op_id": "typed-obj"})
    assert kr_ack == {"ok": True, "version": milestone["version"] + 1}
    assert obj_ack == {"ok": True, "version": obj["version"] + 1}
    now = (await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}")).json()
    assert now["title"] == "Typed: 진행" and now["key_results"][0]["title"] == "Ship it"
    await _until(lambda: {e.op_id for e in seen} >= {"typed-kr", "typed-obj"})
    kr_event = next(e for e in seen if e.op_id == "typed-kr")
    obj_event = next(e for e in seen if e.op_id == "typed-obj")
    assert kr_event.type == "key_result.updated" and kr_event.changes == ["title"] and kr_event.actor_id == me
    assert kr_event.data == now["key_results"][0]  # items, progress, health: as the form path reports them
    assert obj_event.type == "objective.updated" and obj_event.changes == ["title"]
    assert obj_event.data == {k: v for k, v in now.items() if k not in ("key_results", "needs_closing")}
    assert obj_event.scope.objective_id == obj["id"] and obj_event.scope.team_id == okr.ids["product"]["id"]
    history = (await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}/history")).json()
    assert [(h["entity"], h["changes"]) for h in history[:2]] == [
        ("objective", [{"field": "title", "before": "Typed", "after": "Typed: 진행"}]),
        ("key_result", [{"field": "title", "before": "Ship", "after": "Ship it"}])]
    # The dashboard, patched from the rows the edit stamped, shows the new title.
    served = (await okr.call("member", "GET", "/api/okr/dashboard", params=board)).json()
    assert next(o for t in served["teams"] for o in t["objectives"] if o["id"] == obj["id"])["title"] == "Typed: 진행"

    # What the typing path leaves to the full one, and what it refuses, it does as the full path would.
    await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")
    retitled = await request(bus, "cmd", "edit", {"actor_id": me, "entity": "objective", "id": obj["id"],
                                                  "version": now["version"] + 1, "changes": {"title": "Typed again"}})
    assert retitled["ok"]  # a submitted objective's new title sends it back to draft (the cycle has not started)
    assert (await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}")).json()["status"] == "draft"
    too_long = await request(bus, "cmd", "edit", {"actor_id": me, "entity": "key_result", "id": number["id"],
                                                  "version": number["version"], "changes": {"unit": "x" * 33}})
    assert too_long["ok"] is False and too_long["status"] == 422
    outsider = await request(bus, "cmd", "edit", {"actor_id": okr.ids["other"]["id"], "entity": "key_result",
                                                  "id": number["id"], "version": number["version"],
                                                  "changes": {"title": "Mine now"}})
    assert outsider["ok"] is False and outsider["status"] == 403
    missing = await request(bus, "cmd", "edit", {"actor_id": me, "entity": "objective", "id": 10**9, "version": 1,
                                                 "changes": {"title": "Nobody"}})
    assert missing["ok"] is False and missing["status"] == 404
    await sub.unsubscribe()
    await nc.close()


async def test_check_in_and_approval_commands_are_authorised_like_rest(okr: Okr, bus: Any) -> None:
    obj = await okr.objective("member", cycle="2027-Q1")
    kr = obj["key_results"][0]
    reply = await request(bus, "cmd", "check_in", {"actor_id": okr.ids["member"]["id"], "key_result_id": kr["id"], "value": 25, "confidence": 6})
    assert reply["key_result"]["progress"] == 0.25 and reply["key_result"]["health"] == "at_risk"
    denied = await request(bus, "cmd", "check_in", {"actor_id": okr.ids["other"]["id"], "key_result_id": kr["id"], "value": 1})
    assert denied["error"]["status"] == 403
    await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")
    denied = await request(bus, "cmd", "approve", {"actor_id": okr.ids["member"]["id"], "objective_id": obj["id"]})
    assert denied["error"]["status"] == 403
    done = await request(bus, "cmd", "request_changes", {"actor_id": okr.ids["ceo"]["id"], "objective_id": obj["id"], "comment": "Sharper"})
    assert done["status"] == "changes_requested"
    service = await request(bus, "cmd", "approve", {"actor_id": "service:notifier", "objective_id": obj["id"]})
    assert service["error"]["status"] == 403


async def test_upsert_users_matches_by_email_and_deactivates(okr: Okr, bus: Any) -> None:
    users = [{"email": "member@x.example", "name": "Min Member", "slack_user_id": "U1", "locale": "ko-KR", "timezone": "Asia/Tokyo"},
             {"email": "fresh@x.example", "name": "Fresh", "slack_user_id": "U2"}]
    reply = await request(bus, "cmd", "upsert_users", {"actor_id": "service:notifier", "users": users})
    assert reply == {"created": 1, "updated": 1, "deactivated": 0}
    member = (await okr.call("admin", "GET", f"/api/okr/users/{okr.ids['member']['id']}")).json()
    assert (member["slack_user_id"], member["locale"], member["timezone"]) == ("U1", "ko", "Asia/Tokyo")
    reply = await request(bus, "cmd", "upsert_users", {"actor_id": "service:notifier", "users": users[:1],
                                                        "deactivate_missing_slack_users": True})
    assert reply["deactivated"] == 1
    denied = await request(bus, "cmd", "upsert_users", {"actor_id": "service:scheduler", "users": []})
    assert denied["error"]["status"] == 403


async def test_reminder_targets_by_kind(okr: Okr, bus: Any) -> None:
    obj = await okr.objective("member", cycle="2027-Q1", key_results=[{"title": "Quiet", "start": 0, "target": 5,
                                                                        "owner_id": okr.ids["member"]["id"]}])
    await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")
    await okr.call("ceo", "POST", f"/api/okr/objectives/{obj['id']}/approve")
    weekly = await request(bus, "query", "reminder_targets", {"actor_id": "service:notifier", "kind": "weekly_check_in", "cycle": "2027-Q1"})
    member = next(i for i in weekly["items"] if i["user_id"] == okr.ids["member"]["id"])
    assert obj["key_results"][0]["id"] in member["key_result_ids"] and member["timezone"] == "Asia/Tokyo"
    leads = await request(bus, "query", "reminder_targets", {"actor_id": "service:notifier", "kind": "review_mid_quarter", "cycle": "2027-Q1"})
    assert {i["user_id"] for i in leads["items"]} == {okr.ids["lead"]["id"], okr.ids["ceo"]["id"]}
    draft = await okr.objective("other", team="engineering")
    await okr.call("other", "POST", f"/api/okr/objectives/{draft['id']}/submit")
    approvers = await request(bus, "query", "reminder_targets", {"actor_id": "service:notifier", "kind": "approval_requested",
                                                                  "cycle": "2027-Q2", "objective_id": draft["id"]})
    assert [i["user_id"] for i in approvers["items"]] == [okr.ids["lead"]["id"]]
    page = await request(bus, "query", "reminder_targets", {"actor_id": "service:notifier", "kind": "drafting_open", "cycle": "2027-Q2", "limit": 1})
    assert len(page["items"]) == 1 and page["next"] == page["items"][0]["user_id"]
    denied = await request(bus, "query", "reminder_targets", {"actor_id": "service:scheduler", "kind": "drafting_open", "cycle": "2027-Q2"})
    assert denied["error"]["status"] == 403


async def test_users_and_teams_carry_a_version_that_every_change_bumps(okr: Okr, bus: Any) -> None:
    """A rename and a membership change each bump the version; the event carries the stored
    version (in the envelope and its data), and REST and okr.query.users/teams answer it."""
    nc = await nats.connect(bus.url)
    seen: list[Envelope] = []

    async def collect(msg: Any) -> None:
        seen.append(Envelope.from_json(msg.data))

    sub = await nc.subscribe(bus.names.events_of("okr"), cb=collect)

    def events(kind: str, subject_id: int) -> list[Envelope]:
        return [e for e in seen if e.type.startswith(kind) and e.subject_id == subject_id]

    user = (await okr.call("admin", "POST", "/api/okr/users", json={"email": "ver@x.example", "name": "Ver"})).json()
    team = (await okr.call("admin", "POST", "/api/okr/teams", json={"name": "Versioned"})).json()
    assert user["version"] == 1 and team["version"] == 1
    renamed = (await okr.call("admin", "PATCH", f"/api/okr/users/{user['id']}", json={"name": "Vera"})).json()
    assert renamed["version"] == 2
    unchanged = (await okr.call("admin", "PATCH", f"/api/okr/users/{user['id']}", json={"name": "Vera"})).json()
    assert unchanged["version"] == 2  # nothing changed, nothing bumped
    joined = (await okr.call("admin", "PUT", f"/api/okr/teams/{team['id']}/members/{user['id']}",
                             json={"role": "member"})).json()
    assert joined["version"] == 2 and joined["members"] == [{"user_id": user["id"], "role": "member"}]
    left = (await okr.call("admin", "DELETE", f"/api/okr/teams/{team['id']}/members/{user['id']}")).json()
    assert left["version"] == 3 and left["members"] == []

    await _until(lambda: len(events("user.", user["id"])) == 2 and len(events("team.", team["id"])) == 3)
    assert [(e.type, e.version, e.data["version"], e.data["name"]) for e in events("user.", user["id"])] == [
        ("user.created", 1, 1, "Ver"), ("user.updated", 2, 2, "Vera")]
    assert [(e.version, e.changes, len(e.data["members"])) for e in events("team.", team["id"])] == [
        (1, [], 0), (2, ["members"], 1), (3, ["members"], 0)]

    users = await request(bus, "query", "users", {"actor_id": "service:feedback"})
    teams = await request(bus, "query", "teams", {"actor_id": "service:feedback"})
    assert next(u for u in users if u["id"] == user["id"])["version"] == 2
    assert next(t for t in teams if t["id"] == team["id"])["version"] == 3
    me = (await okr.call("admin", "GET", "/api/auth/me")).json()
    assert me["user"]["version"] == (await okr.call("admin", "GET", f"/api/okr/users/{me['user']['id']}")).json()["version"]
    await sub.unsubscribe()
    await nc.close()


async def test_concurrent_changes_to_one_person_get_distinct_versions(okr: Okr, bus: Any) -> None:
    """Two admins change one person at once: each change gets its own version and the last
    event carries both changes, so a reader that keeps the highest version misses neither."""
    user = (await okr.call("admin", "POST", "/api/okr/users", json={"email": "race@x.example", "name": "Race"})).json()
    path = f"/api/okr/users/{user['id']}"
    for n in range(3):
        a, b = await asyncio.gather(okr.call("admin", "PATCH", path, json={"name": f"Race {n}"}),
                                    okr.call("admin", "PATCH", path, json={"avatar_url": f"https://x.example/{n}.png"}))
        assert a.status_code == b.status_code == 200
        assert {a.json()["version"], b.json()["version"]} == {1 + 2 * n + 1, 1 + 2 * n + 2}
        newest = max(a.json(), b.json(), key=lambda u: u["version"])
        assert (newest["name"], newest["avatar_url"]) == (f"Race {n}", f"https://x.example/{n}.png")


async def test_a_check_in_publishes_the_key_results_new_forecast(okr: Okr, bus: Any) -> None:
    obj = await okr.objective("member", cycle="2027-Q1", key_results=[{"title": "Forecast me", "start": 0, "target": 100}])
    kr_id = obj["key_results"][0]["id"]
    for at, value in (("2027-01-02T10:00:00+09:00", 0), ("2027-01-05T10:00:00+09:00", 3)):
        r = await okr.call("admin", "POST", f"/api/okr/key-results/{kr_id}/check-ins", json={"value": value, "created_at": at})
        assert r.status_code == 201
    nc = await nats.connect(bus.url)
    seen: list[Envelope] = []

    async def collect(msg: Any) -> None:
        seen.append(Envelope.from_json(msg.data))

    sub = await nc.subscribe(bus.names.events_of("okr"), cb=collect)
    r = await okr.call("member", "POST", f"/api/okr/key-results/{kr_id}/check-ins", json={"value": 9})
    await _until(lambda: any(e.type == "key_result.updated" and e.subject_id == kr_id for e in seen))
    event = next(e for e in seen if e.type == "key_result.updated" and e.subject_id == kr_id)
    assert event.data["forecast"] == r.json()["key_result"]["forecast"]
    assert event.data["forecast"]["value"] > 9
    # Typing in its title (the live edit path reads the row in one batch): the event still carries it.
    kr = (await okr.call("member", "GET", f"/api/okr/key-results/{kr_id}")).json()
    ack = await request(bus, "cmd", "edit", {"entity": "key_result", "id": kr_id, "version": kr["version"],
                                              "actor_id": okr.ids["member"]["id"], "changes": {"title": "Forecast me!"},
                                              "op_id": "op-forecast"})
    assert ack["ok"], ack
    await _until(lambda: any(e.type == "key_result.updated" and e.op_id == "op-forecast" for e in seen))
    typed = next(e for e in seen if e.op_id == "op-forecast")
    assert typed.data["forecast"] == event.data["forecast"]
    obj_ack = await request(bus, "cmd", "edit", {"entity": "objective", "id": obj["id"], "version": obj["version"],
                                                  "actor_id": okr.ids["member"]["id"], "changes": {"title": "Forecasted"},
                                                  "op_id": "op-forecast-obj"})
    assert obj_ack["ok"], obj_ack
    await _until(lambda: any(e.op_id == "op-forecast-obj" for e in seen))
    assert next(e for e in seen if e.op_id == "op-forecast-obj").data["forecast_progress"] is not None
    await sub.unsubscribe()
    await nc.close()


async def test_a_typed_check_in_stores_and_tells_what_the_full_path_does(okr: Okr, bus: Any) -> None:
    """A check-in over REST is stored in batches (check_ins.live), one over the bus through
    the ORM session: on twin key results they answer, store and announce the same."""
    nc = await nats.connect(bus.url)
    seen: list[Envelope] = []

    async def collect(msg: Any) -> None:
        seen.append(Envelope.from_json(msg.data))

    sub = await nc.subscribe(bus.names.events_of("okr"), cb=collect)
    twin = {"start": 10, "target": 110, "weight": 2, "unit": "%"}
    obj = await okr.objective("member", cycle="2027-Q1", key_results=[{"title": "Batched", **twin},
                                                                       {"title": "Full", **twin}])
    batched, full = obj["key_results"]
    for kr in (batched, full):  # history for the forecast to fit (back-filled: the full path)
        for at, value in (("2027-01-02T10:00:00+09:00", 11), ("2027-01-05T10:00:00+09:00", 16)):
            r = await okr.call("admin", "POST", f"/api/okr/key-results/{kr['id']}/check-ins",
                               json={"value": value, "created_at": at})
            assert r.status_code == 201, r.text
    body = {"value": 35.5, "confidence": 7, "note": "on the way"}
    for value in (20, body["value"]):
        r = await okr.call("member", "POST", f"/api/okr/key-results/{batched['id']}/check-ins",
                           json={**body, "value": value})
        assert r.status_code == 201, r.text
        reply = await request(bus, "cmd", "check_in", {"actor_id": okr.ids["member"]["id"],
                                                       "key_result_id": full["id"], **body, "value": value})
        assert "error" not in reply, reply
    answer = r.json()

    def same(view: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in view.items() if k not in ("id", "title", "key_result_id", "created_at",
                                                           "last_check_in_at", "key_result", "forecast")}

    assert same(answer["key_result"]) == same(reply["key_result"])
    # The two were made a few milliseconds apart: their fits differ by as much.
    fits = answer["key_result"]["forecast"], reply["key_result"]["forecast"]
    assert fits[0].keys() == fits[1].keys() and all(
        fits[0][k] == pytest.approx(fits[1][k], rel=1e-3, abs=1e-3) for k in ("value", "low", "high", "progress"))
    assert same(answer) == same(reply) and answer["author_id"] == okr.ids["member"]["id"]
    assert answer["key_result"]["forecast"] is not None and answer["key_result"]["version"] == batched["version"] + 4
    stored = (await okr.call("member", "GET", f"/api/okr/key-results/{batched['id']}")).json()
    assert stored == answer["key_result"]
    history = (await okr.call("member", "GET", f"/api/okr/key-results/{batched['id']}/check-ins")).json()
    assert [h["value"] for h in history] == [11, 16, 20, 35.5] and history[-1] == {k: v for k, v in answer.items()
                                                                          if k != "key_result"}
    await _until(lambda: sum(1 for e in seen if e.subject_id in (batched["id"], full["id"])) >= 8
                 and sum(1 for e in seen if e.type == "check_in.created") >= 8)
    kr_events = {kr: [e for e in seen if e.type == "key_result.updated" and e.subject_id == kr]
                 for kr in (batched["id"], full["id"])}
    assert [len(v) for v in kr_events.values()] == [4, 4]
    assert kr_events[batched["id"]][-1].data == answer["key_result"]
    assert same(kr_events[batched["id"]][-1].data) == same(kr_events[full["id"]][-1].data)
    assert kr_events[batched["id"]][-1].changes == kr_events[full["id"]][-1].changes
    created = [e for e in seen if e.type == "check_in.created" and e.data["id"] == answer["id"]]
    assert len(created) == 1 and created[0].data == history[-1] and created[0].scope == kr_events[full["id"]][-1].scope
    await sub.unsubscribe()
    await nc.close()
