"""Chat threads: paging, who may edit and delete, body limits, subjects, mentions and
their events, reactions, sign-in."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Stack

MSGS = "/api/feedback/threads/{}/messages"


@pytest.fixture(scope="module")
async def objective(stack: Stack) -> dict[str, Any]:
    obj = await stack.okr.objective("lead", cycle="2027-Q1", title="Ship the app",
                                    key_results=[{"title": "Downloads", "start": 0, "target": 1000}])
    await stack.settle()
    return obj


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    return body


async def test_a_thread_pages_oldest_first_with_id_cursors(stack: Stack, objective: dict[str, Any]) -> None:
    subject = "page:paging-test"  # a thread of its own: other tests post on the objective
    ids = []
    for n in range(7):
        r = await stack.post("member" if n % 2 else "lead", subject, f"message {n}")
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    url = MSGS.format(subject)
    latest = (await stack.call("other", "GET", url, params={"limit": 3})).json()
    assert [m["id"] for m in latest] == ids[-3:]  # the latest page, oldest first
    assert [m["body"] for m in latest] == ["message 4", "message 5", "message 6"]
    older = (await stack.call("other", "GET", url, params={"limit": 3, "before": latest[0]["id"]})).json()
    assert [m["id"] for m in older] == ids[1:4]
    oldest = (await stack.call("other", "GET", url, params={"limit": 3, "before": older[0]["id"]})).json()
    assert [m["id"] for m in oldest] == ids[:1]
    newer = (await stack.call("other", "GET", url, params={"limit": 2, "after": ids[0]})).json()
    assert [m["id"] for m in newer] == ids[1:3]
    between = (await stack.call("other", "GET", url, params={"after": ids[1], "before": ids[4]})).json()
    assert [m["id"] for m in between] == ids[2:4]
    everything = (await stack.call("other", "GET", url)).json()  # default limit 50
    assert [m["id"] for m in everything] == ids
    assert (await stack.call("other", "GET", MSGS.format("page:empty"))).json() == []
    _problem(await stack.call("other", "GET", url, params={"limit": 0}), 422)
    _problem(await stack.call("other", "GET", url, params={"limit": 201}), 422)
    _problem(await stack.call("other", "GET", url, params={"before": "abc"}), 422)


async def test_only_the_author_edits_and_deletes_and_admins_moderate(stack: Stack, objective: dict[str, Any]) -> None:
    subject = f"objective:{objective['id']}"
    mine = (await stack.post("member", subject, "frist")).json()
    url = f"/api/feedback/messages/{mine['id']}"
    _problem(await stack.call("other", "PATCH", url, json={"body": "hijacked"}), 403)
    _problem(await stack.call("other", "DELETE", url), 403)
    _problem(await stack.call("admin", "PATCH", url, json={"body": "admins delete, they don't reword"}), 403)
    r = await stack.call("member", "PATCH", url, json={"body": "first"})
    assert r.status_code == 200 and r.json()["body"] == "first" and r.json()["edited_at"] is not None
    # The author deletes their own: a tombstone stays in the thread.
    r = await stack.call("member", "DELETE", url)
    assert r.status_code == 200
    assert (r.json()["deleted"], r.json()["body"], r.json()["mentions"]) == (True, "", [])
    listed = {m["id"]: m for m in (await stack.call("lead", "GET", MSGS.format(subject))).json()}
    assert listed[mine["id"]]["deleted"] is True and listed[mine["id"]]["body"] == ""
    _problem(await stack.call("member", "PATCH", url, json={"body": "undead"}), 409)
    assert (await stack.call("member", "DELETE", url)).status_code == 200  # deleting twice is harmless
    # Admins moderate anyone's message.
    theirs = (await stack.post("other", subject, "spam spam spam")).json()
    r = await stack.call("admin", "DELETE", f"/api/feedback/messages/{theirs['id']}")
    assert r.status_code == 200 and r.json()["deleted"] is True
    _problem(await stack.call("member", "PATCH", "/api/feedback/messages/999999999", json={"body": "x"}), 404)
    _problem(await stack.call("member", "DELETE", "/api/feedback/messages/0"), 422)


async def test_bodies_are_plain_text_of_1_to_4000_characters_kept_verbatim(stack: Stack, objective: dict[str, Any]) -> None:
    subject = f"objective:{objective['id']}"
    r = await stack.post("member", subject, "x" * 4001)
    body = _problem(r, 422)
    assert body["errors"][0]["loc"][-1] == "body"
    # Code points, not bytes or UTF-16 units: 4,000 emoji fit.
    r = await stack.post("member", subject, "🎉" * 4000)
    assert r.status_code == 201 and r.json()["body"] == "🎉" * 4000
    _problem(await stack.post("member", subject, ""), 422)
    _problem(await stack.post("member", subject, "  \n\t "), 422)
    lone_surrogate = b'{"body": "\\ud800 is half a character"}'  # valid JSON, not valid text
    _problem(await stack.call("member", "POST", MSGS.format(subject), content=lone_surrogate,
                              headers={"content-type": "application/json"}), 422)
    _problem(await stack.call("member", "POST", MSGS.format(subject), json={"body": "hi", "html": True}), 422)
    _problem(await stack.call("member", "POST", MSGS.format(subject), content=b"{not json",
                              headers={"content-type": "application/json"}), 422)
    verbatim = "<script>alert('x')</script> &amp;  two  spaces\n\nand **no markdown**"
    r = await stack.post("member", subject, verbatim)
    assert r.status_code == 201 and r.json()["body"] == verbatim
    edit = await stack.call("member", "PATCH", f"/api/feedback/messages/{r.json()['id']}", json={"body": "y" * 4001})
    _problem(edit, 422)


@pytest.mark.parametrize("subject", [
    "objective:abc", "objective:007", "objective:", "objective:1:extra", "Objective:1", "key-result:-3",
    "draft:2027-Q5:team:1", "draft:2027-Q1:team:x", "draft:2027-Q1", "team:0", "cycle:27-Q1",
    "page:has space", "page:%C3%A9t%C3%A9", "page::empty", "1page", "page:" + "a" * 65, "a" * 201,
])
async def test_subjects_that_are_not_threads_answer_422(stack: Stack, subject: str) -> None:
    _problem(await stack.post("member", subject, "hello"), 422)
    _problem(await stack.call("member", "GET", MSGS.format(subject)), 422)


async def test_page_threads_and_missing_entities(stack: Stack, objective: dict[str, Any]) -> None:
    product = stack.ids["product"]["id"]
    for subject in (f"draft:2027-Q2:team:{product}", "page:dashboard", f"team:{product}", "cycle:2027-Q1", "feedback"):
        r = await stack.post("member", subject, "hi")
        assert r.status_code == 201, (subject, r.text)
        assert r.json()["subject"] == subject
    _problem(await stack.post("member", "objective:987654", "anyone?"), 404)
    _problem(await stack.post("member", "key-result:987654", "anyone?"), 404)
    _problem(await stack.post("member", "draft:2027-Q2:team:987654", "anyone?"), 404)


async def test_mentions_emit_one_event_per_person_with_a_link_and_scope(stack: Stack, objective: dict[str, Any]) -> None:
    lead, member, other = (stack.ids[k]["id"] for k in ("lead", "member", "other"))
    kr = objective["key_results"][0]
    subject = f"key-result:{kr['id']}"
    text = f"<@{lead}> and <@{member}>, see <@{lead}> again; <@999999> is nobody and <@{other}> is me"
    async with stack.capture() as seen:
        r = await stack.post("other", subject, text)
    assert r.status_code == 201, r.text
    msg = r.json()
    assert msg["mentions"] == [lead, member, other] and msg["body"] == text
    scope = {"thread": subject, "objective_id": objective["id"], "team_id": objective["team_id"], "cycle": "2027-Q1"}
    created = [e for e in seen if e["type"] == "message.created"]
    assert len(created) == 1 and created[0]["scope"] == scope and created[0]["data"]["id"] == msg["id"]
    assert created[0]["source"] == "feedback" and created[0]["actor_id"] == other
    mentions = [e for e in seen if e["type"] == "mention.created"]
    assert sorted(e["data"]["user_id"] for e in mentions) == [lead, member]  # once each, never the author
    for e in mentions:
        assert e["data"]["link"] == f"/objectives/{objective['id']}?kr={kr['id']}#chat"
        assert e["data"]["message_id"] == msg["id"] and e["data"]["author_id"] == other
        assert e["scope"] == scope
    # An edit tells only the people it newly mentions.
    ceo = stack.ids["ceo"]["id"]
    async with stack.capture() as seen:
        r = await stack.call("other", "PATCH", f"/api/feedback/messages/{msg['id']}",
                             json={"body": f"<@{lead}> and <@{ceo}>"})
    assert r.json()["mentions"] == [lead, ceo]
    assert [e["data"]["user_id"] for e in seen if e["type"] == "mention.created"] == [ceo]
    assert [e["type"] for e in seen if e["type"].startswith("message.")] == ["message.updated"]
    # Links of the other kinds of thread.
    product = stack.ids["product"]["id"]
    async with stack.capture() as seen:
        await stack.post("other", f"objective:{objective['id']}", f"<@{lead}>")
        await stack.post("other", f"draft:2027-Q2:team:{product}", f"<@{lead}>")
    links = [e["data"]["link"] for e in seen if e["type"] == "mention.created"]
    assert links == [f"/objectives/{objective['id']}#chat", f"/cycles/2027-Q2/teams/{product}/draft"]
    draft = next(e for e in seen if e["type"] == "message.created" and e["data"]["subject"].startswith("draft"))
    assert draft["scope"] == {"thread": f"draft:2027-Q2:team:{product}", "team_id": product, "cycle": "2027-Q2",
                              "objective_id": None}
    async with stack.capture() as seen:
        r = await stack.call("admin", "DELETE", f"/api/feedback/messages/{msg['id']}")
    [deleted] = seen
    assert deleted["type"] == "message.deleted" and deleted["data"]["deleted"] is True and deleted["data"]["body"] == ""


async def test_reactions(stack: Stack, objective: dict[str, Any]) -> None:
    msg = (await stack.post("member", f"objective:{objective['id']}", "we shipped")).json()
    url = f"/api/feedback/messages/{msg['id']}/reactions"
    for who in ("lead", "other", "lead"):  # repeating a reaction changes nothing
        assert (await stack.call(who, "PUT", f"{url}/thumbsup")).status_code == 200
    r = await stack.call("other", "PUT", f"{url}/🎉")
    assert r.status_code == 200
    assert r.json()["reactions"] == [
        {"emoji": "thumbsup", "count": 2, "user_ids": [stack.ids["lead"]["id"], stack.ids["other"]["id"]]},
        {"emoji": "🎉", "count": 1, "user_ids": [stack.ids["other"]["id"]]}]
    r = await stack.call("lead", "DELETE", f"{url}/thumbsup")
    assert r.json()["reactions"][0] == {"emoji": "thumbsup", "count": 1, "user_ids": [stack.ids["other"]["id"]]}
    listed = (await stack.call("ceo", "GET", MSGS.format(f"objective:{objective['id']}"))).json()
    assert next(m for m in listed if m["id"] == msg["id"])["reactions"] == r.json()["reactions"]
    _problem(await stack.call("lead", "PUT", f"{url}/<b>"), 422)
    _problem(await stack.call("lead", "PUT", f"{url}/" + "x" * 33), 422)
    await stack.call("member", "DELETE", f"/api/feedback/messages/{msg['id']}")
    _problem(await stack.call("lead", "PUT", f"{url}/thumbsup"), 409)


async def test_sign_in_is_required_and_cookie_writes_need_the_csrf_header(stack: Stack, objective: dict[str, Any]) -> None:
    url = MSGS.format(f"objective:{objective['id']}")
    _problem(await stack.fb.get(url), 401)
    _problem(await stack.fb.get(url, headers={"Authorization": "Bearer not-a-token"}), 401)
    login = await stack.okr.client.post("/api/auth/dev-login", json={"email": "member@x.example"})
    cookies = {"boost_session": login.cookies["boost_session"], "boost_csrf": login.cookies["boost_csrf"]}
    stack.okr.client.cookies.clear()
    stack.fb.cookies.update(cookies)
    try:
        assert (await stack.fb.get(url)).status_code == 200  # reads need no CSRF header
        _problem(await stack.fb.post(url, json={"body": "via cookie"}), 403)
        r = await stack.fb.post(url, json={"body": "via cookie"}, headers={"X-Boost-CSRF": cookies["boost_csrf"]})
        assert r.status_code == 201 and r.json()["author_id"] == stack.ids["member"]["id"]
    finally:
        stack.fb.cookies.clear()
