"""nats-py wrapper: connects in the background and keeps reconnecting, so a service
starts (and takes writes, through its outbox) while NATS is down."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import nats
import structlog
from boost_contracts.envelope import Envelope
from boost_contracts.subjects import Names
from boost_contracts.tracing import current_trace, new_trace_id, parse_traceparent, traceparent
from boost_platform.logging import get_logger
from boost_platform.metrics import BUS_CONSUMED, BUS_CONSUMER_LAG, BUS_PUBLISHED, BUS_REQUESTS
from boost_platform.problems import UNAVAILABLE, Problem, database_unavailable
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from .streams import ensure_streams

log = get_logger("boost.bus")

Setup = Callable[["Bus"], Awaitable[None]]
Responder = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | list[Any]]]
EventHandler = Callable[[Envelope], Awaitable[None]]
# Several events in one go (one transaction for all, say); called only for two or more.
EventsHandler = Callable[[list[Envelope]], Awaitable[None]]
# After a fetch that brought some events but not a whole batch, a consumer waits this long
# before asking again, so that under a stream of events each fetch brings several of them
# (and an `EventsHandler` commits them together) instead of one pull request, one status
# message and one transaction per event. A quiet stream is unaffected: the next fetch waits
# for its first event anyway.
LINGER = 0.05


@contextlib.contextmanager
def tracing(trace_id: str) -> Iterator[None]:
    """What runs inside carries this trace: its log lines, and the requests and events it makes."""
    token = current_trace.set(trace_id)
    try:
        with structlog.contextvars.bound_contextvars(trace_id=trace_id):
            yield
    finally:
        current_trace.reset(token)


def traced(envelope: Envelope) -> contextlib.AbstractContextManager[None]:
    """`tracing` with one event's trace. A consumer's handler runs in it; a handler of several
    events (`Bus.consume(…, many=…)`) enters it for what it does for one of them alone."""
    return tracing(envelope.trace_id or new_trace_id())


class BusReplyError(Exception):
    """A command or query answered with `{error: {...}}`."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("detail") or error.get("title"))
        self.error = error

    def as_problem(self) -> Problem:
        return Problem.from_body(self.error)


class Poison(Exception):
    """Raised by a handler for a message that can never be handled: it is terminated."""


