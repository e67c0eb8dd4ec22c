"""A client that stops reading must not hold back the others in its room; once too much
is queued for it, it is dropped (it would reconnect and refetch)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import socket
import struct
import time

import httpx
import nats

from tests.support.waiting import until

from .conftest import MAX_QUEUE, Client, World, connect

CHUNK = MAX_QUEUE // 2


def _frame(text: str) -> bytes:
    """One masked WebSocket text frame (clients must mask)."""
    data, mask = text.encode(), os.urandom(4)
    length = bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(data))
    return b"\x81" + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def _stalled_socket(url: str, token: str, room: str) -> socket.socket:
    """A bare-TCP Engine.IO/Socket.IO client that joins a room and then never reads again
    (a WebSocket library would keep reading in the background). Its receive buffer is
    pinned small: loopback autotuning would otherwise absorb tens of megabytes."""
    host, port = url.removeprefix("http://").split(":")
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, (host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(sock, (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\n"
                                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    seen = b""

    async def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)
            assert chunk, f"closed before {marker!r}: {seen[-200:]!r}"
            seen += chunk

    await read_until(b'"maxPayload"')  # engine.io open
    await loop.sock_sendall(sock, _frame("40" + json.dumps({"token": token})))
    await read_until(b'40{"sid"')  # socket.io connected
    await loop.sock_sendall(sock, _frame("421" + json.dumps(["subscribe", {"room": room}])))
    await read_until(b"431[")  # the subscribe ack
    return sock


async def _counter(url: str, name: str) -> float:
    async with httpx.AsyncClient(base_url=url) as http:
        text = (await http.get("/api/realtime/metrics")).text
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return 0.0


async def _dropped_count(url: str) -> float:
    return await _counter(url, "boost_realtime_slow_clients_dropped_total")


async def test_a_client_that_stops_reading_holds_back_nobody(world: World, clients: list[Client]) -> None:
    replica = world.replicas[0]
    obj = await world.new_objective("Flood")
    room = f"objective:{obj['id']}"
    stalled = await _stalled_socket(replica.url, world.token("other"), room)
    reader = await connect(replica.url, token=world.token("member"))
    clients.append(reader)
    assert await reader.call("subscribe", {"room": room}) == {"ok": True}
    dropped_before = await _dropped_count(replica.url)
    discarded_before = await _counter(replica.url, "boost_realtime_discarded_messages_total")

    # Wave one: 400 events of ~40 KB, more than the stalled client's TCP buffers hold, so
    # its writer blocks. Wave two: 100 small ones, which can only pile up in its queue.
    waves = [[f"flood-{secrets.token_hex(4)}-{i}" for i in range(400)],
             [f"flood-{secrets.token_hex(4)}-{i}" for i in range(100)]]
    nc = await nats.connect(world.settings.nats_url)
    started = time.monotonic()
    try:
        for wave, size in zip(waves, (40_000, 100), strict=True):
            # In chunks smaller than the queue limit, each awaited on the reader: the reader
            # (this busy test process) never falls a whole queue behind and gets dropped
            # itself, while the stalled client's queue only grows.
            for chunk in range(0, len(wave), CHUNK):
                for op_id in wave[chunk:chunk + CHUNK]:
                    envelope = {"id": op_id, "type": "objective.updated", "source": "okr", "op_id": op_id,
                                "subject_id": obj["id"], "version": 1, "scope": {"objective_id": obj["id"]},
                                "changes": ["description"], "data": {"description": "x" * size}}
                    await nc.publish(world.settings.names.event("okr", "objective.updated"),
                                     json.dumps(envelope).encode())
                await nc.flush()
                last = wave[min(chunk + CHUNK, len(wave)) - 1]
                await reader.wait_for("okr.event", lambda e, last=last: e.get("op_id") == last, timeout=15)
    finally:
        await nc.close()
    assert time.monotonic() - started < 15
    got = [e["op_id"] for e in reader.received["okr.event"] if str(e.get("op_id", "")).startswith("flood-")]
    assert got == waves[0] + waves[1], "the reading client gets every event, in order, once"

    async def dropped() -> bool:
        return await _dropped_count(replica.url) > dropped_before
    await until(dropped, 5, "the stalled client to be dropped", every=0.1)
    # What was queued for it is thrown away with it, and counted: an operator (and the load
    # bench) can tell messages discarded with a slow socket from messages lost.
    discarded = await _counter(replica.url, "boost_realtime_discarded_messages_total") - discarded_before
    assert MAX_QUEUE // 2 <= discarded <= len(waves[0]) + len(waves[1])
    stalled.close()
