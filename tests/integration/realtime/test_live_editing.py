"""Editing together over sockets, across two realtime replicas: edits reach okr and come
back to everyone in the rooms, concurrent typing in one text field keeps both people's
text, stale structured edits conflict, and a replayed op_id changes nothing."""

from __future__ import annotations

import asyncio
import secrets

from .conftest import Client, World, connect


def op() -> str:
    return "op-" + secrets.token_hex(8)


async def _open(world: World, clients: list[Client], who: str, replica: int, *rooms: str) -> Client:
    client = await connect(world.replicas[replica].url, token=world.token(who))
    clients.append(client)
    for room in rooms:
        assert await client.call("subscribe", {"room": room}) == {"ok": True}
    return client


async def test_an_edit_on_one_replica_reaches_a_client_on_the_other_once(world: World, clients: list[Client]) -> None:
    obj = await world.new_objective("Grow the waitlist")
    rooms = [f"objective:{obj['id']}", f"team:{world.team_id}:{world.cycle}", f"cycle:{world.cycle}"]
    editor = await _open(world, clients, "member", 0, rooms[0])
    watcher = await _open(world, clients, "lead", 1, *rooms)  # in all three rooms of the event's scope

    op_id = op()
    ack = await editor.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"description": "Doubled"},
                                     "version": obj["version"], "op_id": op_id})
    assert ack["ok"] is True and ack["version"] > obj["version"]

    event = await watcher.wait_for("okr.event", lambda e: e.get("op_id") == op_id)
    assert event["type"] == "objective.updated"
    assert event["data"]["description"] == "Doubled" and event["version"] == ack["version"]
    assert event["scope"]["objective_id"] == obj["id"]
    # The editor sees its own echo (and can recognise it by op_id).
    await editor.wait_for("okr.event", lambda e: e.get("op_id") == op_id)
    await asyncio.sleep(0.3)
    assert len(watcher.events_about(event["id"])) == 1, "a socket in several rooms of the scope gets an event once"
    assert len(editor.events_about(event["id"])) == 1


async def test_two_people_typing_in_one_title_both_keep_their_text(world: World, clients: list[Client]) -> None:
    obj = await world.new_objective("Ship the beta")
    room = f"objective:{obj['id']}"
    alice = await _open(world, clients, "member", 0, room)
    bob = await _open(world, clients, "lead", 1, room)

    base = {"title": "Ship the beta"}
    acks = await asyncio.gather(
        alice.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"title": "Ship the beta fast"},
                            "base": base, "version": obj["version"], "op_id": op()}),
        bob.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"title": "Really ship the beta"},
                          "base": base, "version": obj["version"], "op_id": op()}),
    )
    assert all(a["ok"] for a in acks), acks
    merged = [a for a in acks if "value" in a]
    assert merged and merged[0]["value"]["title"] == "Really ship the beta fast"

    final = await world.objective_now(obj["id"])
    assert final["title"] == "Really ship the beta fast"
    # Both screens converge on the same text through the events.
    for client in (alice, bob):
        await client.wait_for("okr.event", lambda e: e.get("subject_id") == obj["id"]
                              and e["version"] == final["version"] and e["data"]["title"] == final["title"])


async def test_a_stale_structured_edit_gets_a_conflict_with_the_current_state(world: World, clients: list[Client]) -> None:
    obj = await world.new_objective("Cut churn")
    first = await _open(world, clients, "member", 0)
    second = await _open(world, clients, "lead", 1)
    ok = await first.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"description": "By a third"},
                                   "version": obj["version"], "op_id": op()})
    assert ok["ok"] is True

    stale = await second.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"description": "By half"},
                                       "version": obj["version"], "op_id": op()})
    assert stale["ok"] is False and stale["status"] == 409
    assert stale["error"]
    assert stale["current"]["description"] == "By a third" and stale["current"]["version"] == ok["version"]

    # A change to another field from the same stale version still applies (per-field versions).
    other = await second.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"title": "Cut churn now"},
                                       "version": obj["version"], "op_id": op()})
    assert other["ok"] is True


async def test_a_replayed_op_id_gets_the_original_ack_and_changes_nothing(world: World, clients: list[Client]) -> None:
    obj = await world.new_objective("Hire two engineers")
    client = await _open(world, clients, "member", 0)
    op_id = op()
    edit = {"entity": "objective", "id": obj["id"], "changes": {"description": "Backend first"},
            "version": obj["version"], "op_id": op_id}
    first = await client.call("edit", edit)
    assert first["ok"] is True

    # The client reconnects (to the other replica) and replays its unacknowledged edit.
    await client.sio.disconnect()
    again = await _open(world, clients, "member", 1)
    replay = await again.call("edit", {**edit, "changes": {"description": "Something else entirely"}})
    assert replay == first
    now = await world.objective_now(obj["id"])
    assert now["description"] == "Backend first" and now["version"] == first["version"]


async def test_bad_edits_are_refused_politely_and_the_socket_stays_up(world: World, clients: list[Client]) -> None:
    obj = world.objective
    client = await _open(world, clients, "member", 0)
    bad = [
        "not an object",
        {},
        {"entity": "team", "id": 1, "changes": {"name": "x"}, "version": 1, "op_id": op()},
        {"entity": "objective", "id": "12", "changes": {"title": "x"}, "version": 1, "op_id": op()},
        {"entity": "objective", "id": obj["id"], "changes": {}, "version": 1, "op_id": op()},
        {"entity": "objective", "id": obj["id"], "changes": {"title": "x"}, "version": True, "op_id": op()},
        {"entity": "objective", "id": obj["id"], "changes": {"title": "x"}, "version": 1, "op_id": "no spaces please"},
        {"entity": "objective", "id": obj["id"], "changes": {"description": "x" * 100_000}, "version": 1, "op_id": op()},
        {"entity": "objective", "id": obj["id"], "changes": {"title": "x"}, "base": {"title": 3}, "version": 1},
        {"entity": "objective", "id": obj["id"], "changes": {"title": "x"}, "version": 1, "extra": 1},
    ]
    for data in bad:
        ack = await client.call("edit", data)
        assert ack["ok"] is False and isinstance(ack["error"], str) and ack["status"] in (400, 413, 422), (data, ack)

    # okr's own refusals come back in the same shape: not a member of the team, no such objective.
    outsider = await _open(world, clients, "other", 1)
    ack = await outsider.call("edit", {"entity": "objective", "id": obj["id"], "changes": {"description": "mine"},
                                       "version": obj["version"], "op_id": op()})
    assert ack["ok"] is False and ack["status"] == 403
    ack = await client.call("edit", {"entity": "objective", "id": 987654321, "changes": {"description": "?"},
                                     "version": 1, "op_id": op()})
    assert ack["ok"] is False and ack["status"] == 404

    assert await client.call("subscribe", {"room": f"objective:{obj['id']}"}) == {"ok": True}
    for room in ("evil", "objective:abc", "team:1", "cycle:2027-Q5", "objective:1\n", "thread:", None):
        ack = await client.call("subscribe", {"room": room})
        assert ack["ok"] is False, room
