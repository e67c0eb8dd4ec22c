"""Objectives and key results over REST: create, edit, per-field conflicts, merges,
delete/restore, history, check-ins, bad input."""

from __future__ import annotations

import pytest

from tests.support.stack import Okr


async def test_create_objective_with_key_results(okr: Okr) -> None:
    obj = await okr.objective("member", title="Delight customers", description="Why it matters")
    assert obj["status"] == "draft" and obj["cycle"] == "2027-Q2" and obj["version"] == 1
    assert obj["owner_id"] == okr.ids["member"]["id"]
    [kr] = obj["key_results"]
    assert kr["progress"] == 0 and kr["health"] == "unknown" and kr["confidence"] is None
    listed = (await okr.call("other", "GET", "/api/okr/objectives", params={"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"]})).json()
    assert obj["id"] in [o["id"] for o in listed]  # everyone reads everything


async def test_cycle_aliases_resolve(okr: Okr) -> None:
    current = (await okr.call("member", "GET", "/api/okr/cycles/current")).json()
    nxt = (await okr.call("member", "GET", "/api/okr/cycles/next")).json()
    assert (current["id"], nxt["id"]) == ("2027-Q1", "2027-Q2")
    assert current["phases"]["review"] == "2027-02-15"
    assert (await okr.call("member", "GET", "/api/okr/cycles/2027-Q9")).status_code == 422


