"""A saturated service refuses fast instead of collapsing: okr as its own process with a
small admission limit, hit by far more concurrent writes than it may run at once. The
excess gets 503 + Retry-After at once (a problem+json sentence), what it accepts is
answered within the bounded wait, and, retried as Retry-After says, every write ends up
stored exactly once."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.services import Service, service_env

IN_FLIGHT, QUEUE, WAIT = 2, 4, 0.3
WRITES = 60  # sent at once: ten times what may run or wait


@pytest.fixture
def okr(make_settings: Callable[..., Any], nats_url: str, tmp_path: Path) -> Iterator[tuple[Service, Any]]:
    settings = make_settings("bp", now="2027-01-10T01:00:00+00:00")
    env = service_env(settings, nats_url, BOOST_ADMISSION_IN_FLIGHT=str(IN_FLIGHT),
                      BOOST_ADMISSION_QUEUE=str(QUEUE), BOOST_ADMISSION_WAIT_SECONDS=str(WAIT))
    service = Service("okr", env, tmp_path)
    service.start()
    try:
        yield service, settings
    finally:
        service.stop()


def _titles_stored(settings: Any, prefix: str) -> list[str]:
    engine = sa.create_engine(sa.engine.make_url(settings.database_url))
    try:
        with engine.connect() as c:
            return list(c.execute(sa.text(f"SELECT title FROM `{settings.names.schema('okr')}`.objectives "
                                          "WHERE title LIKE :p"), {"p": prefix + "%"}).scalars())
    finally:
        engine.dispose()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    took: float  # from the burst's start: what the sender waited


async def _burst(port: int, requests: list[bytes]) -> list[Answer]:
    """Send every request at once, each on its own connection opened beforehand, and read
    the answers. Raw HTTP/1.1: an HTTP library's own CPU (a few ms a request on a busy
    machine) would spread the burst over seconds and time the client, not the service."""
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in requests]
    started = time.perf_counter()
    for (_, writer), request in zip(conns, requests, strict=True):
        writer.write(request)

    async def answer(reader: asyncio.StreamReader) -> Answer:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
        body = await reader.readexactly(int(headers["content-length"]))
        return Answer(int(head[0].split()[1]), headers, body, time.perf_counter() - started)

    try:
        return list(await asyncio.gather(*(answer(reader) for reader, _ in conns)))
    finally:
        for _, writer in conns:
            writer.close()


def _post(path: str, auth: dict[str, str], body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: okr\r\nAuthorization: {auth['Authorization']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


async def test_a_saturated_service_refuses_the_excess_fast_and_loses_nothing(okr: tuple[Service, Any]) -> None:
    service, settings = okr
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
        token = (await client.post("/api/auth/dev-login", json={"email": "admin@boost.example"})).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        team = (await client.get("/api/okr/teams", headers=auth)).json()[0]["id"]
        # Warm okr's first-write paths, so that the burst measures a warm okr.
        for i in range(5):
            r = await client.post("/api/okr/objectives", headers=auth,
                                  json={"cycle": "2027-Q2", "team_id": team, "title": f"Warm {i}"})
            assert r.status_code == 201, r.text

        def write(i: int) -> bytes:
            return _post("/api/okr/objectives", auth, {"cycle": "2027-Q2", "team_id": team, "title": f"Burst {i:03}"})

        first = await _burst(service.port, [write(i) for i in range(WRITES)])
        accepted = [a for a in first if a.status == 201]
        refused = [(i, a) for i, a in enumerate(first) if a.status != 201]
        # While it is saturated, health still answers.
        assert (await client.get("/api/okr/healthz")).status_code == 200

        # Retry what was refused, as a client does: after Retry-After, until it is taken.
        pending = [i for i, _ in refused]
        rounds = 0
        while pending and rounds < 40:
            rounds += 1
            await asyncio.sleep(1)
            again = await _burst(service.port, [write(i) for i in pending])
            assert {a.status for a in again} <= {201, 503}
            pending = [i for i, a in zip(pending, again, strict=True) if a.status != 201]

    took_refused = sorted(a.took for _, a in refused)
    print(f"\n{WRITES} writes at once, {IN_FLIGHT} in flight + {QUEUE} waiting ≤ {WAIT}s: accepted {len(accepted)} "
          f"(slowest {max(a.took for a in accepted):.2f}s), refused {len(refused)} (median "
          f"{statistics.median(took_refused or [0]):.3f}s, slowest {max(took_refused or [0]):.3f}s); "
          f"all stored after {rounds} retry rounds")
    assert refused, "the burst never saturated okr"
    assert len(accepted) < WRITES / 2
    for _, a in refused:
        assert a.status == 503
        assert a.headers["retry-after"] == "1"
        assert a.headers["content-type"].startswith("application/problem+json")
        problem = json.loads(a.body)
        assert problem["status"] == 503 and problem["detail"]
    # Refusals come at once, not after the work ahead of them: most well before the first
    # accepted write is done (without admission all of them wait behind each other: seconds).
    assert statistics.median(took_refused) < min(a.took for a in accepted) + 0.25
    # Accepted work waits at most WAIT for a slot, then runs with one other request: bounded.
    assert max(a.took for a in accepted) < WAIT + 2.0
    assert not pending, f"{len(pending)} writes still refused after {rounds} rounds of retries"
    stored = _titles_stored(settings, "Burst ")
    assert sorted(stored) == [f"Burst {i:03}" for i in range(WRITES)], "a write was lost or stored twice"
