"""A data-fed key result is never stale: a run that finds the same value records no
check-in, but the key result counts as looked at (§9). The clock is 2027-02-20, 50 days
into 2027-Q1, so a key result nobody checked in is stale."""

from __future__ import annotations

from tests.support.waiting import until

from .conftest import Stack

SETTINGS = {"now": "2027-02-20T01:00:00+00:00"}


async def test_a_same_value_reading_keeps_a_key_result_from_going_stale(stack: Stack) -> None:
    kr = await stack.new_kr(owner="member", start=0, target=10)
    assert (await stack.kr(kr["id"]))["stale"] is True  # nobody looked at it this quarter
    src = await stack.call("admin", "POST", "/api/connectors/sources", json={"name": "Same", "kind": "webhook"})
    binding = (await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                                json={"source_id": src.json()["id"]})).json()
    await stack.source_bound(kr["id"])
    token = binding["webhook_url"].rsplit("/", 1)[1]
    r = await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": 0})  # what it already is
    assert r.status_code == 202 and r.json()["checked_in"] is False
    view = await stack.kr(kr["id"])
    assert view["stale"] is False and view["last_check_in_at"] is None
    assert view["source"]["last_run_at"].startswith("2027-02-20")  # the org's clock, like okr's
    assert await stack.check_ins(kr["id"]) == []

    # A paused (or failing) connection does not count as looked at.
    paused = await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                              json={"source_id": src.json()["id"], "active": False})
    assert paused.status_code == 200

    async def stale_again() -> bool:
        return bool((await stack.kr(kr["id"]))["stale"])
    await until(stale_again, 10)


async def test_a_key_result_its_source_looked_at_this_week_needs_no_weekly_nudge(stack: Stack) -> None:
    kr = await stack.new_kr(owner="member", start=0, target=10, title="Nudged or not")
    obj_id = kr["objective_id"]
    assert (await stack.okr.call("member", "POST", f"/api/okr/objectives/{obj_id}/submit")).status_code == 200
    approved = await stack.okr.call("ceo", "POST", f"/api/okr/objectives/{obj_id}/approve")
    assert approved.status_code == 200, approved.text
    bus = stack.container.runtime.bus

    async def nudged() -> bool:
        reply = await bus.request(bus.names.query("okr", "reminder_targets"),
                                  {"actor_id": "service:notifier", "kind": "weekly_check_in", "cycle": "current"})
        return any(kr["id"] in t["key_result_ids"] for t in reply["items"])

    assert await nudged()
    src = await stack.call("admin", "POST", "/api/connectors/sources", json={"name": "Weekly", "kind": "webhook"})
    binding = (await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                                json={"source_id": src.json()["id"]})).json()
    await stack.source_bound(kr["id"])
    token = binding["webhook_url"].rsplit("/", 1)[1]
    assert (await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": 0})).status_code == 202
    assert not await nudged()
