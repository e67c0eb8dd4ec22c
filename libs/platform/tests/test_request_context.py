"""Every answer carries its request id and trace, the handler logs under them, and the
latency metric counts the request by its route and status (the shell's plain-ASGI middleware)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from boost_contracts.tracing import current_trace
from boost_platform.metrics import HTTP_LATENCY
from boost_platform.web import create_service_app
from fastapi import FastAPI
from fastapi.testclient import TestClient


def _app() -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    app = create_service_app("ctxtest", lifespan=lifespan, title="t")

    @app.get("/api/ctxtest/trace")
    async def trace() -> dict[str, str | None]:
        return {"trace": current_trace.get()}

    return app


def _count(route: str, status: str) -> float:
    return sum(s.value for m in HTTP_LATENCY.collect() for s in m.samples
               if s.name.endswith("_count") and s.labels.get("service") == "ctxtest"
               and s.labels["route"] == route and s.labels["status"] == status)


def test_the_answer_echoes_the_request_id_and_the_handler_sees_the_trace() -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    before = _count("/api/ctxtest/trace", "200")
    with TestClient(_app()) as client:
        r = client.get("/api/ctxtest/trace", headers={"x-request-id": "req-1",
                                                    "traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
        assert r.status_code == 200 and r.json() == {"trace": trace}
        assert r.headers["x-request-id"] == "req-1" and r.headers["traceparent"].split("-")[1] == trace
        missing = client.get("/api/ctxtest/nothing-here")
        assert missing.status_code == 404 and len(missing.headers["x-request-id"]) == 32
    assert _count("/api/ctxtest/trace", "200") == before + 1
