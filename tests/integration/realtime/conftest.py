"""One running world for realtime's integration tests (with okr, so they live in tests/integration): okr in-process (MariaDB, NATS) and
TWO realtime replicas as real processes (`python -m realtime_service --port N`), a small
seeded company, an objective to edit, and signed-in people. Shared by the whole session
so that the suite stays well under a minute."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from conftest import free_port  # type: ignore[attr-defined]  # the ROOT conftest; mypy can't tell
from tests.support.stack import in_process

PRESENCE_TTL = 2.0  # shortened from 8 s so that expiry is observable quickly
MAX_QUEUE = 50  # packets queued for one socket before it is dropped (1,000 in production)


@dataclass
class Replica:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class World:
    settings: Any
    okr: httpx.AsyncClient
    okr_container: Any
    replicas: list[Replica]
    people: dict[str, dict[str, Any]]  # name → {user, token, headers}
    team_id: int
    cycle: str
    objective: dict[str, Any]
    public_url: str

    def token(self, who: str) -> str:
        return str(self.people[who]["token"])

    def headers(self, who: str) -> dict[str, str]:
        return dict(self.people[who]["headers"])

    async def objective_now(self, objective_id: int | None = None) -> dict[str, Any]:
        oid = objective_id or self.objective["id"]
        r = await self.okr.get(f"/api/okr/objectives/{oid}", headers=self.headers("admin"))
        r.raise_for_status()
        return dict(r.json())

    async def new_objective(self, title: str) -> dict[str, Any]:
        r = await self.okr.post("/api/okr/objectives", headers=self.headers("lead"),
                                json={"cycle": self.cycle, "team_id": self.team_id, "title": title})
        r.raise_for_status()
        return dict(r.json())


@dataclass
class Client:
    """A Socket.IO client that records what it receives."""

    sio: socketio.AsyncClient
    received: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    async def call(self, event: str, data: Any, timeout: float = 10) -> Any:
        return await self.sio.call(event, data, timeout=timeout)

    async def wait_for(self, event: str, predicate: Callable[[Any], bool], timeout: float = 5) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            for item in self.received[event]:
                if predicate(item):
                    return item
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching {event!r} within {timeout}s; got {self.received[event][-5:]}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    def events_about(self, event_id: str) -> list[Any]:
        return [e for e in self.received["okr.event"] if e.get("id") == event_id]


async def connect(url: str, *, token: str | None = None, headers: dict[str, str] | None = None) -> Client:
    sio = socketio.AsyncClient(reconnection=False)
    client = Client(sio)

    def recorder(event: str) -> Callable[[Any], None]:
        def record(data: Any) -> None:
            client.received[event].append(data)
            client.arrived.set()

        return record

    for event in ("okr.event", "feedback.event", "presence", "resync"):
        sio.on(event, recorder(event))
    sio.on("disconnect", lambda *_: client.disconnected.set())
    await sio.connect(url, transports=["websocket"], auth={"token": token} if token else None, headers=headers or {},
                      wait_timeout=5)
    return client


@pytest.fixture(scope="session")
async def world(make_settings: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    settings = make_settings("rt")
    async with in_process(settings, seeded=True) as stack:
        okr = stack.okr.client
        replicas = [_start_replica(settings, tmp_path_factory.mktemp(f"replica{i}")) for i in (1, 2)]
        try:
            await asyncio.gather(*(_wait_ready(r) for r in replicas))
            people: dict[str, dict[str, Any]] = {}
            for who in ("admin", "lead", "member", "other"):
                headers = await stack.as_(who)
                people[who] = {"user": stack.okr.users[who], "headers": headers, "token": headers["Authorization"][7:]}
            cycle = (await okr.get("/api/okr/cycles/next", headers=people["admin"]["headers"])).json()["id"]
            team_id = stack.ids["product"]["id"]
            r = await okr.post("/api/okr/objectives", headers=people["lead"]["headers"],
                               json={"cycle": cycle, "team_id": team_id, "title": "Ship the beta"})
            r.raise_for_status()
            yield World(settings=settings, okr=okr, okr_container=stack.okr.container, replicas=replicas,
                        people=people, team_id=team_id, cycle=cycle, objective=r.json(),
                        public_url=settings.public_url)
        finally:
            for replica in replicas:
                replica.proc.terminate()
            for replica in replicas:
                try:
                    replica.proc.wait(10)
                except subprocess.TimeoutExpired:
                    replica.proc.kill()


def _start_replica(settings: Any, workdir: Path, **extra: str) -> Replica:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOST_")}
    env.update({
        "BOOST_NATS_URL": settings.nats_url,
        "BOOST_DATABASE_URL": settings.database_url or "",
        "BOOST_NAMESPACE": settings.namespace,
        "BOOST_DATA_DIR": str(settings.data_dir),
        "BOOST_PUBLIC_URL": settings.public_url,
        "BOOST_DEMO": "0",
        "BOOST_LOG_LEVEL": "WARNING",
        "BOOST_REALTIME_PRESENCE_TTL": str(PRESENCE_TTL),
        "BOOST_REALTIME_PRESENCE_SWEEP": "0.2",
        "BOOST_REALTIME_MAX_QUEUE": str(MAX_QUEUE),
        **extra,
    })
    log = workdir / "realtime.log"
    # cwd outside the repo: no stray .env is read.
    proc = subprocess.Popen([sys.executable, "-m", "realtime_service", "--port", str(port)], env=env, cwd=workdir,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return Replica(port=port, proc=proc, log=log)


async def _wait_ready(replica: Replica, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=replica.url) as http:
        while time.monotonic() < deadline:
            if replica.proc.poll() is not None:
                raise RuntimeError(f"realtime replica exited:\n{replica.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                r = await http.get("/api/realtime/readyz")
                if r.status_code == 200 and r.json()["dependencies"].get("signing_keys") == "up":
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"realtime replica not ready:\n{replica.log.read_text()[-3000:]}")


@pytest.fixture
async def clients() -> AsyncIterator[list[Client]]:
    """Clients a test opens (append to the list); all disconnected afterwards."""
    opened: list[Client] = []
    yield opened
    for client in opened:
        with contextlib.suppress(Exception):
            await client.sio.disconnect()