async def test_per_field_versions_conflict_only_on_the_same_field(okr: Okr) -> None:
    obj = await okr.objective("member")
    oid, v1 = obj["id"], obj["version"]
    r = await okr.call("member", "PATCH", f"/api/okr/objectives/{oid}", json={"version": v1, "description": "new why"})
    assert r.status_code == 200 and r.json()["version"] == v1 + 1
    # Someone still on v1 edits another field: it applies.
    r = await okr.call("lead", "PATCH", f"/api/okr/objectives/{oid}", json={"version": v1, "owner_id": okr.ids["lead"]["id"]})
    assert r.status_code == 200, r.text
    # Someone on v1 edits the description that moved since: 409 with the current state.
    r = await okr.call("lead", "PATCH", f"/api/okr/objectives/{oid}", json={"version": v1, "description": "stale"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["current"]["description"] == "new why"


async def test_concurrent_text_edits_merge_with_base(okr: Okr) -> None:
    obj = await okr.objective("member", title="Grow revenue")
    oid, v = obj["id"], obj["version"]
    a = await okr.call("member", "PATCH", f"/api/okr/objectives/{oid}",
                       json={"version": v, "title": "Grow ARR revenue", "base": {"title": "Grow revenue"}})
    b = await okr.call("lead", "PATCH", f"/api/okr/objectives/{oid}",
                       json={"version": v, "title": "Grow revenue fast", "base": {"title": "Grow revenue"}})
    assert a.status_code == 200 and b.status_code == 200, b.text
    assert b.json()["title"] == "Grow ARR revenue fast"
    assert b.json()["merged"] == {"title": "Grow ARR revenue fast"}


async def test_structural_change_before_the_quarter_sends_approved_back_to_draft(okr: Okr) -> None:
    obj = await okr.objective("member")
    oid = obj["id"]
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{oid}/submit")).status_code == 200
    assert (await okr.call("ceo", "POST", f"/api/okr/objectives/{oid}/approve")).status_code == 200
    current = (await okr.call("member", "GET", f"/api/okr/objectives/{oid}")).json()
    # A description edit is not structural.
    r = await okr.call("member", "PATCH", f"/api/okr/objectives/{oid}", json={"version": current["version"], "description": "more"})
    assert r.json()["status"] == "approved"
    r = await okr.call("member", "PATCH", f"/api/okr/objectives/{oid}", json={"version": r.json()["version"], "title": "Win bigger"})
    assert r.json()["status"] == "draft"
    history = (await okr.call("member", "GET", f"/api/okr/objectives/{oid}/history")).json()
    assert "back_to_draft" in [h["action"] for h in history]


async def test_structural_change_after_the_start_keeps_status_and_is_recorded(okr: Okr) -> None:
    obj = await okr.objective("member", cycle="2027-Q1")
    oid = obj["id"]
    await okr.call("member", "POST", f"/api/okr/objectives/{oid}/submit")
    await okr.call("ceo", "POST", f"/api/okr/objectives/{oid}/approve")
    kr = obj["key_results"][0]
    kr_now = (await okr.call("member", "GET", f"/api/okr/key-results/{kr['id']}")).json()
    r = await okr.call("member", "PATCH", f"/api/okr/key-results/{kr['id']}", json={"version": kr_now["version"], "target": 200})
    assert r.status_code == 200 and r.json()["target"] == 200
    again = (await okr.call("member", "GET", f"/api/okr/objectives/{oid}")).json()
    assert again["status"] == "approved"
    history = (await okr.call("member", "GET", f"/api/okr/objectives/{oid}/history")).json()
    assert any(h["entity"] == "key_result" and h["changes"][0]["field"] == "target" for h in history)


async def test_delete_and_restore(okr: Okr) -> None:
    obj = await okr.objective("member")
    oid = obj["id"]
    assert (await okr.call("member", "DELETE", f"/api/okr/objectives/{oid}")).status_code == 204
    listed = (await okr.call("member", "GET", "/api/okr/objectives", params={"cycle": "2027-Q2"})).json()
    assert oid not in [o["id"] for o in listed]
    r = await okr.call("member", "POST", f"/api/okr/objectives/{oid}/restore")
    assert r.status_code == 200 and not r.json()["deleted"]


async def test_check_ins_move_progress_and_keep_history(okr: Okr) -> None:
    obj = await okr.objective("member", cycle="2027-Q1", key_results=[
        {"title": "Revenue", "start": 0, "target": 100, "weight": 3},
        {"title": "Launch", "kind": "boolean"}])
    rev, launch = obj["key_results"]
    r = await okr.call("member", "POST", f"/api/okr/key-results/{rev['id']}/check-ins", json={"value": 50, "confidence": 8, "note": "half"})
    assert r.status_code == 201, r.text
    assert r.json()["key_result"]["progress"] == 0.5 and r.json()["key_result"]["health"] == "on_track"
    # A check-in without confidence keeps the previous one.
    r = await okr.call("member", "POST", f"/api/okr/key-results/{rev['id']}/check-ins", json={"value": 60})
    assert r.json()["key_result"]["confidence"] == 8
    await okr.call("member", "POST", f"/api/okr/key-results/{launch['id']}/check-ins", json={"value": 1, "confidence": 3})
    o = (await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}")).json()
    assert o["progress"] == pytest.approx((0.6 * 3 + 1 * 1) / 4, abs=1e-4)
    assert o["health"] == "off_track"
    history = (await okr.call("member", "GET", f"/api/okr/key-results/{rev['id']}/check-ins")).json()
    assert [h["value"] for h in history] == [50, 60]
    # The author deletes the last one: current follows the latest remaining.
    assert (await okr.call("member", "DELETE", f"/api/okr/check-ins/{history[-1]['id']}")).status_code == 204
    kr = (await okr.call("member", "GET", f"/api/okr/key-results/{rev['id']}")).json()
    assert kr["current"] == 50
    # Someone else may not correct it.
    r = await okr.call("lead", "PATCH", f"/api/okr/check-ins/{history[0]['id']}", json={"value": 99})
    assert r.status_code == 403
    assert (await okr.call("admin", "PATCH", f"/api/okr/check-ins/{history[0]['id']}", json={"value": 55})).status_code == 200


async def test_milestone_ticks_are_check_ins(okr: Okr) -> None:
    obj = await okr.objective("member", cycle="2027-Q1", key_results=[
        {"title": "Ship", "kind": "milestone", "items": [{"title": "Design"}, {"title": "Build"}, {"title": "Launch"}]}])
    kr = obj["key_results"][0]
    assert kr["target"] == 3 and len(kr["items"]) == 3
    r = await okr.call("member", "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"item_id": kr["items"][0]["id"], "done": True})
    assert r.status_code == 201
    assert r.json()["value"] == 1 and r.json()["key_result"]["progress"] == pytest.approx(1 / 3, abs=1e-4)


async def test_my_key_results(okr: Okr) -> None:
    await okr.objective("member", cycle="2027-Q1", key_results=[{"title": "Mine", "start": 0, "target": 5,
                                                                  "owner_id": okr.ids["member"]["id"]}])
    mine = (await okr.call("member", "GET", "/api/okr/key-results", params={"owner_id": "me", "cycle": "current"})).json()
    assert mine and all(k["owner_id"] == okr.ids["member"]["id"] for k in mine)
    assert all(k["objective"]["cycle"] == "2027-Q1" for k in mine)


@pytest.mark.parametrize("body", [
    {"title": "x" * 201},
    {"title": ""},
    {"title": 5},
    {"title": "ok", "key_results": [{"title": "flat", "start": 5, "target": 5}]},
    {"title": "ok", "key_results": [{"title": "w", "start": 0, "target": 1, "weight": 0}]},
    {"title": "ok", "cycle": "2027-Q7"},
    {"title": "ok", "team_id": 999999},
])
async def test_bad_objectives_get_a_clear_422(okr: Okr, body: dict) -> None:
    payload = {"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"], **body}
    r = await okr.call("member", "POST", "/api/okr/objectives", json=payload)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]


async def test_title_length_counts_code_points(okr: Okr) -> None:
    obj = await okr.objective("member", title="가" * 200)  # 600 bytes, 200 characters
    assert len(obj["title"]) == 200


async def test_non_json_and_huge_bodies_are_refused(okr: Okr) -> None:
    headers = {**(await okr.as_("member")), "content-type": "application/json"}
    r = await okr.client.post("/api/okr/objectives", content=b"{not json", headers=headers)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = await okr.client.post("/api/okr/objectives", content=b"x" * (1024 * 1024 + 10), headers=headers)
    assert r.status_code == 413
    r = await okr.call("member", "GET", "/api/okr/objectives/99999999")
    assert r.status_code == 404 and r.json()["title"] == "Not Found"


async def test_alignment_rules(okr: Okr) -> None:
    parent = await okr.objective("ceo", team="root", title="Company goal")
    child = await okr.objective("member", parent_id=parent["id"])
    assert child["parent_id"] == parent["id"]
    # Same team: refused. Loop: refused.
    r = await okr.call("member", "POST", "/api/okr/objectives", json={"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"],
                                                                     "title": "x", "parent_id": child["id"]})
    assert r.status_code == 422
    r = await okr.call("admin", "PATCH", f"/api/okr/objectives/{parent['id']}", json={"version": parent["version"], "parent_id": child["id"]})
    assert r.status_code == 422
    other_cycle = await okr.objective("ceo", team="root", cycle="2027-Q1")
    r = await okr.call("member", "PATCH", f"/api/okr/objectives/{child['id']}", json={"version": child["version"], "parent_id": other_cycle["id"]})
    assert r.status_code == 422


async def test_close_and_carry_over(okr: Okr) -> None:
    obj = await okr.objective("member", cycle="2027-Q1")
    kr = obj["key_results"][0]
    await okr.call("member", "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"value": 40})
    r = await okr.call("other", "POST", f"/api/okr/objectives/{obj['id']}/close", json={"score": 0.5})
    assert r.status_code == 403  # not owner, not a lead of the team
    r = await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/close", json={"note": "partly"})
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["score"] == 0.4  # suggested from progress
    assert (await okr.call("member", "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"value": 50})).status_code == 409
    r = await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/carry-over")
    assert r.status_code == 201
    new = r.json()
    assert new["cycle"] == "2027-Q2" and new["status"] == "draft" and new["carried_from_id"] == obj["id"]
    assert new["key_results"][0]["start"] == 40  # what was reached is the new baseline
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/carry-over")).status_code == 409
