"""People, teams and the CSV import (all or nothing, per-row errors); org settings."""

from __future__ import annotations

from tests.support.stack import Okr


async def test_csv_import_is_all_or_nothing_with_row_errors(okr: Okr) -> None:
    bad = "email,name,team,team_role\nann@y.example,Ann,Sales,lead\nnot-an-email,Bob,Sales,member\ncid@y.example,,Sales,boss\n"
    r = await okr.call("admin", "POST", "/api/okr/import", content=bad.encode(), headers={"content-type": "text/csv"})
    assert r.status_code == 422
    rows = {(e["row"], e["field"]) for e in r.json()["errors"]}
    assert rows == {(3, "email"), (4, "name"), (4, "team_role")}
    users = (await okr.call("admin", "GET", "/api/okr/users", params={"q": "ann@y"})).json()
    assert users == []  # nothing half-applied
    good = "email,name,team,team_role,parent_team\nann@y.example,Ann,Sales,lead,\nbob@y.example,밥,Field Sales,member,Sales\n"
    r = await okr.call("admin", "POST", "/api/okr/import", content=good.encode())
    assert r.status_code == 200, r.text
    counts = {k: r.json()[k] for k in ("created_users", "updated_users", "created_teams", "rows")}
    assert counts == {"created_users": 2, "updated_users": 0, "created_teams": 2, "rows": 2}
    teams = {t["name"]: t for t in (await okr.call("admin", "GET", "/api/okr/teams")).json()}
    assert teams["Field Sales"]["parent_id"] == teams["Sales"]["id"]
    assert teams["Field Sales"]["members"][0]["role"] == "member"


async def test_teams_and_members(okr: Okr) -> None:
    team = (await okr.call("admin", "POST", "/api/okr/teams", json={"name": "Design"})).json()
    assert team["parent_id"] == okr.ids["root"]["id"]
    r = await okr.call("admin", "PUT", f"/api/okr/teams/{team['id']}/members/{okr.ids['other']['id']}", json={"role": "lead"})
    assert r.json()["members"] == [{"user_id": okr.ids["other"]["id"], "role": "lead"}]
    r = await okr.call("admin", "PATCH", f"/api/okr/teams/{team['id']}", json={"parent_id": team["id"]})
    assert r.status_code == 422  # not inside itself
    r = await okr.call("admin", "DELETE", f"/api/okr/teams/{team['id']}/members/{okr.ids['other']['id']}")
    assert r.json()["members"] == []


async def test_users_admin_and_duplicates(okr: Okr) -> None:
    r = await okr.call("admin", "POST", "/api/okr/users", json={"email": "Dup@X.example", "name": "Dup"})
    assert r.status_code == 201 and r.json()["email"] == "dup@x.example"
    assert (await okr.call("admin", "POST", "/api/okr/users", json={"email": "dup@x.example", "name": "Again"})).status_code == 409
    r = await okr.call("admin", "PATCH", f"/api/okr/users/{okr.ids['admin']['id']}", json={"role": "member"})
    assert r.status_code == 409  # Boost keeps an admin


async def test_org_settings_and_the_fiscal_month_lock(okr: Okr) -> None:
    org = (await okr.call("member", "GET", "/api/okr/org")).json()
    assert org["timezone"] == "Asia/Seoul" and org["fiscal_year_start_month"] == 1
    r = await okr.call("admin", "PATCH", "/api/okr/org", json={"holidays": ["2027-02-09", "2027-02-08"],
                                                               "reminders": {"team_digest": {"enabled": False}}})
    assert r.status_code == 200 and r.json()["holidays"] == ["2027-02-08", "2027-02-09"]
    assert (await okr.call("admin", "PATCH", "/api/okr/org", json={"timezone": "Mars/Base"})).status_code == 422
    await okr.objective("member")
    r = await okr.call("admin", "PATCH", "/api/okr/org", json={"fiscal_year_start_month": 4})
    assert r.status_code == 409 and r.json()["current"]["fiscal_year_start_month"] == 1


async def test_search_finds_objectives_people_and_teams(okr: Okr) -> None:
    await okr.objective("member", title="Zanzibar expansion")
    found = (await okr.call("other", "GET", "/api/okr/search", params={"q": "zanzi"})).json()
    assert [o["title"] for o in found["objectives"]] == ["Zanzibar expansion"]
    found = (await okr.call("other", "GET", "/api/okr/search", params={"q": "Lena"})).json()
    assert found["users"][0]["name"] == "Lena Lead"
    assert (await okr.call("other", "GET", "/api/okr/search", params={"q": ""})).status_code == 422
