"""The sender: claims due rows one at a time (each committed as `sending` before Slack is
called), paced under Slack's limits, and finishes each as `sent`, `failed`, `unknown` (Slack
may have posted it: never re-sent by itself) or rescheduled (429, a refused connection).

It also heartbeats (so rows left `sending` by a dead sender become `unknown`, never
re-sent), records due rows in record-only mode, and pushes `chat.update` for approval
messages decided after they were sent."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from boost_bus import Outbox
from boost_platform.clock import Clock
from boost_platform.logging import get_logger
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import DBAPIError

from ..settings import NotifierSettings
from ..slack.client import SlackPort, classify
from ..slack.pacing import POST, Pacer
from . import store

log = get_logger("notifier.sender")

# How long to keep trying to record Slack's answer before giving up (the row then stays
# `sending` and becomes `unknown` when this process is gone).
RECORD_PATIENCE = 600.0

DELIVERIES = Counter("boost_notifier_deliveries_total", "Deliveries finished", ["kind", "status"])
UNKNOWN = Counter("boost_notifier_unknown_total", "Deliveries whose send was interrupted (never re-sent)")
SENDING = Gauge("boost_notifier_sending", "Sends in flight in this process")


T = TypeVar("T")


def _transient(exc: BaseException) -> bool:
    """MariaDB deadlocks and lock wait timeouts: try the transaction again."""
    code = getattr(getattr(exc, "orig", None), "args", [None])[0] if isinstance(exc, DBAPIError) else None
    return code in (1213, 1205)


async def retrying(work: Callable[[], Awaitable[T]], *, patience: float = 5.0) -> T:
    """Run a transaction again after a deadlock. With a long `patience` (recording what Slack
    answered) any database error is retried: a row must not stay `sending` once we know."""
    delay = 0.01
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            return await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if asyncio.get_running_loop().time() > deadline or (patience <= 5.0 and not _transient(exc)):
                raise
            log.info("database busy; retrying", error=repr(exc)[:200])
            await asyncio.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 2.0)


class Sender:
    def __init__(self, outbox: Outbox, clock: Clock, slack: SlackPort | None, knobs: NotifierSettings,
                 pacer: Pacer, on_failed: Callable[[Any, str], Awaitable[Any]] | None = None) -> None:
        self.outbox = outbox
        self.on_failed = on_failed  # told of each delivery that failed for good (team digests: DigestAlerts)
        self.maker = outbox.maker
        self.clock = clock
        self.slack = slack
        self.knobs = knobs
        self.pacer = pacer
        self.id = f"{uuid.uuid4().hex[:16]}"
        self._wake = asyncio.Event()
        self._update_wake = asyncio.Event()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._hungry = asyncio.Event()
        # Reserve about a second's worth of sends at a time (bounded, so replicas share).
        self.batch = max(2 * knobs.senders, min(200, int(knobs.send_rate)))
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._crashed = False
        self._in_flight = 0
        self._side: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wake.set()
        self._update_wake.set()

    async def start(self) -> None:
        await store.heartbeat(self.maker, self.id, self.clock.now())
        # Rows a previous, dead process left `sending` (its heartbeat is old) become `unknown`.
        with contextlib.suppress(Exception):
            await self.sweep()
        loops = [self._housekeeping()]
        if self.slack is None:
            loops.append(self._record_loop())
        else:
            loops.append(self._claim_loop())
            loops += [self._send_loop(n) for n in range(self.knobs.senders)]
            loops.append(self._update_loop())
        self._tasks = [asyncio.ensure_future(c) for c in loops]

    async def stop(self, grace: float = 10.0) -> None:
        """Let sends in flight finish (their outcome is then known), then stop."""
        if self._crashed:
            return
        self._stopping = True
        self._wake.set()
        self._update_wake.set()
        working = self._tasks[1:]  # the first is housekeeping: it can stop at once
        for _ in range(self.knobs.senders):
            self._queue.put_nowait(None)
        if working:
            await asyncio.wait(working, timeout=grace)
        await self._cancel()
        with contextlib.suppress(Exception):
            await store.release(self.maker, self.id)
        if not self._in_flight:
            with contextlib.suppress(Exception):
                await store.retire(self.maker, self.id)

    async def crash(self) -> None:
        """Tests: die like a killed process: no heartbeat any more, whatever is `sending` or
        reserved left as it is (the others' sweep finds it once the heartbeat is stale)."""
        self._stopping = self._crashed = True
        await self._cancel()

    async def _cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        self._tasks = []

    async def sweep(self) -> int:
        n = await store.mark_unknown(self.maker, self.clock.now(), self.knobs.sender_ttl_seconds)
        if n:
            UNKNOWN.inc(n)
            log.warning("deliveries interrupted mid-send marked unknown", count=n)
        return n

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.knobs.poll_seconds)

    async def _housekeeping(self) -> None:
        interval = max(0.2, self.knobs.sender_ttl_seconds / 4)
        while not self._stopping:
            try:
                await store.heartbeat(self.maker, self.id, self.clock.now())
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("sender housekeeping failed", error=repr(exc))
            await asyncio.sleep(interval)

    async def _record_loop(self) -> None:
        while not self._stopping:
            try:
                n = await store.record_due(self.maker, self.clock.now())
                if n:
                    DELIVERIES.labels("*", "recorded").inc(n)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("recording due messages failed", error=repr(exc))
            await self._idle()

    async def _claim_loop(self) -> None:
        """Keep the senders fed: reserve the next due rows when the queue runs low."""
        while not self._stopping:
            try:
                if self._queue.qsize() >= self.knobs.senders:
                    self._hungry.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._hungry.wait(), self.knobs.poll_seconds)
                    continue
                rows = await retrying(lambda: store.claim(self.maker, self.id, self.clock.now(), self.batch))
                for row in rows:
                    self._queue.put_nowait(row)
                if not rows:
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("claiming due deliveries failed", error=repr(exc))
                await asyncio.sleep(0.5)

    async def _send_loop(self, n: int) -> None:
        while not self._stopping:
            try:
                row = await self._queue.get()
                if row is None or self._stopping:
                    return  # what is still reserved is handed back by stop()
                if self._queue.qsize() < self.knobs.senders:
                    self._hungry.set()
                if self._stopping:
                    return
                if not await retrying(functools.partial(self._start_sending, row.id)):
                    continue
                # The slot is taken after the row is `sending` (a short wait: about senders / rate),
                # so the database's latency does not bunch posts into a burst past Slack's limit.
                await self.pacer.acquire(POST)
                row.attempts += 1
                self._in_flight += 1
                SENDING.inc()
                try:
                    await self._deliver(row)
                finally:
                    self._in_flight -= 1
                    SENDING.dec()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sender loop error", error=repr(exc))
                await asyncio.sleep(0.5)

    async def _start_sending(self, row_id: int) -> bool:
        return await store.start_sending(self.maker, row_id, self.id, self.clock.now())

    async def _deliver(self, row: Any) -> None:
        assert self.slack is not None
        await self.pacer.channel(row.channel)
        try:
            posted = await self.slack.post_message(row.channel, row.text, row.blocks)
        except asyncio.CancelledError:
            raise  # mid-call: the row stays `sending` and becomes `unknown`
        except Exception as exc:
            failure = classify(exc)  # the one place that says retry, unknown or failed
            now = self.clock.now()

            async def _not_sent() -> None:
                async with self.outbox.transaction() as tx:
                    if failure.verdict == "retry":
                        delay = min(self.knobs.retry_max_seconds,
                                    max(failure.retry_after or 0.0, 2.0 ** min(row.attempts, 8)))
                        await store.finish_retry(tx, row, now, failure.error, delay)
                    elif failure.verdict == "unknown":
                        await store.finish_unknown(tx, row, now, failure.error)
                    else:
                        await store.finish_failed(tx, row, now, failure.error)

            await retrying(_not_sent, patience=RECORD_PATIENCE)
            if failure.verdict == "retry" and failure.retry_after:
                await self.pacer.hold(POST, failure.retry_after)
            if failure.verdict == "unknown":
                UNKNOWN.inc()
                log.warning("delivery outcome unknown; not re-sent", id=row.id, kind=row.kind, reason=failure.error)
            if failure.verdict == "failed" and self.on_failed is not None:
                self._spawn(self.on_failed(row, failure.error))
            DELIVERIES.labels(row.kind, failure.verdict).inc()
            log.info("delivery not sent", id=row.id, kind=row.kind, error=failure.error, verdict=failure.verdict)
            return

        async def _sent() -> None:
            async with self.outbox.transaction() as tx:
                await store.finish_sent(tx, row, self.clock.now(), posted.channel, posted.ts)

        await retrying(_sent, patience=RECORD_PATIENCE)
        DELIVERIES.labels(row.kind, "sent").inc()

    def _spawn(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception as exc:
                log.warning("after-failure work failed", error=repr(exc)[:300])
            self.wake()

        task = asyncio.ensure_future(run())
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def _update_loop(self) -> None:
        assert self.slack is not None
        while not self._stopping:
            try:
                for row in await store.pending_updates(self.maker):
                    try:
                        await self.slack.update_message(row.slack_channel or row.channel or "", row.slack_ts or "",
                                                        row.text, row.blocks)
                    except Exception as exc:
                        failure = classify(exc)
                        if failure.verdict != "failed":  # the same edit again is harmless
                            continue
                        log.info("chat.update refused", id=row.id, error=failure.error)
                    await store.updated(self.maker, row.id, row.blocks)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("message updates failed", error=repr(exc))
            self._update_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_wake.wait(), self.knobs.poll_seconds)
