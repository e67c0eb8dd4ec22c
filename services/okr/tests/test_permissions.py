"""The permission matrix: role × action × own/other team, and the approval rules."""

from __future__ import annotations

import pytest

from tests.support.stack import Okr

# Product: lead (lead), member (member). Engineering (child of Product): other (member).
# Root: ceo (lead). admin is an admin.


@pytest.mark.parametrize(("who", "team", "allowed"), [
    ("member", "product", True), ("lead", "product", True), ("other", "product", False),
    ("other", "engineering", True), ("member", "engineering", False), ("admin", "engineering", True),
    ("ceo", "product", False),
])
async def test_create_objective_needs_team_membership(okr: Okr, who: str, team: str, allowed: bool) -> None:
    r = await okr.call(who, "POST", "/api/okr/objectives", json={"cycle": "2027-Q2", "team_id": okr.ids[team]["id"], "title": "T"})
    assert r.status_code == (201 if allowed else 403), r.text


@pytest.mark.parametrize(("who", "allowed"), [("member", True), ("lead", True), ("admin", True), ("other", False), ("ceo", False)])
async def test_edit_and_delete_need_team_membership(okr: Okr, who: str, allowed: bool) -> None:
    obj = await okr.objective("member")
    r = await okr.call(who, "PATCH", f"/api/okr/objectives/{obj['id']}", json={"version": obj["version"], "description": "d"})
    assert r.status_code == (200 if allowed else 403)
    r = await okr.call(who, "DELETE", f"/api/okr/objectives/{obj['id']}")
    assert r.status_code == (204 if allowed else 403)


