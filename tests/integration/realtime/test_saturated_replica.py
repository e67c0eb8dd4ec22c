"""A realtime replica whose CPU is mostly taken (stopped 150 ms of every 250 ms, as a
neighbour would) while a room floods it with presence changes: presence is shed (its
broadcasts coalesced, far fewer than the changes), every edit is still acknowledged and
reaches the others in the room, and once the load is gone presence shows the truth."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import time
from pathlib import Path

import httpx

from .conftest import Client, World, _start_replica, _wait_ready, connect

CHATTY = 6  # sockets of one person flipping between fields
FLOOD_SECONDS = 3.0
EDITS = 12


async def _shed(url: str) -> float:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        text = (await http.get("/api/realtime/metrics")).text
    return sum(float(line.split()[1]) for line in text.splitlines()
               if line.startswith("boost_realtime_presence_shed_total{"))


async def _hold_cpu(pid: int, stop: asyncio.Event) -> None:
    """Take the replica's CPU away 150 ms of every 250 ms until told to stop."""
    try:
        while not stop.is_set():
            os.kill(pid, signal.SIGSTOP)
            await asyncio.sleep(0.15)
            os.kill(pid, signal.SIGCONT)
            await asyncio.sleep(0.1)
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_a_saturated_replica_sheds_presence_and_delivers_every_edit(
        world: World, clients: list[Client], tmp_path: Path) -> None:
    replica = _start_replica(world.settings, tmp_path, BOOST_REALTIME_SHED_PRESENCE_LAG="0.03")
    try:
        await _wait_ready(replica)
        obj = await world.new_objective("Hold under load")
        room = f"objective:{obj['id']}"
        other_id = world.people["other"]["user"]["id"]

        async def open_(who: str) -> Client:
            client = await connect(replica.url, token=world.token(who))
            clients.append(client)
            assert await client.call("subscribe", {"room": room}) == {"ok": True}
            return client

        editor, watcher = await open_("member"), await open_("lead")
        chatty = [await open_("other") for _ in range(CHATTY)]
        shed_before = await _shed(replica.url)
        watcher.received["presence"].clear()

        stop = asyncio.Event()
        holding = asyncio.ensure_future(_hold_cpu(replica.proc.pid, stop))
        changes = 0

        async def flood(client: Client, n: int) -> None:
            nonlocal changes
            deadline = time.monotonic() + FLOOD_SECONDS
            # fields of this tab's own: each flip changes what the room shows
            fields = [f"key_result:{1000 + n}:current", f"key_result:{1000 + n}:target"]
            flips = 0
            while time.monotonic() < deadline:
                await client.sio.emit("presence", {"room": room, "field": fields[flips % 2]})
                flips += 1
                changes += 1
                await asyncio.sleep(0.02)

        acks: list[dict[str, object]] = []
        slowest = 0.0

        async def edit() -> None:
            nonlocal slowest
            version = obj["version"]
            for i in range(EDITS):
                started = time.monotonic()
                ack = await editor.call("edit", {"entity": "objective", "id": obj["id"],
                                                 "changes": {"description": f"Step {i}"}, "version": version,
                                                 "op_id": f"op-{i}-{secrets.token_hex(4)}"}, timeout=15)
                slowest = max(slowest, time.monotonic() - started)
                acks.append(ack)
                if ack.get("ok"):
                    version = ack["version"]

        try:
            await asyncio.gather(edit(), *(flood(c, i) for i, c in enumerate(chatty)))
        finally:
            stop.set()
            await holding
        shown = len(watcher.received["presence"])

        # Every edit was acknowledged and reached the watcher.
        assert [a.get("ok") for a in acks] == [True] * EDITS, acks
        for i in range(EDITS):
            await watcher.wait_for("okr.event", lambda e, i=i: e.get("type") == "objective.updated"
                                   and e["data"].get("description") == f"Step {i}")
        # Presence was shed: the watcher saw far fewer broadcasts than there were changes.
        shed = await _shed(replica.url) - shed_before
        print(f"\n{changes} presence changes on a replica held 60% of the time: the watcher got {shown} "
              f"broadcasts, {shed:.0f} presence steps shed; {EDITS} edits all acknowledged "
              f"(slowest ack {slowest:.2f}s)")
        assert shed > 0
        assert shown < changes / 2  # without shedding, 80-85 % of them (measured)
        # The load gone, presence tells the truth again: every chatty tab leaves its field.
        for client in chatty:
            await client.call("presence", {"room": room, "field": None})
        await watcher.wait_for("presence", lambda m: [u["field"] for u in m["users"] if u["id"] == other_id] == [None],
                               timeout=5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(replica.proc.pid, signal.SIGCONT)
        replica.proc.terminate()
        replica.proc.wait(10)
