"""Exactly one active scheduler across replicas: a NATS KV lock with a TTL.

APScheduler 3.x cannot share a job store between schedulers safely, so one replica holds
the lock and runs the jobs; the others stand by. The lock is `create` on a key of a bucket
whose TTL is the lock's (the machine's NATS may be 2.9: no per-message TTL), refreshed with
`update(last=revision)`; a replica that can't refresh within the TTL steps down, and a
stopping leader deletes the key so a standby takes over at once. Should two ever overlap
for a moment, the occurrence ids stop any double (the `occurrences` table)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable

from boost_bus import Bus
from boost_bus.kv import SharedBucket
from boost_platform.logging import get_logger
from nats.js.errors import KeyWrongLastSequenceError

log = get_logger("scheduler.leader")

LOCK_KEY = "leader"
BUCKET = "scheduler_leader"
RELEASE_TIMEOUT = 1.0  # s a stopping leader waits to hand the lock over


class LeaderLock:
    def __init__(self, bus: Bus, ttl: float, on_elected: Callable[[], Awaitable[None]],
                 on_lost: Callable[[], Awaitable[None]]) -> None:
        self.bus = bus
        self.ttl = ttl
        self.on_elected = on_elected
        self.on_lost = on_lost
        self.identity = f"{uuid.uuid4().hex[:12]}"
        # A cluster: on every server.
        self.bucket = SharedBucket(bus, BUCKET, ttl, replicas=bus.stream_replicas)
        self.is_leader = False
        self._revision: int | None = None
        self._last_refresh = 0.0
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._stopping = False
        self._starting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        # nats-py swallows some cancellations, so the loop also checks a flag.
        self._stopping = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)
        if self.is_leader:
            await self._step_down(release=True)

    async def wait_decided(self, timeout: float = 10.0) -> None:
        """Until this replica has tried at least once (tests and readiness)."""
        await asyncio.wait_for(self._changed.wait(), timeout)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.bus.wait_connected(None)
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info("leader lock check failed", error=repr(exc))
                self.bucket.forget()
                if self.is_leader and time.monotonic() - self._last_refresh > self.ttl * 0.8:
                    # Can't prove we still hold it: another replica may take over after the TTL.
                    await self._step_down(release=False)
            self._changed.set()
            await asyncio.sleep(self.ttl / 3)

    async def tick(self) -> None:
        kv = await self.bucket.kv()
        if self._stopping:
            return
        value = self.identity.encode()
        if self.is_leader:
            try:
                self._revision = await kv.update(LOCK_KEY, value, last=self._revision)
                self._last_refresh = time.monotonic()
            except KeyWrongLastSequenceError:
                log.warning("leader lock lost to another replica")
                await self._step_down(release=False)
            return
        try:
            self._revision = await kv.create(LOCK_KEY, value)
        except KeyWrongLastSequenceError:
            return  # another replica leads
        self._last_refresh = time.monotonic()
        self.is_leader = True
        log.info("elected scheduler leader", identity=self.identity)
        # Starting may wait for okr; the lock keeps being refreshed meanwhile.
        self._starting = asyncio.ensure_future(self._start())

    async def _start(self) -> None:
        try:
            await self.on_elected()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("starting the schedule failed; stepping down")
            await self._step_down(release=True)

    async def _step_down(self, *, release: bool) -> None:
        self.is_leader = False
        starting, self._starting = self._starting, None
        if starting is not None and not starting.done() and starting is not asyncio.current_task():
            starting.cancel()
            await asyncio.wait({starting}, timeout=5)
        with contextlib.suppress(Exception):
            await self.on_lost()
        kv = self.bucket.opened
        if release and kv is not None and self._revision is not None and self.bus.is_connected:
            # A courtesy to the standby (it takes over now, not after the TTL), so it waits
            # briefly: with NATS itself stopping (`make run`'s Ctrl-C stops everything at
            # once) it used to hold the scheduler's exit past its grace period.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(kv.delete(LOCK_KEY, last=self._revision), RELEASE_TIMEOUT)
        self._revision = None
