"""Socket.IO fuzzing against a running realtime, through the gateway: garbage event names,
wrong types, huge and binary payloads, raw Engine.IO / Socket.IO packets that break the
protocol, packets for namespaces that don't exist, and a flood. The server stays up, a
bystander's acknowledgements and events keep arriving, every known event answers an ack
(`{ok: false, status}` for garbage, never an internal error) and realtime logs no
traceback."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
import socketio

SEED = 20270218
KNOWN = ("subscribe", "unsubscribe", "edit", "presence")


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any shape (and some that look almost right)."""
    choice = rng.randrange(12 if depth < 3 else 7)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, -(2**70), 1.5, 1e308])
    if choice == 3:
        return "".join(rng.choice("ab:{}[]\"\\\x00é😀 ") for _ in range(rng.randrange(0, 40)))
    if choice == 4:
        return rng.choice(["cycle:2027-Q1", "team:1:2027-Q1", "objective:1", "thread:objective:1", "objective:-1",
                           "team:x:y", "thread:" + "a" * 300, "objective:1:title", "__proto__"])
    if choice == 5:
        return {"room": junk(rng, depth + 1), "field": junk(rng, depth + 1)}
    if choice == 6:
        return {"entity": rng.choice(["objective", "key_result", "user", 1]), "id": junk(rng, depth + 1),
                "changes": junk(rng, depth + 1), "version": junk(rng, depth + 1), "op_id": junk(rng, depth + 1),
                "base": junk(rng, depth + 1)}
    if choice in (7, 8):
        return [junk(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {junk_key(rng): junk(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def junk_key(rng: random.Random) -> str:
    return rng.choice(["room", "field", "entity", "id", "changes", "version", "op_id", "", "__proto__", "x" * 70])


@pytest.fixture(scope="module")
async def realtime(slack_stack: Any) -> AsyncIterator[dict[str, Any]]:
    log = slack_stack.log_dir / "realtime.log"
    start = log.stat().st_size if log.exists() else 0
    async with httpx.AsyncClient(base_url=slack_stack.base_url, timeout=15) as http:
        r = await http.post("/api/auth/dev-login", json={"email": "admin@boost.example"})
        http.cookies.clear()
        token = r.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        teams = (await http.get("/api/okr/teams", headers=auth)).json()
        team = next(t for t in teams if t["parent_id"] is None)["id"]
        obj = (await http.post("/api/okr/objectives", headers=auth,
                               json={"cycle": "2027-Q1", "team_id": team, "title": "Watched"})).json()
        yield {"base_url": slack_stack.base_url, "token": token, "http": http, "auth": auth, "team": team,
               "objective": obj, "log": log, "log_start": start}


async def connect(base_url: str, token: str) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(base_url, transports=["websocket"], auth={"token": token}, wait_timeout=10)
    return sio


class Bystander:
    """A well-behaved person in the objective's room, timing their acks throughout."""

    def __init__(self, sio: socketio.AsyncClient, room: str) -> None:
        self.sio, self.room = sio, room
        self.rtts: list[float] = []
        self.events: list[dict[str, Any]] = []
        self.failures: list[str] = []
        sio.on("okr.event", lambda env: self.events.append(env))

    async def ping_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                ack = await self.sio.call("subscribe", {"room": self.room}, timeout=5)
                assert ack == {"ok": True}, ack
                self.rtts.append(time.perf_counter() - started)
            except Exception as exc:
                self.failures.append(repr(exc))
            await asyncio.sleep(0.05)


async def raw_socket(session: aiohttp.ClientSession, base_url: str, token: str | None) -> aiohttp.ClientWebSocketResponse:
    """An Engine.IO v4 websocket, opened and (given a token) connected to the `/` namespace."""
    ws = await session.ws_connect(f"{base_url.replace('http', 'ws', 1)}/socket.io/?EIO=4&transport=websocket",
                                  timeout=aiohttp.ClientWSTimeout(ws_close=5), max_msg_size=0)
    opened = await ws.receive(timeout=5)
    assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0"), opened
    if token:
        await ws.send_str("40" + json.dumps({"token": token}))
        answer = await ws.receive(timeout=5)
        assert answer.data.startswith("40"), answer
    return ws


async def drain(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[str]:
    """What the server answers within `seconds` (pings answered, so it keeps us)."""
    got: list[str] = []
    deadline = time.monotonic() + seconds
    while not ws.closed and time.monotonic() < deadline:
        try:
            msg = await ws.receive(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        if msg.type == aiohttp.WSMsgType.TEXT:
            if msg.data == "2":
                await ws.send_str("3")
            got.append(msg.data)
        elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            break
    return got


RAW_PACKETS = [
    "", "4", "9", "0", "1", "5", "6", "2probe", "3", "x", "\x00", "4" + "9" * 30,
    "42", "42not json", "42[", "42{}", "42[]", "42[1,2]", "42[null]", "42[\"edit\"", '42["edit",]',
    '42["edit",{"entity":"objective","id":1e999,"changes":{},"version":0}]',
    '42["subscribe",{"room":"team:1:2027-Q1"},{"extra":1},[2]]', '421["subscribe"]', "421", "42999999999999999999[\"x\"]",
    '43["not an ack I asked for"]', "437[]", "44", '44{"message":"x"}', "45-", '451-["edit",{"_placeholder":true,"num":0}]',
    '452-["edit",{"_placeholder":true,"num":5}]', '46-["x"]', "40", '40{"token":5}', '40/nonexistent,{}',
    '42/nonexistent,["subscribe",{"room":"cycle:2027-Q1"}]', '40/admin,{}', '41/nonexistent,', "41",
    '42["' + "e" * 5000 + '",{}]', '42["__proto__",{"constructor":{"prototype":{"ok":true}}}]',
    '42["connect"]', '42["disconnect"]', '42["disconnect","client namespace disconnect"]',
    '421["connect",{"HTTP_COOKIE":"boost_session=forged","HTTP_ORIGIN":"http://evil.example"},{"token":"forged"}]',
]


async def test_events_named_connect_or_disconnect_are_not_a_reconnect_or_a_hang_up(realtime: dict[str, Any]) -> None:
    """python-socketio passes such client events to the connect/disconnect handlers, with
    the client's arguments as the environment: they must not re-authenticate the socket
    (a forged cookie and origin) nor forget it while it stays in its rooms."""
    async with aiohttp.ClientSession() as session:
        ws = await raw_socket(session, realtime["base_url"], realtime["token"])
        await ws.send_str('421["disconnect","client namespace disconnect"]')
        await ws.send_str('422["connect",{"HTTP_COOKIE":"boost_session=forged","HTTP_ORIGIN":"http://evil.example"},'
                          '{"token":"forged"}]')
        await ws.send_str('423["subscribe",{"room":"cycle:2027-Q1"}]')
        answers = await drain(ws, 2.0)
        await ws.close()
    acks = {a[2]: json.loads(a[3:]) for a in answers if a.startswith("43")}
    assert acks["1"][0]["ok"] is False and acks["1"][0]["status"] == 400, answers
    assert acks["2"][0]["ok"] is False and acks["2"][0]["status"] == 400, answers
    assert acks["3"] == [{"ok": True}], answers  # still connected, as the same person


async def test_garbage_on_the_socket_leaves_realtime_up_and_others_unaffected(realtime: dict[str, Any]) -> None:
    base_url, token = realtime["base_url"], realtime["token"]
    rng = random.Random(SEED)
    bystander = Bystander(await connect(base_url, token), f"objective:{realtime['objective']['id']}")
    stop = asyncio.Event()
    pinger = asyncio.ensure_future(bystander.ping_loop(stop))
    outcomes: dict[str, int] = {"acked": 0, "ok_false": 0, "dropped_connections": 0}

    # 1. Known events with garbage, and unknown events, through a real client.
    fuzzer = await connect(base_url, token)
    for i in range(400):
        event = rng.choice(KNOWN) if i % 3 else rng.choice(["", " ", "connect", "disconnect", "message", "okr.event",
                                                            "x" * 300, "édit", "edit ", "EDIT", "__proto__", "resync"])
        args = [junk(rng) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))]
        if len(json.dumps(args)) > 64_000:
            continue  # oversized messages close the socket by design: tried on their own below
        if event in KNOWN:
            try:
                ack = await fuzzer.call(event, args[0] if len(args) == 1 else tuple(args) if args else None, timeout=5)
            except socketio.exceptions.TimeoutError:
                raise AssertionError(f"no answer to #{i} {event} {args!r:.200}; connected={fuzzer.connected}") from None
            assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, args, ack)
            assert ack["ok"] or 400 <= ack["status"] < 500, (event, args, ack)  # never an internal error
            outcomes["acked"] += 1
            outcomes["ok_false"] += not ack["ok"]
        else:
            try:
                await fuzzer.emit(event, tuple(args) if args else None)
            except (ValueError, socketio.exceptions.SocketIOError):
                pass  # the client itself refuses reserved names
    # Binary attachments and big payloads: refused with a status, or the connection closed.
    for data in (b"\x00\xff" * 1000, {"room": b"binary"}, {"entity": "objective", "id": 1, "version": 0,
                                                         "changes": {"description": "x" * 200_000}, "op_id": "big"}):
        ack = await fuzzer.call("edit", data, timeout=10)
        assert ack["ok"] is False and 400 <= ack["status"] < 500, ack
    try:
        await fuzzer.emit("edit", {"changes": {"description": "y" * 2_000_000}})  # past max_http_buffer_size
        await asyncio.sleep(1.0)
    except socketio.exceptions.SocketIOError:
        pass
    outcomes["dropped_connections"] += not fuzzer.connected
    if fuzzer.connected:
        await fuzzer.disconnect()

    # 2. Raw packets that break the protocol, each on a fresh websocket (with and without a session).
    async with aiohttp.ClientSession() as session:
        for packet in RAW_PACKETS:
            for authed in (True, False):
                ws = await raw_socket(session, base_url, token if authed else None)
                await ws.send_str(packet)
                await drain(ws, 0.05)
                outcomes["dropped_connections"] += ws.closed
                await ws.close()
        for _ in range(20):  # binary frames and random bytes as text
            ws = await raw_socket(session, base_url, token)
            await ws.send_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))))
            await ws.send_str("".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 500))))
            await drain(ws, 0.05)
            await ws.close()
        # A namespace that doesn't exist is refused by name, not by dropping everyone.
        ws = await raw_socket(session, base_url, None)
        await ws.send_str("40/nonexistent,{}")
        answers = await drain(ws, 1.0)
        assert any(a.startswith("44/nonexistent,") for a in answers), answers
        await ws.close()

        # 3. A flood: 3,000 events without waiting, from one socket.
        ws = await raw_socket(session, base_url, token)
        flood_started = time.perf_counter()
        for i in range(3000):
            await ws.send_str(f'42{i}["subscribe",{{"room":"cycle:2027-Q{i % 4 + 1}"}}]')
        await drain(ws, 1.0)
        flood_seconds = time.perf_counter() - flood_started
        await ws.close()

    # The bystander still hears the room: an edit made over REST reaches it.
    before = len(bystander.events)
    obj = realtime["objective"]
    r = await realtime["http"].patch(f"/api/okr/objectives/{obj['id']}", headers=realtime["auth"],
                                     json={"version": obj["version"], "description": "still here"})
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 10
    while len(bystander.events) == before:
        assert time.monotonic() < deadline, "the bystander stopped receiving events"
        await asyncio.sleep(0.05)
    stop.set()
    await pinger
    await bystander.sio.disconnect()

    ready = await realtime["http"].get("/api/realtime/readyz")
    rtts = sorted(bystander.rtts)
    p99 = rtts[int(len(rtts) * 0.99) - 1] if rtts else float("nan")
    print(f"\nsocket fuzz: {outcomes['acked']} garbage calls acked ({outcomes['ok_false']} refused), "
          f"{len(RAW_PACKETS) * 2 + 20} raw sockets, flood of 3,000 in {flood_seconds:.2f}s, "
          f"{outcomes['dropped_connections']} fuzzing connections dropped; bystander: {len(rtts)} acks, "
          f"p50 {rtts[len(rtts) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, failures {len(bystander.failures)}")
    assert ready.status_code == 200, ready.text
    assert not bystander.failures, bystander.failures[:3]
    assert p99 < 2.0, f"the bystander waited {p99:.2f}s for an ack"
    with realtime["log"].open("rb") as f:
        f.seek(realtime["log_start"])
        written = f.read().decode(errors="replace")
    problems = [line[:400] for line in written.splitlines()
                if "Traceback" in line or '"level": "error"' in line or '"level": "critical"' in line]
    assert not problems, "\n".join(problems[:5])
