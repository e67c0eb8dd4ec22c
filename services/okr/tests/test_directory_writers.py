"""Two admins (or a person and an admin) changing the same person, team or org settings at
once: nobody's change is overwritten by someone who never saw it (issue 21, item 1)."""

from __future__ import annotations

from tests.support.stack import Okr


async def test_two_admins_renaming_a_team_the_later_one_gets_a_conflict_with_both_names(okr: Okr) -> None:
    team = (await okr.call("admin", "POST", "/api/okr/teams", json={"name": "Growth"})).json()
    url = f"/api/okr/teams/{team['id']}"
    seen = team["version"]
    r = await okr.call("admin", "PATCH", url, json={"name": "Growth & Retention", "version": seen,
                                                   "base": {"name": "Growth"}})
    assert r.status_code == 200
    late = await okr.call("admin", "PATCH", url, json={"name": "Acquisition", "version": seen, "base": {"name": "Growth"}})
    assert late.status_code == 409 and late.headers["content-type"].startswith("application/problem+json")
    assert late.json()["current"]["name"] == "Growth & Retention"
    # A field nobody else touched still saves from the old version (per field, not per row).
    r = await okr.call("admin", "PATCH", url, json={"slack_channel_id": "C123", "version": seen,
                                                   "base": {"slack_channel_id": None}})
    assert r.status_code == 200 and r.json()["name"] == "Growth & Retention"
    # A team lead set by one admin is not turned back into a member by another who saw the old role.
    member = okr.ids["other"]["id"]
    t = (await okr.call("admin", "PUT", f"{url}/members/{member}", json={"role": "member"})).json()
    r = await okr.call("admin", "PUT", f"{url}/members/{member}", json={"role": "lead", "version": t["version"],
                                                                         "base_role": "member"})
    assert r.status_code == 200
    stale = await okr.call("admin", "PUT", f"{url}/members/{member}",
                           json={"role": "member", "version": t["version"], "base_role": "member"})
    assert stale.status_code == 409 and stale.json()["current"]["members"] == [{"user_id": member, "role": "lead"}]


async def test_a_profile_and_the_org_settings_keep_a_newer_change(okr: Okr) -> None:
    me = okr.ids["member"]
    user = (await okr.call("member", "GET", f"/api/okr/users/{me['id']}")).json()
    url = f"/api/okr/users/{me['id']}"
    # The person sets their language in one tab; the admin renames them from the page loaded before.
    assert (await okr.call("member", "PATCH", url, json={"locale": "ko", "version": user["version"],
                                                         "base": {"locale": user["locale"]}})).status_code == 200
    r = await okr.call("admin", "PATCH", url, json={"name": "Mina Park", "version": user["version"],
                                                   "base": {"name": user["name"]}})
    assert r.status_code == 200 and (r.json()["name"], r.json()["locale"]) == ("Mina Park", "ko")
    # A second tab still on the first version changes the language back: refused.
    r = await okr.call("member", "PATCH", url, json={"locale": "en", "version": user["version"],
                                                    "base": {"locale": user["locale"]}})
    assert r.status_code == 409 and r.json()["current"]["locale"] == "ko"

    org = (await okr.call("admin", "GET", "/api/okr/org")).json()
    r = await okr.call("admin", "PATCH", "/api/okr/org", json={"name": "Haneul Labs", "version": org["version"],
                                                               "base": {"name": org["name"]}})
    assert r.status_code == 200
    r = await okr.call("admin", "PATCH", "/api/okr/org", json={"name": "Haneul", "version": org["version"],
                                                               "base": {"name": org["name"]}})
    assert r.status_code == 409 and r.json()["current"]["name"] == "Haneul Labs"
    # Holidays were not touched by the other admin: they save from the old version.
    r = await okr.call("admin", "PATCH", "/api/okr/org", json={"holidays": ["2027-02-08"], "version": org["version"],
                                                               "base": {"holidays": org["holidays"]}})
    assert r.status_code == 200 and r.json()["name"] == "Haneul Labs"


async def test_the_import_forms_example_imports_with_a_lead_after_a_dry_run(okr: Okr) -> None:
    """The seen example: the form's own example (`…,lead` under `role`) was refused, and team
    leads could not be set. Org role and team role are separate columns; a dry run shows what
    would change and writes nothing."""
    from okr_service.directory.service import IMPORT_EXAMPLE

    r = await okr.call("admin", "POST", "/api/okr/import", params={"dry_run": "true"}, content=IMPORT_EXAMPLE.encode(),
                       headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["dry_run"] is True
    assert [(c["action"], c.get("team"), c["detail"]) for c in preview["changes"]] == [
        ("create_team", "Growth", "inside Company"), ("create_user", None, "Kim Minji (member)"),
        ("add_member", "Growth", "lead")]
    assert (await okr.call("admin", "GET", "/api/okr/users", params={"q": "minji@"})).json() == []
    assert "Growth" not in {t["name"] for t in (await okr.call("admin", "GET", "/api/okr/teams")).json()}
    r = await okr.call("admin", "POST", "/api/okr/import", content=IMPORT_EXAMPLE.encode(),
                       headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["dry_run"] is False
    teams = {t["name"]: t for t in (await okr.call("admin", "GET", "/api/okr/teams")).json()}
    [minji] = (await okr.call("admin", "GET", "/api/okr/users", params={"q": "minji@"})).json()
    assert teams["Growth"]["members"] == [{"user_id": minji["id"], "role": "lead"}] and minji["role"] == "member"
    # The old mistake gets a sentence that says where lead goes.
    r = await okr.call("admin", "POST", "/api/okr/import", content=b"email,name,team,role\nx@y.example,X,Growth,lead\n")
    assert r.status_code == 422 and "team_role" in r.json()["errors"][0]["msg"]


async def test_a_submitted_objective_names_who_approves_it(okr: Okr) -> None:
    """The seen example: "Waiting for approval" with no name, and a lead not told why she can't approve."""
    obj = await okr.objective("member")
    r = await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}/approvers")
    assert r.status_code == 200, r.text
    body = r.json()
    team = (await okr.call("member", "GET", f"/api/okr/teams/{obj['team_id']}")).json()
    assert body["parent_team_id"] == team["parent_id"] and body["by"] == "parent_leads"
    assert okr.ids["admin"]["id"] in body["approvers"] and obj["owner_id"] not in body["approvers"]
    assert (await okr.call("member", "GET", "/api/okr/objectives/987654/approvers")).status_code == 404


async def test_sign_in_offers_only_what_is_configured_and_the_picker_shows_teams(okr: Okr) -> None:
    r = await okr.call("member", "GET", "/api/auth/methods")
    assert r.json() == {"slack": False, "dev": True}
    # A browser sent to Sign in with Slack that is not set up lands on the sign-in page, not on JSON.
    r = await okr.call("member", "GET", "/api/auth/slack/login", headers={"accept": "text/html"})
    assert r.status_code == 302 and r.headers["location"] == "/signin?error=slack_unconfigured"
    assert (await okr.call("member", "GET", "/api/auth/slack/login")).status_code == 404  # API clients: problem+json
    people = {p["id"]: p for p in (await okr.call("member", "GET", "/api/auth/dev-users")).json()}
    lead = people[okr.ids["lead"]["id"]]
    assert {"id": okr.ids["product"]["id"], "name": okr.ids["product"]["name"], "role": "lead"} in lead["teams"]
