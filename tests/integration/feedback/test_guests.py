"""Guests (okr's org role `guest`, learnt from okr's user events) read every feedback
entry and thread and write nothing: no feedback, retro, message, edit, deletion or
reaction, whatever team an admin puts them in. An admin making them a member lets them
write; making them a guest again stops them (the role travels in `user.updated`)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Stack

GUEST = "gus@partner.example"
SENTENCE = "Guests can read Boost but not change it"


@pytest.fixture(scope="module")
async def world(stack: Stack) -> dict[str, Any]:
    """The guest, a lead of Product, wrote a message and a praise and reacted while a
    member; then an admin made them a guest."""
    admin = stack.okr
    r = await admin.call("admin", "POST", "/api/okr/users", json={"email": GUEST, "name": "Gus Guest"})
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    assert (await admin.call("admin", "PUT", f"/api/okr/teams/{stack.ids['product']['id']}/members/{gid}",
                             json={"role": "lead"})).status_code == 200
    await stack.settle()
    msg = await stack.post(GUEST, "page:guests", "written as a member")
    assert msg.status_code == 201, msg.text
    assert (await stack.call(GUEST, "PUT", f"/api/feedback/messages/{msg.json()['id']}/reactions/tada")).status_code == 200
    fb = await stack.call(GUEST, "POST", "/api/feedback/feedback",
                          json={"kind": "praise", "to_team_id": stack.ids["engineering"]["id"], "body": "Nice"})
    assert fb.status_code == 201, fb.text
    to_product = await stack.call("other", "POST", "/api/feedback/feedback",
                                  json={"kind": "suggestion", "to_team_id": stack.ids["product"]["id"], "body": "Try"})
    assert to_product.status_code == 201, to_product.text
    assert (await admin.call("admin", "PATCH", f"/api/okr/users/{gid}", json={"role": "guest"})).status_code == 200
    await stack.settle()
    return {"id": gid, "message": msg.json()["id"], "feedback": fb.json()["id"], "to_product": to_product.json()["id"]}


def refused(r: Any) -> None:
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert SENTENCE in r.json()["detail"]


async def test_a_guest_reads_feedback_and_threads(stack: Stack, world: dict[str, Any]) -> None:
    assert (await stack.call(GUEST, "GET", "/api/feedback/feedback")).status_code == 200
    r = await stack.call(GUEST, "GET", "/api/feedback/threads/page:guests/messages")
    assert r.status_code == 200 and [m["body"] for m in r.json()] == ["written as a member"]


async def test_every_feedback_write_is_refused_to_a_guest(stack: Stack, world: dict[str, Any]) -> None:
    product, msg = stack.ids["product"]["id"], world["message"]
    refused(await stack.call(GUEST, "POST", "/api/feedback/feedback",
                             json={"kind": "praise", "to_team_id": product, "body": "Well done"}))
    refused(await stack.call(GUEST, "POST", "/api/feedback/feedback",
                             json={"kind": "retro", "team_id": product, "cycle": "2026-Q4", "went_well": "a",
                                   "to_improve": "b", "score": 0.5}))
    refused(await stack.call(GUEST, "PATCH", f"/api/feedback/feedback/{world['feedback']}", json={"body": "Edited"}))
    refused(await stack.call(GUEST, "PATCH", f"/api/feedback/feedback/{world['to_product']}", json={"resolved": True}))
    refused(await stack.post(GUEST, "page:guests", "hello"))
    refused(await stack.call(GUEST, "PATCH", f"/api/feedback/messages/{msg}", json={"body": "edited"}))
    refused(await stack.call(GUEST, "DELETE", f"/api/feedback/messages/{msg}"))
    refused(await stack.call(GUEST, "PUT", f"/api/feedback/messages/{msg}/reactions/thumbsup"))
    refused(await stack.call(GUEST, "DELETE", f"/api/feedback/messages/{msg}/reactions/tada"))
    # nothing changed
    page = (await stack.call("admin", "GET", "/api/feedback/threads/page:guests/messages")).json()
    assert [(m["body"], m["deleted"], [r["emoji"] for r in m["reactions"]]) for m in page] == [
        ("written as a member", False, ["tada"])]
    fb = (await stack.call("admin", "GET", f"/api/feedback/feedback/{world['feedback']}")).json()
    assert fb["body"] == "Nice"
    assert (await stack.call("admin", "GET", f"/api/feedback/feedback/{world['to_product']}")).json()["resolved"] is False


async def test_a_guest_made_a_member_writes_and_made_a_guest_again_does_not(stack: Stack, world: dict[str, Any]) -> None:
    gid = world["id"]
    assert (await stack.okr.call("admin", "PATCH", f"/api/okr/users/{gid}", json={"role": "member"})).status_code == 200
    await stack.settle()
    assert (await stack.post(GUEST, "page:guests", "a member again")).status_code == 201
    assert (await stack.okr.call("admin", "PATCH", f"/api/okr/users/{gid}", json={"role": "guest"})).status_code == 200
    await stack.settle()
    refused(await stack.post(GUEST, "page:guests", "and a guest again"))
