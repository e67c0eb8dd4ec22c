"""Webhook sources: each binding gets its own unguessable URL, the org's systems push
values to it, a wrong token is a 404 that records nothing."""

from __future__ import annotations

from typing import Any

from tests.support.waiting import until

from .conftest import Stack


async def webhook_binding(stack: Stack, owner: str = "member") -> tuple[dict[str, Any], dict[str, Any]]:
    src = await stack.call("admin", "POST", "/api/connectors/sources", json={"name": "CI pushes", "kind": "webhook"})
    assert src.status_code == 201, src.text
    kr = await stack.new_kr(owner=owner, title="Deploys per week")
    r = await stack.call(owner, "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                         json={"source_id": src.json()["id"], "every_minutes": 60})
    assert r.status_code == 201, r.text
    await stack.source_bound(kr["id"])
    return kr, r.json()


async def test_a_pushed_value_becomes_a_check_in(stack: Stack) -> None:
    kr, binding = await webhook_binding(stack)
    url: str = binding["webhook_url"]
    prefix = f"{stack.container.settings.public_url}/api/connectors/hooks/"
    token = url.removeprefix(prefix)
    assert url.startswith(prefix) and len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum()
    r = await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": 12, "note": "from CI"})
    assert r.status_code == 202, r.text
    view = await stack.kr(kr["id"])
    assert view["current"] == 12.0 and view["source"] == {**view["source"], "kind": "webhook", "state": "ok"}
    history = await stack.check_ins(kr["id"])
    assert history[-1]["note"] == "from CI" and history[-1]["source"]["kind"] == "webhook"
    again = await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": 12})
    assert again.status_code == 202 and again.json()["checked_in"] is False
    assert len(await stack.check_ins(kr["id"])) == 1
    # Someone who may not bind the key result does not see its URL (a credential).
    seen = (await stack.call("other", "GET", f"/api/connectors/key-results/{kr['id']}/binding")).json()
    assert seen["webhook_url"] is None and token not in str(seen)
    # The event carries no token either.
    assert not any(token in str(e) for e in stack.events)


async def test_a_wrong_token_is_a_404_and_records_nothing(stack: Stack) -> None:
    kr, binding = await webhook_binding(stack)
    token = binding["webhook_url"].rsplit("/", 1)[1]
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (wrong, "short", "x" * 40):
        r = await stack.conn.post(f"/api/connectors/hooks/{bad}", json={"value": 99})
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await stack.kr(kr["id"]))["current"] == 0.0 and await stack.check_ins(kr["id"]) == []
    bad_body = await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": "lots"})
    assert bad_body.status_code == 422


async def test_a_paused_webhook_takes_nothing(stack: Stack) -> None:
    kr, binding = await webhook_binding(stack)
    token = binding["webhook_url"].rsplit("/", 1)[1]
    paused = await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                              json={"source_id": binding["source_id"], "active": False})
    assert paused.json()["state"] == "paused" and paused.json()["webhook_url"] == binding["webhook_url"]

    async def okr_paused() -> bool:
        return bool((await stack.kr(kr["id"]))["source"]["state"] == "paused")
    await until(okr_paused, 10)
    r = await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": 3})
    assert r.status_code == 409 and await stack.check_ins(kr["id"]) == []


async def test_a_deleted_key_result_pauses_its_binding(stack: Stack) -> None:
    kr, binding = await webhook_binding(stack)
    token = binding["webhook_url"].rsplit("/", 1)[1]
    assert (await stack.okr.call("admin", "DELETE", f"/api/okr/key-results/{kr['id']}")).status_code == 204
    r = await stack.conn.post(f"/api/connectors/hooks/{token}", json={"value": 4})
    assert r.status_code == 404
    got = (await stack.call("member", "GET", f"/api/connectors/key-results/{kr['id']}/binding")).json()
    assert got["state"] == "paused" and got["active"] is False and "no longer exists" in got["error"]


async def test_a_milestone_key_result_cannot_be_connected(stack: Stack) -> None:
    src = await stack.call("admin", "POST", "/api/connectors/sources", json={"name": "Hook M", "kind": "webhook"})
    kr = await stack.new_kr(owner="member", kind="milestone", items=[{"title": "Design"}, {"title": "Ship"}])
    r = await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                         json={"source_id": src.json()["id"]})
    assert r.status_code == 422 and "milestone" in r.text
