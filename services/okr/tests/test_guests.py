"""Guests (org role `guest`: Slack guests admitted with BOOST_SLACK_ALLOW_GUESTS=1) read
everything and write nothing, whatever teams an admin gives them: every write is a 403
with one sentence, over REST and over the bus (okr.cmd.edit, check_in, approve). An admin
makes a guest a member and back.

The guest is made a *lead* of Product (the team whose objectives they would otherwise
write, close and, for Engineering below it, approve) and owns a key result, so every
refusal below is the guest rule's, not a missing team right."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.stack import Okr

GUEST_SENTENCE = "Guests can read Boost but not change it"


@pytest.fixture(scope="module")
async def bus(okr: Okr) -> Any:
    container = okr.client.boost_app.state.container  # type: ignore[attr-defined]
    await container.runtime.bus.wait_connected(10)
    return container.runtime.bus


async def command(bus: Any, name: str, body: dict[str, Any]) -> Any:
    msg = await bus.nc.request(bus.names.cmd("okr", name), json.dumps(body).encode(), timeout=5)
    return json.loads(msg.data)


@pytest.fixture(scope="module")
async def world(okr: Okr) -> dict[str, Any]:
    """A guest, lead of Product, who made a check-in while still a member (their own,
    inside the 24-hour correction window), then was made a guest by an admin."""
    r = await okr.call("admin", "POST", "/api/okr/users", json={"email": "gus@partner.example", "name": "Gus Guest"})
    assert r.status_code == 201, r.text
    guest = r.json()
    assert (await okr.call("admin", "PUT", f"/api/okr/teams/{okr.ids['product']['id']}/members/{guest['id']}",
                           json={"role": "lead"})).status_code == 200
    own = await okr.objective("lead", cycle="2027-Q1", key_results=[
        {"title": "Guest's KR", "start": 0, "target": 10, "owner_id": guest["id"]}])
    made = await okr.call("gus@partner.example", "POST", f"/api/okr/key-results/{own['key_results'][0]['id']}/check-ins",
                          json={"value": 2})
    assert made.status_code == 201, made.text
    r = await okr.call("admin", "PATCH", f"/api/okr/users/{guest['id']}", json={"role": "guest"})
    assert r.status_code == 200 and r.json()["role"] == "guest", r.text
    return {"guest": guest, "own": own, "check_in": made.json()["check_in"]["id"] if "check_in" in made.json()
            else made.json()["id"]}


def refused(r: Any) -> None:
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert GUEST_SENTENCE in r.json()["detail"]


async def test_a_guest_reads_everything(okr: Okr, world: dict[str, Any]) -> None:
    g = "gus@partner.example"
    me = (await okr.call(g, "GET", "/api/auth/me")).json()
    assert me["role"] == "guest" and me["user"]["role"] == "guest"
    obj = await okr.objective("other", team="engineering", cycle="2027-Q1")
    for path in ("/api/okr/objectives?cycle=2027-Q1", f"/api/okr/objectives/{obj['id']}", "/api/okr/teams",
                 "/api/okr/users", f"/api/okr/key-results/{world['own']['key_results'][0]['id']}/check-ins"):
        r = await okr.call(g, "GET", path)
        assert r.status_code == 200, (path, r.text)


async def test_every_okr_write_is_refused_to_a_guest(okr: Okr, world: dict[str, Any]) -> None:
    g = "gus@partner.example"
    product, engineering = okr.ids["product"]["id"], okr.ids["engineering"]["id"]
    own, kr = world["own"], world["own"]["key_results"][0]
    refused(await okr.call(g, "POST", "/api/okr/objectives", json={"cycle": "2027-Q2", "team_id": product, "title": "T"}))
    refused(await okr.call(g, "PATCH", f"/api/okr/objectives/{own['id']}", json={"version": own["version"], "description": "d"}))
    refused(await okr.call(g, "DELETE", f"/api/okr/objectives/{own['id']}"))
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{own['id']}/submit"))
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{own['id']}/close", json={"score": 0.5, "note": ""}))
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{own['id']}/carry-over"))
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{own['id']}/key-results",
                           json={"title": "More", "start": 0, "target": 5}))
    refused(await okr.call(g, "PATCH", f"/api/okr/key-results/{kr['id']}", json={"version": kr["version"], "title": "X"}))
    refused(await okr.call(g, "DELETE", f"/api/okr/key-results/{kr['id']}"))
    refused(await okr.call(g, "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"value": 5}))
    refused(await okr.call(g, "PATCH", f"/api/okr/check-ins/{world['check_in']}", json={"value": 3}))
    refused(await okr.call(g, "DELETE", f"/api/okr/check-ins/{world['check_in']}"))
    deleted = await okr.objective("lead", cycle="2027-Q1")
    assert (await okr.call("admin", "DELETE", f"/api/okr/objectives/{deleted['id']}")).status_code == 204
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{deleted['id']}/restore"))
    # Engineering is under Product: a lead of Product decides on it, but not a guest one.
    eng = await okr.objective("other", team="engineering", cycle="2027-Q1")
    assert (await okr.call("other", "POST", f"/api/okr/objectives/{eng['id']}/submit")).status_code == 200
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{eng['id']}/approve"))
    refused(await okr.call(g, "POST", f"/api/okr/objectives/{eng['id']}/request-changes", json={"comment": "No"}))
    # nothing changed
    after = (await okr.call("admin", "GET", f"/api/okr/objectives/{own['id']}")).json()
    assert (after["status"], after["description"], after["version"]) == (own["status"], own["description"], own["version"])
    assert [c["value"] for c in (await okr.call("admin", "GET", f"/api/okr/key-results/{kr['id']}/check-ins")).json()] == [2]
    assert (await okr.call("admin", "GET", f"/api/okr/objectives/{eng['id']}")).json()["status"] == "submitted"
    assert engineering == eng["team_id"]


async def test_a_guest_is_no_approver_and_hears_no_reminders(okr: Okr, world: dict[str, Any], bus: Any) -> None:
    eng = await okr.objective("other", team="engineering", cycle="2027-Q2", title="Approve me")
    assert (await okr.call("other", "POST", f"/api/okr/objectives/{eng['id']}/submit")).status_code == 200
    msg = await bus.nc.request(bus.names.query("okr", "reminder_targets"), json.dumps(
        {"actor_id": "service:notifier", "kind": "approval_requested", "cycle": "2027-Q2",
         "objective_id": eng["id"]}).encode(), timeout=5)
    approvers = [i["user_id"] for i in json.loads(msg.data)["items"]]
    assert world["guest"]["id"] not in approvers and okr.ids["lead"]["id"] in approvers
    msg = await bus.nc.request(bus.names.query("okr", "reminder_targets"), json.dumps(
        {"actor_id": "service:notifier", "kind": "drafting_open", "cycle": "2027-Q2"}).encode(), timeout=5)
    assert world["guest"]["id"] not in [i["user_id"] for i in json.loads(msg.data)["items"]]


async def test_bus_edits_and_commands_are_refused_to_a_guest(okr: Okr, world: dict[str, Any], bus: Any) -> None:
    gid, own = world["guest"]["id"], world["own"]
    kr = own["key_results"][0]
    for body in ({"actor_id": gid, "entity": "objective", "id": own["id"], "version": own["version"],
                  "changes": {"description": "live"}, "op_id": "guest-edit-1"},
                 {"actor_id": gid, "entity": "key_result", "id": kr["id"], "version": kr["version"],
                  "changes": {"title": "live"}, "op_id": "guest-edit-2"}):
        reply = await command(bus, "edit", body)  # the edit ack: {ok, status, error}
        assert reply["ok"] is False and reply["status"] == 403 and GUEST_SENTENCE in reply["error"], reply
    reply = await command(bus, "check_in", {"actor_id": gid, "key_result_id": kr["id"], "value": 9})
    assert reply["error"]["status"] == 403 and GUEST_SENTENCE in reply["error"]["detail"], reply
    after = (await okr.call("admin", "GET", f"/api/okr/objectives/{own['id']}")).json()
    assert after["description"] == own["description"] and after["key_results"][0]["title"] == kr["title"]


async def test_an_admin_makes_a_guest_a_member_and_back(okr: Okr, world: dict[str, Any]) -> None:
    g, gid = "gus@partner.example", world["guest"]["id"]
    body = {"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"], "title": "By a member now"}
    refused(await okr.call(g, "POST", "/api/okr/objectives", json=body))
    # only admins change roles; a guest can't promote themselves
    assert (await okr.call(g, "PATCH", f"/api/okr/users/{gid}", json={"role": "member"})).status_code == 403
    assert (await okr.call("admin", "PATCH", f"/api/okr/users/{gid}", json={"role": "member"})).status_code == 200
    assert (await okr.call(g, "POST", "/api/okr/objectives", json=body)).status_code == 201
    assert (await okr.call("admin", "PATCH", f"/api/okr/users/{gid}", json={"role": "guest"})).status_code == 200
    refused(await okr.call(g, "POST", "/api/okr/objectives", json=body))
    # a guest still sets their own language and timezone (preferences, not Boost's content)
    r = await okr.call(g, "PATCH", f"/api/okr/users/{gid}", json={"locale": "ko", "timezone": "Asia/Seoul"})
    assert r.status_code == 200, r.text