class Bus:
    def __init__(self, url: str, names: Names, service: str, stream_replicas: int = 1) -> None:
        self.url = url
        self.stream_replicas = stream_replicas
        self.names = names
        self.service = service
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._setups: list[Setup] = []
        self._reconnect_hooks: list[Callable[[], Awaitable[None]]] = []
        self._pull_subs: list[Any] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connected = asyncio.Event()
        self._closing = False

    # ------------------------------------------------------------------ lifecycle
    def on_connect(self, setup: Setup) -> None:
        """Run `setup(bus)` once the first connection is made (streams, responders, consumers)."""
        self._setups.append(setup)

    def on_reconnect(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook()` each time the connection comes back (core subscriptions missed
        whatever was published meanwhile)."""
        self._reconnect_hooks.append(hook)

    async def start(self, wait: float = 3.0) -> None:
        """Connect in the background; wait up to `wait` seconds for the first connection."""
        self._spawn(self._connect_loop())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), wait)

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def _connect_loop(self) -> None:
        delay = 0.2
        while not self._closing:
            try:
                self._nc = await nats.connect(
                    servers=[u.strip() for u in self.url.split(",") if u.strip()],  # a cluster: every server
                    name=f"boost-{self.service}",
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    ping_interval=5,
                    max_outstanding_pings=3,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnect,
                    reconnected_cb=self._on_reconnect,
                )
                break
            except Exception as exc:
                log.warning("nats connect failed; retrying", error=str(exc), url=self.url)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 3.0)
        if self._closing or self._nc is None:
            return
        self._js = self._nc.jetstream(timeout=5)
        done = 0
        while not self._closing:
            try:
                # Each setup runs once: a failure retries from the one that failed, so
                # nothing subscribes twice.
                while done < len(self._setups):
                    await self._setups[done](self)
                    done += 1
                break
            except Exception as exc:
                log.warning("bus setup failed; retrying", error=repr(exc))
                await asyncio.sleep(1)
        self._connected.set()
        log.info("bus connected", url=self.url)

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats error", error=repr(exc))

    async def _on_disconnect(self) -> None:
        log.warning("nats disconnected")

    async def _on_reconnect(self) -> None:
        log.info("nats reconnected")
        for hook in self._reconnect_hooks:
            try:
                await hook()
            except Exception:
                log.exception("reconnect hook failed")

    async def close(self) -> None:
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # A pull request still open delivers into a queue nobody reads any more, and
        # drain would wait its whole timeout for it: unsubscribe the pull inboxes first
        # (the durable consumers stay on the server).
        for sub in self._pull_subs:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.drain()
            with contextlib.suppress(Exception):
                await self._nc.close()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def is_connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def nc(self) -> NatsClient:
        if self._nc is None:
            raise ConnectionError("not connected to NATS")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise ConnectionError("not connected to NATS")
        return self._js

    async def ping(self) -> bool:
        if not self.is_connected:
            return False
        try:
            await self.nc.flush(timeout=1)
            return True
        except Exception:
            return False

    # ------------------------------------------------------------------ streams
    async def ensure_streams(self) -> None:
        await ensure_streams(self.js, self.names, replicas=self.stream_replicas)

    # ------------------------------------------------------------------ publish
    async def publish_raw(self, subject: str, payload: bytes, msg_id: str, trace_id: str | None = None) -> bool:
        """`publish_async`, waiting for the ack: True when the stream stored it (or had it)."""
        await asyncio.wait_for(await self.publish_async(subject, payload, msg_id, trace_id), 3)
        return True

    async def publish_async(self, subject: str, payload: bytes, msg_id: str,
                            trace_id: str | None = None) -> asyncio.Future[Any]:
        """JetStream publish with `Nats-Msg-Id`, sent without waiting: the future resolves
        to the stream's ack (or its error). Cancel it when giving up on the ack."""
        headers = {"Nats-Msg-Id": msg_id}
        if trace_id:
            headers["traceparent"] = traceparent(trace_id)
        ack: asyncio.Future[Any] = await self.js.publish_async(subject, payload, headers=headers, wait_stall=1)
        source = self.names.unprefix(subject).split(".", 1)[0]

        def count(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                BUS_PUBLISHED.labels(self.service, source).inc()

        ack.add_done_callback(count)
        return ack

    async def publish_core(self, subject: str, payload: bytes) -> None:
        """Fire-and-forget core NATS publish (presence heartbeats and the like)."""
        await self.nc.publish(subject, payload)

    # ------------------------------------------------------------------ request/reply
    async def request(self, subject: str, body: dict[str, Any], timeout: float = 5.0) -> Any:
        started = time.perf_counter()
        trace_id = current_trace.get()
        headers = {"traceparent": traceparent(trace_id)} if trace_id else None
        try:
            msg = await self.nc.request(subject, json.dumps(body, default=str).encode(), timeout=timeout, headers=headers)
        except NatsTimeoutError as exc:
            raise TimeoutError(f"no answer on {subject} within {timeout}s") from exc
        except NoRespondersError as exc:  # nobody serves it right now (restarting, or down): silence, to the caller
            raise TimeoutError(f"nobody answers on {subject}") from exc
        reply = json.loads(msg.data)
        BUS_REQUESTS.labels(self.service, self.names.unprefix(subject), "client").observe(time.perf_counter() - started)
        if isinstance(reply, dict) and "error" in reply and isinstance(reply["error"], dict):
            raise BusReplyError(reply["error"])
        return reply

    async def serve(self, subject: str, handler: Responder, queue: str | None = None, concurrency: int = 64) -> None:
        """Answer requests on `subject` in a queue group; Problems become `{error}` replies.

        nats-py runs a subscription's callbacks one at a time, so each request runs as its
        own task (at most `concurrency` at once per subject): one slow answer never
        queues the others behind it."""
        label = self.names.unprefix(subject)
        slots = asyncio.Semaphore(concurrency)

        async def _dispatch(msg: Msg) -> None:
            await slots.acquire()
            task = asyncio.ensure_future(_answer(msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(lambda _: slots.release())

        async def _answer(msg: Msg) -> None:
            with tracing(parse_traceparent((msg.headers or {}).get("traceparent")) or new_trace_id()):
                await _respond(msg)

        async def _respond(msg: Msg) -> None:
            started = time.perf_counter()
            outcome = "ok"
            try:
                body = json.loads(msg.data or b"{}")
                if not isinstance(body, dict):
                    raise Problem(400, "request body must be a JSON object")
                reply: Any = await handler(body)
            except Problem as exc:
                outcome = "error"
                reply = {"error": exc.body()}
            except ValidationError as exc:
                outcome = "error"
                reply = {"error": {"status": 422, "title": "Unprocessable Content", "detail": str(exc.errors()[0]["msg"]) if exc.errors() else "invalid",
                                   "errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]}}
            except json.JSONDecodeError:
                outcome = "error"
                reply = {"error": {"status": 400, "title": "Bad Request", "detail": "request body is not JSON"}}
            except Exception as exc:
                outcome = "error"
                if database_unavailable(exc):
                    log.warning("bus handler: database unavailable", subject=label, error=repr(exc)[:200])
                    reply = {"error": UNAVAILABLE.body()}
                else:
                    log.exception("bus handler failed", subject=label)
                    reply = {"error": {"status": 500, "title": "Internal Server Error", "detail": "handler failed"}}
            if msg.reply:
                with contextlib.suppress(Exception):
                    await msg.respond(json.dumps(reply, default=str).encode())
            BUS_REQUESTS.labels(self.service, label, outcome).observe(time.perf_counter() - started)

        await self.nc.subscribe(subject, queue=queue or self.service, cb=_dispatch)

    # ------------------------------------------------------------------ consumers
    async def consume(
        self,
        *,
        source: str,
        durable: str,
        handler: EventHandler,
        filter_subject: str | None = None,
        filter_subjects: Sequence[str] | None = None,
        batch: int = 64,
        ack_wait: float = 30.0,
        many: EventsHandler | None = None,
    ) -> None:
        """A durable pull consumer on `source`'s stream; several replicas share it.

        `filter_subject` (one) or `filter_subjects` (several): the events it is sent, so
        that those it has no use for cost it nothing (the server skips them); all of
        `source`'s when neither is given. A durable that exists already keeps its filter.

        The handler commits its own work (with the inbox) before returning; we ack after.
        A failing message is nak'ed with backoff; a Poison one is terminated.

        `many`, when given, handles the events of one fetch together (two or more) and
        commits them as one; should it fail, each is handled again by `handler` alone,
        so one bad event is retried or terminated on its own and holds back no other."""
        stream = self.names.stream(source)
        subject = filter_subject or self.names.events_of(source)
        durable_name = self.names.durable(durable)
        config = ConsumerConfig(
            durable_name=durable_name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait,
            max_ack_pending=1000,
            filter_subject=None if filter_subjects else subject,
            filter_subjects=list(filter_subjects) if filter_subjects else None,
        )
        async def subscribe() -> Any:
            sub = await self.js.pull_subscribe(subject, durable=durable_name, stream=stream, config=config)
            self._pull_subs.append(sub)
            return sub

        sub = await subscribe()
        self._spawn(self._consume_loop(sub, subscribe, durable, handler, batch, many))

    async def _consume_loop(self, sub: Any | None, subscribe: Callable[[], Awaitable[Any]], durable: str,
                            handler: EventHandler, batch: int, many: EventsHandler | None = None) -> None:
        last_lag = 0.0
        failures = 0
        while not self._closing:
            if sub is None:
                # Unbound (below): bind again until the cluster answers. Fetching from the
                # old subscription would time out quietly forever.
                try:
                    sub = await subscribe()
                    log.warning("consumer bound again", consumer=durable)
                except asyncio.CancelledError:
                    raise
                except Exception as bind_exc:
                    log.warning("rebinding the consumer failed; retrying", consumer=durable, error=repr(bind_exc))
                    await asyncio.sleep(1)
                    continue
            try:
                msgs = await sub.fetch(batch=batch, timeout=1)
                failures = 0
            except (NatsTimeoutError, TimeoutError):
                msgs = []
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("fetch failed", consumer=durable, error=repr(exc), failures=failures)
                await asyncio.sleep(min(0.2 * failures, 2))
                if failures >= 3 and self.is_connected:
                    # After a NATS restart the pull subscription (or the consumer itself,
                    # if the server lost it) may be gone; on a cluster, the consumer's
                    # leader may be moving: bind again, creating it if needed.
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
                    with contextlib.suppress(ValueError):
                        self._pull_subs.remove(sub)
                    sub = None
                continue
            if many is not None and len(msgs) > 1:
                steps = [functools.partial(self._handle_many, msgs, durable, handler, many)]
            else:
                steps = [functools.partial(self._handle, msg, durable, handler) for msg in msgs]
            for step in steps:
                try:
                    await step()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Never let one message end the loop; it is redelivered after ack_wait.
                    log.exception("consumer loop error", consumer=durable)
            if 0 < len(msgs) < batch:
                await asyncio.sleep(LINGER)
            if time.monotonic() - last_lag > 5:
                last_lag = time.monotonic()
                with contextlib.suppress(Exception):
                    info = await sub.consumer_info()
                    BUS_CONSUMER_LAG.labels(self.service, durable).set(info.num_pending)

    async def _handle_many(self, msgs: list[Msg], durable: str, handler: EventHandler,
                           many: EventsHandler) -> None:
        readable: list[tuple[Msg, Envelope]] = []
        for msg in msgs:
            try:
                readable.append((msg, Envelope.from_json(msg.data)))
            except ValidationError:
                await self._handle(msg, durable, handler)  # terminates it, as alone
        # The batch's lines name every event's trace; what a handler does for one event alone
        # runs in `traced(envelope)`, and carries that event's.
        traces = sorted({envelope.trace_id for _, envelope in readable if envelope.trace_id})
        try:
            if readable:
                with structlog.contextvars.bound_contextvars(trace_ids=traces):
                    await many([envelope for _, envelope in readable])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("events handled together failed; each alone now", consumer=durable, events=len(readable),
                     error=repr(exc), trace_ids=traces)
            for msg, _ in readable:
                await self._handle(msg, durable, handler)
            return
        BUS_CONSUMED.labels(self.service, durable, "ok").inc(len(readable))
        for msg, _ in readable:
            with contextlib.suppress(Exception):
                await msg.ack()

    async def _handle(self, msg: Msg, durable: str, handler: EventHandler) -> None:
        try:
            envelope = Envelope.from_json(msg.data)
        except ValidationError:
            log.error("unreadable event terminated", consumer=durable, subject=msg.subject)
            BUS_CONSUMED.labels(self.service, durable, "poison").inc()
            with contextlib.suppress(Exception):
                await msg.term()
            return
        with traced(envelope):  # the lines below carry the event's trace too
            try:
                await handler(envelope)
            except Poison as exc:
                log.error("poison event terminated", consumer=durable, event_id=envelope.id, error=str(exc))
                BUS_CONSUMED.labels(self.service, durable, "poison").inc()
                with contextlib.suppress(Exception):
                    await msg.term()
                return
            except Exception as exc:
                deliveries = msg.metadata.num_delivered if msg.metadata else 1
                log.warning("event handling failed; will retry", consumer=durable, event_id=envelope.id,
                            type=envelope.type, error=repr(exc), deliveries=deliveries)
                BUS_CONSUMED.labels(self.service, durable, "retry").inc()
                with contextlib.suppress(Exception):
                    await msg.nak(delay=min(0.5 * 2 ** min(deliveries, 6), 30))
                return
        BUS_CONSUMED.labels(self.service, durable, "ok").inc()
        with contextlib.suppress(Exception):
            await msg.ack()

    # ------------------------------------------------------------------ core subscriptions
    async def follow(self, stream: str, subject: str, cb: Callable[[Msg], Awaitable[None]],
                     heartbeat: float = 2.0) -> Any:
        """What `stream` stores on `subject` from now on, in order, missing nothing it holds: a
        JetStream ordered consumer (ephemeral, in memory, no acks). A core subscription loses
        what passes while a route between servers is down (a server stalled or restarting)
        and never knows; this one sees the gap in its sequence, or its heartbeats stop, and
        is made again from the next sequence. Redeliveries are possible: `cb` de-duplicates."""
        last = (await self.js.stream_info(stream)).state.last_seq
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=last + 1)
        sub = await self.js.subscribe(subject, stream=stream, cb=cb, config=config, ordered_consumer=True,
                                      idle_heartbeat=heartbeat)
        # nats-py makes an ordered consumer again from the last sequence it delivered, which
        # is 0 before the first message: a stall before then would replay the whole stream.
        state = sub._sub._jsi
        assert state is not None  # set by nats-py for every JetStream push subscription
        state._sseq = last
        return sub

    async def subscribe(self, subject: str, cb: Callable[[Msg], Awaitable[None]], queue: str = "") -> Any:
        return await self.nc.subscribe(subject, queue=queue, cb=cb)
