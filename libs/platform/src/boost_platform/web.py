"""The HTTP shell every service shares: problem+json, request ids, a body limit,
admission control (503 + Retry-After when saturated), latency metrics, and `/api/<service>/{healthz,readyz,metrics,openapi.json}`."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog
from boost_contracts.tracing import current_trace, new_trace_id, parse_traceparent, traceparent
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .admission import Admission
from .metrics import HTTP_LATENCY, freeze_startup_objects, watch_gc_pauses
from .problems import PROBLEM_JSON, install_problem_handlers
from .responses import Health, Readiness, document_problems
from .settings import BoostSettings
from .stalls import watch_event_loop

# A check answers up (True) or down (False), or says what is wrong (a string: not up).
ReadyCheck = Callable[[], Awaitable[bool | str]]
MAX_BODY = 1024 * 1024


class BodyLimit:
    """Refuses bodies over MAX_BODY with 413 problem+json (nginx does too; this is for direct calls)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send)
                return
        seen = 0
        too_big = False

        async def limited() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_big = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)


class RequestContext:
    """Each request's id and trace (bound for its logs, echoed in its answer's headers) and
    its latency metric. Plain ASGI: a `@app.middleware("http")` would run every request in
    a task of its own behind memory streams, costing more CPU than all of this."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        trace_id = parse_traceparent(headers.get("traceparent")) or new_trace_id()
        token = current_trace.set(trace_id)
        structlog.contextvars.bind_contextvars(request_id=request_id, trace_id=trace_id)
        started = time.perf_counter()
        status = 500
        echoed = [(b"x-request-id", request_id.encode("latin-1")), (b"traceparent", traceparent(trace_id).encode())]

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *echoed]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            HTTP_LATENCY.labels(self.service, scope["method"], getattr(route, "path", "unmatched"), str(status)).observe(
                time.perf_counter() - started
            )
            structlog.contextvars.unbind_contextvars("request_id", "trace_id")
            current_trace.reset(token)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"type":"about:blank","title":"Content Too Large","status":413,"detail":"The request body is over 1 MiB."}'
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_service_app(
    service: str,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    title: str,
    version: str = "0.1.0",
    settings: BoostSettings | None = None,
) -> FastAPI:
    settings = settings or BoostSettings()
    watch_gc_pauses(service)

    @contextlib.asynccontextmanager
    async def started_then_frozen(app: FastAPI) -> AsyncIterator[None]:
        async with lifespan(app):
            freeze_startup_objects()
            async with watch_event_loop(service):  # from here on: startup's own pauses are not stalls
                yield

    base = f"/api/{service}"
    app = FastAPI(
        title=title,
        version=version,
        lifespan=started_then_frozen,
        openapi_url=f"{base}/openapi.json",
        docs_url=f"{base}/docs",
        redoc_url=None,
    )
    app.state.service = service
    app.state.ready_checks = {}
    install_problem_handlers(app)
    document_problems(app)

    app.add_middleware(RequestContext, service=service)
    app.add_middleware(BodyLimit)
    if settings.admission_in_flight:
        # Outermost of ours: a refused request costs no body read, no request id, no metric but its own.
        app.add_middleware(Admission, service=service, limit=settings.admission_in_flight,
                           queue=settings.admission_queue, wait=settings.admission_wait_seconds)
    app.include_router(ops_router(service))
    return app


def ops_router(service: str) -> APIRouter:
    router = APIRouter(prefix=f"/api/{service}", tags=["ops"])

    @router.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "service": service}

    @router.get("/readyz", summary="The service can do its job",
                responses={200: {"model": Readiness}, 503: {"model": Readiness, "description": "Not ready"}})
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, ReadyCheck] = request.app.state.ready_checks
        required: set[str] = getattr(request.app.state, "required_checks", set(checks))
        states = {}
        for name, check in checks.items():
            try:
                result = await check()
                states[name] = result if isinstance(result, str) and result else ("up" if result is True else "down")
            except Exception:
                states[name] = "down"
        ready = all(states.get(name) == "up" for name in required)
        return JSONResponse({"ready": ready, "service": service, "dependencies": states},
                            status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
