"""Admission control: past its limit a service waits a little, then refuses fast with 503
+ Retry-After, before any of the request has run; health and metrics always answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from boost_platform.settings import BoostSettings
from boost_platform.web import create_service_app
from fastapi import FastAPI, Request
from prometheus_client import REGISTRY

from tests.support.waiting import until

pytestmark = pytest.mark.unit


@contextlib.asynccontextmanager
async def _nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


def _app(in_flight: int, queue: int, wait: float) -> tuple[FastAPI, asyncio.Event, list[int]]:
    settings = BoostSettings(_env_file=None, admission_in_flight=in_flight, admission_queue=queue,  # type: ignore[call-arg]
                             admission_wait_seconds=wait)
    app = create_service_app("admtest", lifespan=_nothing, title="t", settings=settings)
    gate = asyncio.Event()
    ran: list[int] = []

    @app.post("/api/admtest/work/{n}")
    async def work(n: int, request: Request) -> dict[str, int]:
        ran.append(n)
        await request.body()
        await gate.wait()
        return {"n": n}

    return app, gate, ran


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _shed(reason: str) -> float:
    return REGISTRY.get_sample_value("boost_http_shed_total", {"service": "admtest", "reason": reason}) or 0.0


async def test_beyond_the_queue_a_request_is_refused_at_once_without_running() -> None:
    app, gate, ran = _app(in_flight=2, queue=1, wait=5.0)
    before = _shed("queue_full")
    async with _client(app) as client:
        busy = [asyncio.ensure_future(client.post(f"/api/admtest/work/{n}", content=b"x")) for n in range(3)]
        await until(lambda: len(ran) == 2, 2.0, every=0.005)  # two run, the third waits in the queue
        started = time.perf_counter()
        refused = await client.post("/api/admtest/work/99", content=b"x")
        took = time.perf_counter() - started
        gate.set()
        accepted = await asyncio.gather(*busy)
    assert refused.status_code == 503
    assert took < 0.2
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["status"] == 503 and problem["title"] == "Service Unavailable"
    assert "safe to send it again" in problem["detail"]
    assert 99 not in ran  # refused before any of it ran: a retry cannot double it
    assert sorted(r.json()["n"] for r in accepted) == [0, 1, 2]  # the queued one ran once a slot freed
    assert _shed("queue_full") == before + 1


async def test_a_request_that_waits_too_long_is_refused_after_the_wait() -> None:
    app, gate, ran = _app(in_flight=1, queue=10, wait=0.2)
    before = _shed("waited_too_long")
    async with _client(app) as client:
        first = asyncio.ensure_future(client.post("/api/admtest/work/1"))
        await until(lambda: ran == [1], 2.0, every=0.005)
        started = time.perf_counter()
        late = await client.post("/api/admtest/work/2")
        waited = time.perf_counter() - started
        gate.set()
        assert (await first).status_code == 200
        # the slot it waited for is free again: the next request runs
        assert (await client.post("/api/admtest/work/3")).status_code == 200
    assert late.status_code == 503 and late.headers["retry-after"] == "1"
    assert 0.15 < waited < 1.0
    assert ran == [1, 3]
    assert _shed("waited_too_long") == before + 1
    assert REGISTRY.get_sample_value("boost_http_admission_wait_seconds_count",
                                     {"service": "admtest", "admitted": "no"}) == 1


async def test_health_readiness_and_metrics_answer_when_saturated() -> None:
    app, gate, ran = _app(in_flight=1, queue=0, wait=0.0)
    async with _client(app) as client:
        busy = asyncio.ensure_future(client.post("/api/admtest/work/1"))
        await until(lambda: ran == [1], 2.0, every=0.005)
        assert (await client.post("/api/admtest/work/2")).status_code == 503
        assert (await client.get("/api/admtest/healthz")).status_code == 200
        assert (await client.get("/api/admtest/readyz")).status_code == 200
        metrics = await client.get("/api/admtest/metrics")
        assert metrics.status_code == 200
        assert 'boost_http_in_flight{service="admtest"} 1.0' in metrics.text
        gate.set()
        assert (await busy).status_code == 200


async def test_a_limit_of_zero_turns_admission_off() -> None:
    app, gate, ran = _app(in_flight=0, queue=0, wait=0.0)
    gate.set()
    async with _client(app) as client:
        answers = await asyncio.gather(*(client.post(f"/api/admtest/work/{n}") for n in range(50)))
    assert {r.status_code for r in answers} == {200}
    assert len(ran) == 50
