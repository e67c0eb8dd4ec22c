"""Admission control: a saturated service refuses new work fast instead of collapsing.

Every request a service takes costs its one event loop some CPU; past the loop's capacity,
requests pile up, each waits behind all the others, and everything (edits over the bus
included) times out together. So at most `limit` requests run at once; the next ones wait
in a FIFO queue of at most `queue`, each for at most `wait` seconds; beyond that a request
is answered at once with 503, `Retry-After` and a problem+json sentence, before anything
of it has run (its body is not even read), so retrying it is always safe.

What is accepted then waits at most `wait` plus what `limit` requests take to run: a
saturated service's latency for the work it accepts stays bounded, and what it refuses
costs it almost nothing. Health, readiness and metrics bypass it: an orchestrator must
not take a busy process for a dead one."""

from __future__ import annotations

import json
import time

import anyio
from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import PROBLEM_JSON

SHED = Counter("boost_http_shed_total", "Requests refused with 503 because the service was saturated",
               ["service", "reason"])
IN_FLIGHT = Gauge("boost_http_in_flight", "Requests being served (admitted) right now", ["service"])
QUEUED = Gauge("boost_http_queued", "Requests waiting for admission right now", ["service"])
WAITED = Histogram("boost_http_admission_wait_seconds",
                   "How long a request that found every slot taken waited for one (admitted or not)",
                   ["service", "admitted"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

# Always let through: whether the process lives and can work, and what it measures.
BYPASS = ("/healthz", "/readyz", "/metrics")


class Admission:
    """ASGI middleware: at most `limit` requests in flight, a bounded wait for the rest."""

    def __init__(self, app: ASGIApp, *, service: str, limit: int, queue: int, wait: float,
                 retry_after: int = 1) -> None:
        self.app = app
        self.service = service
        self.queue = queue
        self.wait = wait
        self.limiter = anyio.CapacityLimiter(limit)
        self._shed_full = SHED.labels(service, "queue_full")
        self._shed_waited = SHED.labels(service, "waited_too_long")
        self._waited_in, self._waited_out = WAITED.labels(service, "yes"), WAITED.labels(service, "no")
        IN_FLIGHT.labels(service).set_function(lambda: self.limiter.borrowed_tokens)
        QUEUED.labels(service).set_function(lambda: self.limiter.statistics().tasks_waiting)
        self._refusal = _refusal(retry_after)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(BYPASS):
            await self.app(scope, receive, send)
            return
        token = object()  # one borrower per request, whatever task runs it
        limiter = self.limiter
        try:
            limiter.acquire_on_behalf_of_nowait(token)
        except anyio.WouldBlock:
            if limiter.statistics().tasks_waiting >= self.queue:
                self._shed_full.inc()
                await self._refuse(send)
                return
            started = time.perf_counter()
            with anyio.move_on_after(self.wait):
                await limiter.acquire_on_behalf_of(token)
            if token not in limiter.statistics().borrowers:
                self._waited_out.observe(time.perf_counter() - started)
                self._shed_waited.inc()
                await self._refuse(send)
                return
            self._waited_in.observe(time.perf_counter() - started)
        try:
            await self.app(scope, receive, send)
        finally:
            limiter.release_on_behalf_of(token)

    async def _refuse(self, send: Send) -> None:
        start, body = self._refusal
        await send(start)
        await send(body)


def _refusal(retry_after: int) -> tuple[dict[str, object], dict[str, object]]:
    body = json.dumps({
        "type": "about:blank", "title": "Service Unavailable", "status": 503,
        "detail": "The service is busy right now and did not start on this request; "
                  f"it is safe to send it again in {retry_after} s.",
    }).encode()
    start = {"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()), (b"cache-control", b"no-store"),
    ]}
    return start, {"type": "http.response.body", "body": body}
