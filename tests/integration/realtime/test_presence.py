"""Presence: who is on a page and which field they are editing, shared across replicas,
visible within a second and gone within a few seconds."""

from __future__ import annotations

import json
import time

import nats

from .conftest import PRESENCE_TTL, Client, World, connect


def _people(message: dict) -> set[tuple[int, str | None]]:
    return {(u["id"], u["field"]) for u in message["users"]}


async def test_presence_shows_across_replicas_and_goes_when_the_tab_closes(world: World, clients: list[Client]) -> None:
    obj = await world.new_objective("Presence page")
    room = f"objective:{obj['id']}"
    member_id = world.people["member"]["user"]["id"]
    lead_id = world.people["lead"]["user"]["id"]

    watcher = await connect(world.replicas[1].url, token=world.token("lead"))
    clients.append(watcher)
    assert await watcher.call("subscribe", {"room": room}) == {"ok": True}
    assert await watcher.call("presence", {"room": room, "field": None}) == {"ok": True}

    editor = await connect(world.replicas[0].url, token=world.token("member"))
    clients.append(editor)
    assert await editor.call("subscribe", {"room": room}) == {"ok": True}
    # A newcomer is told at once who is already there (the lead, via the other replica).
    await editor.wait_for("presence", lambda m: m["room"] == room and (lead_id, None) in _people(m), timeout=1)

    started = time.monotonic()
    field = f"objective:{obj['id']}:title"
    assert await editor.call("presence", {"room": room, "field": field}) == {"ok": True}
    seen = await watcher.wait_for("presence", lambda m: m["room"] == room and (member_id, field) in _people(m),
                                  timeout=1)
    assert time.monotonic() - started < 1.0
    member = next(u for u in seen["users"] if u["id"] == member_id)
    assert member["name"] == "Min Member"

    # Moving to another field replaces the old one.
    assert await editor.call("presence", {"room": room, "field": None}) == {"ok": True}
    await watcher.wait_for("presence", lambda m: (member_id, None) in _people(m) and (member_id, field) not in _people(m),
                           timeout=1)

    watcher.received["presence"].clear()
    gone_from = time.monotonic()
    await editor.sio.disconnect()
    await watcher.wait_for("presence", lambda m: m["room"] == room and member_id not in {u["id"] for u in m["users"]},
                           timeout=3)
    assert time.monotonic() - gone_from < 3


async def test_presence_of_a_replica_that_died_expires(world: World, clients: list[Client]) -> None:
    obj = await world.new_objective("Ghost page")
    room = f"objective:{obj['id']}"
    watcher = await connect(world.replicas[0].url, token=world.token("lead"))
    clients.append(watcher)
    assert await watcher.call("subscribe", {"room": room}) == {"ok": True}

    # A heartbeat from a replica that then vanishes without saying goodbye.
    nc = await nats.connect(world.settings.nats_url)
    try:
        beat = {"room": room, "user": {"id": 424242, "name": "Ghost"}, "field": f"objective:{obj['id']}:description",
                "replica": "ghost", "sid": "s1", "at": "2027-01-01T00:00:00Z"}
        await nc.publish(world.settings.names.presence(), json.dumps(beat).encode())
        await nc.flush()
    finally:
        await nc.close()
    appeared = await watcher.wait_for("presence", lambda m: 424242 in {u["id"] for u in m["users"]}, timeout=1)
    assert appeared["room"] == room
    watcher.received["presence"].clear()
    started = time.monotonic()
    await watcher.wait_for("presence", lambda m: m["room"] == room and 424242 not in {u["id"] for u in m["users"]},
                           timeout=PRESENCE_TTL + 2)
    assert time.monotonic() - started >= PRESENCE_TTL - 0.5


async def test_presence_messages_are_checked(world: World, clients: list[Client]) -> None:
    client = await connect(world.replicas[0].url, token=world.token("member"))
    clients.append(client)
    oid = world.objective["id"]
    for data in ({"room": "nowhere"}, {"room": f"objective:{oid}", "field": "title"},
                 {"room": f"objective:{oid}", "field": 12}, "junk", None):
        ack = await client.call("presence", data)
        assert ack["ok"] is False, data
    assert await client.call("presence", {"room": f"objective:{oid}", "field": "key_result:7:current"}) == {"ok": True}
