"""kill -9 realtime while people edit through it (real processes: okr, realtime, a private
NATS, MariaDB). The clients do what the web app does: reconnect, subscribe again, refetch
what they show over REST and replay their unacknowledged edits with the same op_id.
Every acknowledged edit is stored, none is applied twice, and a watcher's view ends equal
to the server's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.support.nats import PrivateNats
from tests.support.services import Service, service_env

pytestmark = pytest.mark.chaos

CYCLE = "2027-Q2"
EDITS = 40
KILL_AFTER = 15


@pytest.fixture
def world(make_settings: Callable[..., Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    settings = make_settings("krt", nats_url=nats_server.url, now="2027-03-10T01:00:00+00:00")
    env = service_env(settings, nats_server.url)
    okr, realtime = Service("okr", env, tmp_path), Service("realtime", env, tmp_path)
    okr.start(wait_ready=False)
    realtime.start(wait_ready=False)  # ready once okr has sent it the signing keys
    okr.wait_ready()
    realtime.wait_ready()
    yield {"okr": okr, "realtime": realtime}
    realtime.stop()
    okr.stop()
    nats_server.kill()


class Person:
    """A browser tab: a socket that comes back after its server dies, and a REST client."""

    def __init__(self, realtime_url: str, okr: httpx.AsyncClient, token: str, room: str) -> None:
        self.url, self.okr, self.token, self.room = realtime_url, okr, token, room
        self.sio = socketio.AsyncClient(reconnection=False)
        self.titles: dict[int, str] = {}  # what this tab shows
        self.reconnects = 0
        self.sio.on("okr.event", self._on_event)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _on_event(self, envelope: dict[str, Any]) -> None:
        if envelope.get("type") == "objective.updated" and "title" in envelope.get("data", {}):
            self.titles[int(envelope["subject_id"])] = envelope["data"]["title"]

    async def connect(self, timeout: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await self.sio.connect(self.url, transports=["websocket"], auth={"token": self.token},
                                       socketio_path="socket.io", wait_timeout=3)
                break
            except socketio.exceptions.ConnectionError:
                assert asyncio.get_running_loop().time() < deadline, "could not reconnect"
                await asyncio.sleep(0.2)
        ack = await self.sio.call("subscribe", {"room": self.room}, timeout=5)
        assert ack == {"ok": True}, ack
        await self.refetch()

    async def refetch(self) -> None:
        r = await self.okr.get("/api/okr/objectives", params={"cycle": CYCLE}, headers=self.auth)
        r.raise_for_status()
        self.titles.update({o["id"]: o["title"] for o in r.json()})

    async def reconnect(self) -> None:
        self.reconnects += 1
        if self.sio.connected:
            await self.sio.disconnect()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("okr.event", self._on_event)
        await self.connect()


async def test_kill_9_realtime_mid_edits_loses_and_doubles_no_edit(world: dict[str, Any]) -> None:
    okr, realtime = world["okr"], world["realtime"]
    async with httpx.AsyncClient(base_url=okr.url, timeout=10) as rest:
        token = (await rest.post("/api/auth/dev-login", json={"email": "admin@boost.example"})).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        team = (await rest.get("/api/okr/teams", headers=auth)).json()[0]["id"]
        objectives = []
        for i in range(EDITS):
            r = await rest.post("/api/okr/objectives", headers=auth, json={"cycle": CYCLE, "team_id": team,
                                                                           "title": f"Draft {i}"})
            assert r.status_code == 201, r.text
            objectives.append(r.json())
        room = f"team:{team}:{CYCLE}"
        editor = Person(realtime.url, rest, token, room)
        watcher = Person(realtime.url, rest, token, room)
        await editor.connect()
        await watcher.connect()

        acknowledged: dict[int, str] = {}
        pending: dict[str, dict[str, Any]] = {}  # op_id → edit not yet acknowledged
        kills = replayed = 0

        async def send(op_id: str, edit: dict[str, Any]) -> bool:
            try:
                ack = await editor.sio.call("edit", edit, timeout=3)
            except (TimeoutError, socketio.exceptions.SocketIOError):
                return False
            if ack.get("ok"):
                acknowledged[edit["id"]] = edit["changes"]["title"]
                pending.pop(op_id, None)
                return True
            assert ack.get("status") == 503, ack  # okr unreachable: retried, never a refusal
            return False

        for i, obj in enumerate(objectives):
            if i == KILL_AFTER:
                # The socket server dies with this edit in flight.
                in_flight = asyncio.ensure_future(send(f"op-{i}", edit := {
                    "entity": "objective", "id": obj["id"], "changes": {"title": f"Edited {i}"},
                    "version": obj["version"], "op_id": f"op-{i}"}))
                pending[f"op-{i}"] = edit
                realtime.kill9()
                kills += 1
                await in_flight
                realtime.start()
                await editor.reconnect()
                await watcher.reconnect()
                replayed += len(pending)
                for op_id, edit in list(pending.items()):  # replay, same op_id
                    assert await send(op_id, edit)
                continue
            op_id = f"op-{i}"
            pending[op_id] = {"entity": "objective", "id": obj["id"], "changes": {"title": f"Edited {i}"},
                              "version": obj["version"], "op_id": op_id}
            assert await send(op_id, pending[op_id]) or i == KILL_AFTER

        # A replayed op_id returns the original answer and changes nothing.
        replay = await editor.sio.call("edit", {"entity": "objective", "id": objectives[0]["id"],
                                                "changes": {"title": "Edited 0"}, "version": objectives[0]["version"],
                                                "op_id": "op-0"}, timeout=5)
        assert replay["ok"] is True

        server = {o["id"]: o["title"] for o in (await rest.get("/api/okr/objectives", params={"cycle": CYCLE},
                                                               headers=auth)).json()}
        title_changes: dict[int, int] = {}
        for obj in objectives:
            history = (await rest.get(f"/api/okr/objectives/{obj['id']}/history", headers=auth)).json()
            title_changes[obj["id"]] = sum(1 for h in history if h["action"] != "created" and any(c.get("field") == "title" for c in h["changes"]))
        for _ in range(50):  # the watcher's last events may still be on their way
            if watcher.titles == server:
                break
            await asyncio.sleep(0.1)
        await editor.sio.disconnect()
        await watcher.sio.disconnect()

    lost = [oid for oid, title in acknowledged.items() if server.get(oid) != title]
    doubled = sum(1 for n in title_changes.values() if n > 1)
    stale = {oid: (title, server[oid]) for oid, title in watcher.titles.items() if server.get(oid) != title}
    print(f"\nrealtime kill -9 ×{kills}: edits {EDITS}, acknowledged {len(acknowledged)}, replayed after "
          f"reconnect {replayed}, lost {len(lost)}, doubled {doubled}, watcher out of date {len(stale)}")
    assert len(acknowledged) == EDITS
    assert not lost, lost
    assert doubled == 0, title_changes
    assert not stale, stale