@pytest.mark.parametrize(("who", "allowed"), [("member", True), ("other", False), ("admin", True), ("lead", True)])
async def test_check_in_rights(okr: Okr, who: str, allowed: bool) -> None:
    obj = await okr.objective("lead", cycle="2027-Q1", key_results=[{"title": "K", "start": 0, "target": 10,
                                                                      "owner_id": okr.ids["lead"]["id"]}])
    kr = obj["key_results"][0]
    r = await okr.call(who, "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"value": 3})
    assert r.status_code == (201 if allowed else 403)


async def test_kr_owner_outside_the_team_may_check_in(okr: Okr) -> None:
    obj = await okr.objective("member", cycle="2027-Q1", key_results=[{"title": "K", "start": 0, "target": 10,
                                                                        "owner_id": okr.ids["other"]["id"]}])
    r = await okr.call("other", "POST", f"/api/okr/key-results/{obj['key_results'][0]['id']}/check-ins", json={"value": 3})
    assert r.status_code == 201


async def test_approval_by_a_lead_of_the_parent_team(okr: Okr) -> None:
    # Engineering's parent is Product: Product's lead approves; Engineering's member cannot.
    obj = await okr.objective("other", team="engineering")
    assert (await okr.call("other", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 403
    assert (await okr.call("other", "POST", f"/api/okr/objectives/{obj['id']}/submit")).status_code == 200
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 403
    assert (await okr.call("ceo", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 403  # lead of root, not of parent
    r = await okr.call("lead", "POST", f"/api/okr/objectives/{obj['id']}/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["review"]["by"] == okr.ids["lead"]["id"]
    assert (await okr.call("lead", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 409


async def test_request_changes_needs_a_comment_and_resubmission(okr: Okr) -> None:
    obj = await okr.objective("member")
    await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")
    r = await okr.call("ceo", "POST", f"/api/okr/objectives/{obj['id']}/request-changes", json={"comment": ""})
    assert r.status_code == 422
    r = await okr.call("ceo", "POST", f"/api/okr/objectives/{obj['id']}/request-changes", json={"comment": "Narrow it"})
    assert r.status_code == 200 and r.json()["status"] == "changes_requested"
    assert r.json()["review"]["comment"] == "Narrow it"
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")).json()["status"] == "submitted"


async def test_root_objectives_are_decided_by_admins_only(okr: Okr) -> None:
    obj = await okr.objective("ceo", team="root", title="Company")
    await okr.call("ceo", "POST", f"/api/okr/objectives/{obj['id']}/submit")
    assert (await okr.call("lead", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 403
    assert (await okr.call("admin", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 200


async def test_nobody_approves_their_own_unless_no_one_else_can(okr: Okr) -> None:
    obj = await okr.objective("lead", team="product", owner_id=okr.ids["ceo"]["id"])
    await okr.call("lead", "POST", f"/api/okr/objectives/{obj['id']}/submit")
    assert (await okr.call("ceo", "POST", f"/api/okr/objectives/{obj['id']}/approve")).status_code == 403  # own
    # An admin owning a root objective, with no other admin: may approve it.
    mine = await okr.objective("admin", team="root", owner_id=okr.ids["admin"]["id"])
    await okr.call("admin", "POST", f"/api/okr/objectives/{mine['id']}/submit")
    assert (await okr.call("admin", "POST", f"/api/okr/objectives/{mine['id']}/approve")).status_code == 200


async def test_submit_needs_a_key_result(okr: Okr) -> None:
    obj = await okr.objective("member", key_results=[])
    assert (await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/submit")).status_code == 422


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PATCH", "/api/okr/org", {"name": "Mine now"}),
    ("POST", "/api/okr/users", {"email": "new@x.example", "name": "New"}),
    ("POST", "/api/okr/teams", {"name": "Shadow"}),
    ("POST", "/api/okr/import", None),
])
async def test_directory_and_org_writes_are_admin_only(okr: Okr, method: str, path: str, body: dict | None) -> None:
    kwargs = {"json": body} if body is not None else {"content": b"email,name\na@b.c,A\n"}
    r = await okr.call("lead", method, path, **kwargs)
    assert r.status_code == 403


async def test_people_edit_only_their_own_preferences(okr: Okr) -> None:
    me = okr.ids["member"]["id"]
    r = await okr.call("member", "PATCH", f"/api/okr/users/{me}", json={"locale": "ko", "muted_reminders": ["team_digest"]})
    assert r.status_code == 200 and r.json()["locale"] == "ko"
    assert (await okr.call("member", "PATCH", f"/api/okr/users/{me}", json={"role": "admin"})).status_code == 403
    assert (await okr.call("member", "PATCH", f"/api/okr/users/{okr.ids['lead']['id']}", json={"locale": "ko"})).status_code == 403
    assert (await okr.call("member", "PATCH", f"/api/okr/users/{me}", json={"muted_reminders": ["nope"]})).status_code == 422


async def test_unauthenticated_and_forged_tokens_get_401(okr: Okr) -> None:
    assert (await okr.client.get("/api/okr/objectives")).status_code == 401
    r = await okr.client.get("/api/okr/objectives", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


async def test_a_change_of_role_or_team_counts_from_the_very_next_request(okr: Okr) -> None:
    # The caller's role and teams are read on every request (access.load_actor): nothing
    # cached outlives a change, whether of the org role, a membership or the account.
    r = await okr.call("admin", "POST", "/api/okr/users", json={"email": "shifty@x.example", "name": "Shifty"})
    assert r.status_code == 201, r.text
    uid, product = r.json()["id"], okr.ids["product"]["id"]
    new = {"cycle": "2027-Q2", "team_id": product, "title": "T"}

    async def create() -> int:
        return (await okr.call("shifty", "POST", "/api/okr/objectives", json=new)).status_code

    assert await create() == 403  # not in Product yet
    assert (await okr.call("admin", "PUT", f"/api/okr/teams/{product}/members/{uid}", json={"role": "member"})).status_code == 200
    assert await create() == 201
    assert (await okr.call("admin", "PATCH", f"/api/okr/users/{uid}", json={"role": "guest"})).status_code == 200
    assert await create() == 403  # guests write nothing
    assert (await okr.call("admin", "PATCH", f"/api/okr/users/{uid}", json={"role": "member"})).status_code == 200
    assert await create() == 201
    assert (await okr.call("admin", "DELETE", f"/api/okr/teams/{product}/members/{uid}")).status_code == 200
    assert await create() == 403
    assert (await okr.call("admin", "PATCH", f"/api/okr/users/{uid}", json={"active": False})).status_code == 200
    assert (await okr.call("shifty", "GET", "/api/okr/dashboard")).status_code == 401
