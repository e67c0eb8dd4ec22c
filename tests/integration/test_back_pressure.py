"""A saturated service refuses fast instead of collapsing: okr as its own process with a
small admission limit, hit by far more concurrent writes than it may run at once. The
excess gets 503 + Retry-After at once (a problem+json sentence), what it accepts is
answered within the bounded wait, and, retried as Retry-After says, every write ends up
stored exactly once."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.services import Service, service_env

IN_FLIGHT, QUEUE, WAIT = 2, 4, 0.3
WRITES = 120  # sent at once: far more than 2 running + 4 waiting


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


async def test_a_saturated_service_refuses_the_excess_fast_and_loses_nothing(okr: tuple[Service, Any]) -> None:
    service, settings = okr
    limits = httpx.Limits(max_connections=WRITES + 10, max_keepalive_connections=WRITES + 10)
    async with httpx.AsyncClient(base_url=service.url, timeout=30, limits=limits) as client:
        token = (await client.post("/api/auth/dev-login", json={"email": "admin@boost.example"})).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        team = (await client.get("/api/okr/teams", headers=auth)).json()[0]["id"]
        # Warm the connections and okr's first-write paths, so that the burst measures a warm okr.
        await asyncio.gather(*(client.get("/api/okr/healthz") for _ in range(WRITES)))
        for i in range(5):
            r = await client.post("/api/okr/objectives", headers=auth,
                                  json={"cycle": "2027-Q2", "team_id": team, "title": f"Warm {i}"})
            assert r.status_code == 201, r.text

        async def write(i: int) -> tuple[int, float, httpx.Response]:
            started = time.perf_counter()
            r = await client.post("/api/okr/objectives", headers=auth,
                                  json={"cycle": "2027-Q2", "team_id": team, "title": f"Burst {i:03}"})
            return i, time.perf_counter() - started, r

        first = await asyncio.gather(*(write(i) for i in range(WRITES)))
        accepted = [(i, took) for i, took, r in first if r.status_code == 201]
        refused = [(i, took, r) for i, took, r in first if r.status_code != 201]
        # While it is saturated, health still answers.
        assert (await client.get("/api/okr/healthz")).status_code == 200

        # Retry what was refused, as a client does: after Retry-After, until it is taken.
        pending = [i for i, _, _ in refused]
        rounds = 0
        while pending and rounds < 30:
            rounds += 1
            await asyncio.sleep(1)
            again = await asyncio.gather(*(write(i) for i in pending))
            pending = [i for i, _, r in again if r.status_code != 201]
            assert {r.status_code for _, _, r in again} <= {201, 503}

    print(f"\n{WRITES} writes at once, {IN_FLIGHT} in flight + {QUEUE} waiting ≤ {WAIT}s: accepted {len(accepted)} "
          f"(slowest {max(t for _, t in accepted):.2f}s), refused {len(refused)} "
          f"(median refusal {statistics.median(t for _, t, _ in refused):.2f}s, slowest {max((t for _, t, _ in refused), default=0):.2f}s); all stored after {rounds} retry rounds")
    assert refused, "the burst never saturated okr"
    assert len(accepted) < WRITES / 2
    assert accepted, "okr accepted nothing"
    for *_, r in refused:
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == 503 and r.json()["detail"]
    # Accepted work waits at most WAIT for a slot, then runs with one other request: bounded.
    assert max(t for _, t in accepted) < WAIT + 2.0
    assert not pending, f"{len(pending)} writes still refused after {rounds} rounds of retries"
    stored = _titles_stored(settings, "Burst ")
    assert sorted(stored) == [f"Burst {i:03}" for i in range(WRITES)], "a write was lost or stored twice"
