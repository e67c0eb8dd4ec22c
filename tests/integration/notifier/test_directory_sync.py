"""Slack's directory into Boost: `users.list` (paged) creates, updates and deactivates
people through okr, matched by email, with Slack ids, locales and timezones; guests are
not imported; admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.notifier.tests.fake_slack import FakeSlack, Member
from tests.support.notifier import notifier_stack


async def test_directory_sync_creates_updates_and_deactivates_people(make_settings: Callable[..., Any]) -> None:
    fake = FakeSlack(page_size=2, members=[
        Member("U0LEAD", "lead@x.example", "Lena Lead-Kim"),  # renamed in Slack
        Member("U0MEMBER", "member@x.example", "Min Member", locale="ko-KR", tz="Asia/Seoul"),
        Member("U0NEW", "new@x.example", "Nora New", locale="en-GB", tz="Europe/London"),
        Member("U0GONE", "other@x.example", "Otto Other", deleted=True),  # deactivated in Slack
        Member("UBOT", None, "Build Bot", is_bot=True),
        Member("U0NOMAIL", None, "No Email"),
        Member("U0GUEST1", "gus@partner.example", "Gus Guest", guest="single"),
        Member("U0GUEST2", "mia@partner.example", "Mia Multi", guest="multi"),
    ])
    async with notifier_stack(make_settings, "ntfdir", fake=fake) as stack:
        member = await stack.as_("member")
        assert (await stack.notifier.post("/api/notifier/directory/sync", headers=member)).status_code == 403
        r = await stack.notifier.post("/api/notifier/directory/sync", headers=stack.headers["admin"])
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["members"] == 8 and result["synced"] == 4 and result["created"] == 1 and result["deactivated"] >= 2
        users = {u["email"]: u for u in await stack.call("admin", "GET", "/api/okr/users")}
        new = users["new@x.example"]
        assert new["slack_user_id"] == "U0NEW" and new["locale"] == "en" and new["timezone"] == "Europe/London"
        assert users["lead@x.example"]["name"] == "Lena Lead-Kim"
        assert users["other@x.example"]["active"] is False  # deleted in Slack
        assert users["ceo@x.example"]["active"] is False  # gone from Slack (had a Slack id)
        assert users["member@x.example"]["active"] is True and users["member@x.example"]["locale"] == "en"  # own setting kept
        assert users["admin@boost.example"]["active"] is True
        assert "gus@partner.example" not in users and "mia@partner.example" not in users  # guests stay out
        assert len(stack.slack.of("users.list")) == 4  # type: ignore[union-attr]  # paged: 2 + 2 + 2 + 2
        # Again: nothing new.
        again = (await stack.notifier.post("/api/notifier/directory/sync", headers=stack.headers["admin"])).json()
        assert again["created"] == 0 and again["deactivated"] == 0


async def test_record_only_mode_records_rendered_messages_and_refuses_slack_calls(make_settings: Callable[..., Any]) -> None:
    from datetime import date

    from tests.support.waiting import until

    async with notifier_stack(make_settings, "ntfrec", with_slack=False) as stack:
        occurrence = await stack.reminder("drafting_open", "2027-Q2", date(2027, 1, 11))
        await until(lambda: stack.rows(occurrence_id=occurrence), 10, "rows")
        rows = await stack.settle(occurrence_id=occurrence)
        assert len(rows) == 4 and {r.status for r in rows} == {"recorded"}
        mine = await stack.notifier.get("/api/notifier/deliveries?user_id=me&kind=drafting_open",
                                        headers=await stack.as_("member"))
        body = mine.json()
        assert len(body) == 1 and body[0]["status"] == "recorded" and body[0]["blocks"][0]["type"] == "section"
        assert "Drafting for 2027-Q2 is open" in body[0]["text"]
        # No signing secret: nothing claiming to be Slack is believed.
        r = await stack.notifier.post("/slack/commands", content=b"text=help",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 401
        sync = await stack.notifier.post("/api/notifier/directory/sync", headers=stack.headers["admin"])
        assert sync.status_code == 409


async def test_with_guests_allowed_directory_sync_imports_them_as_guests(make_settings: Callable[..., Any]) -> None:
    """BOOST_SLACK_ALLOW_GUESTS=1: single- and multi-channel guests come in with the role
    `guest` (they read, write nothing), full members as members; a role an admin gives later
    (a guest made a member) is kept by the next sync."""
    fake = FakeSlack(page_size=10, members=[
        Member("U0MEMBER", "member@x.example", "Min Member"),
        Member("U0NEW", "new@x.example", "Nora New"),
        Member("U0GUEST1", "gus@partner.example", "Gus Guest", guest="single"),
        Member("U0GUEST2", "mia@partner.example", "Mia Multi", guest="multi"),
    ])
    async with notifier_stack(make_settings, "ntfdirg", fake=fake,
                              settings_overrides={"slack_allow_guests": True}) as stack:
        r = await stack.notifier.post("/api/notifier/directory/sync", headers=stack.headers["admin"])
        assert r.status_code == 200, r.text
        assert r.json()["synced"] == 4 and r.json()["created"] == 3
        users = {u["email"]: u for u in await stack.call("admin", "GET", "/api/okr/users")}
        assert (users["gus@partner.example"]["role"], users["gus@partner.example"]["active"]) == ("guest", True)
        assert users["mia@partner.example"]["role"] == "guest"
        assert users["new@x.example"]["role"] == "member" and users["member@x.example"]["role"] == "member"
        mia = users["mia@partner.example"]["id"]
        made = await stack.call("admin", "PATCH", f"/api/okr/users/{mia}", json={"role": "member"})
        assert made["role"] == "member"
        r = await stack.notifier.post("/api/notifier/directory/sync", headers=stack.headers["admin"])
        assert r.status_code == 200, r.text
        users = {u["email"]: u for u in await stack.call("admin", "GET", "/api/okr/users")}
        assert users["mia@partner.example"]["role"] == "member" and users["gus@partner.example"]["role"] == "guest"
