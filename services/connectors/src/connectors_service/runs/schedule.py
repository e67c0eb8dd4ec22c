"""Every binding runs every `every_minutes`, once, however many replicas run.

No second scheduler and no leader: each replica ticks, and takes a due binding by one
conditional UPDATE that moves `claimed_until` (a lease) forward only if nobody holds it —
the database decides who won, on MariaDB and SQLite alike. The winner runs it, then moves
`next_run_at` on by one period and drops the lease. A replica killed mid-run simply lets
its lease lapse; another replica then takes the same due run. If the dead one had already
handed the reading to okr, okr finds the value equal to the key result's current one and
records nothing, so a run is never recorded twice."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from boost_platform.db import rowcount
from boost_platform.logging import get_logger

from ..models import Binding
from .service import OkrNotReady, run_binding

if TYPE_CHECKING:
    from ..bootstrap import Container

log = get_logger("connectors.schedule")
# BOOST_CONNECTORS_LEASE_SECONDS (60): longer than a run can take (10 s query + okr's 5 s answer + margin).
RETRY = timedelta(seconds=30)  # okr not answering: try again soon, not a period later


class Scheduler:
    def __init__(self, c: Container, tick: float, lease: float = 60.0, concurrency: int = 16) -> None:
        self.c = c
        self.tick = tick
        self.lease = timedelta(seconds=lease)
        self.slots = asyncio.Semaphore(concurrency)
        self.concurrency = concurrency
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self.runs = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._loop())

    async def close(self) -> None:
        for task in [self._task, *self._running]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._running]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _loop(self) -> None:
        while True:
            try:
                taken = await self.take_due()
                for binding_id, token in taken:
                    await self.slots.acquire()
                    task = asyncio.ensure_future(self._run(binding_id, token))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                    task.add_done_callback(lambda _: self.slots.release())
                if len(taken) == self.concurrency:
                    continue  # more are due: take the next batch as soon as slots free up
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("schedule tick failed")
            await asyncio.sleep(self.tick)

    async def take_due(self) -> list[tuple[int, str]]:
        now = datetime.now(UTC)
        async with self.c.runtime.maker() as session:
            due = list((await session.execute(
                sa.select(Binding.id).where(Binding.active.is_(True), Binding.next_run_at <= now,
                                            sa.or_(Binding.claimed_until.is_(None), Binding.claimed_until < now))
                .order_by(Binding.next_run_at).limit(self.concurrency * 4))).scalars())
        # Replicas see the same earliest rows: each tries them in its own order, so they
        # mostly take different ones instead of racing for the same few.
        random.shuffle(due)
        taken: list[tuple[int, str]] = []
        for binding_id in due:
            if len(taken) == self.concurrency:
                break
            token = secrets.token_hex(8)
            async with self.c.runtime.maker() as session, session.begin():
                won = rowcount(await session.execute(
                    sa.update(Binding).where(
                        Binding.id == binding_id, Binding.active.is_(True), Binding.next_run_at <= now,
                        sa.or_(Binding.claimed_until.is_(None), Binding.claimed_until < now))
                    .values(claimed_until=now + self.lease, claim=token)))
            if won:
                taken.append((binding_id, token))
        return taken

    async def _run(self, binding_id: int, token: str) -> None:
        retry = False
        try:
            await run_binding(self.c, binding_id)
            self.runs += 1
        except OkrNotReady as exc:
            log.info("okr could not take a reading yet; trying again soon", binding_id=binding_id, error=str(exc))
            retry = True
        except Exception:
            log.exception("run failed", binding_id=binding_id)
        await self.finish(binding_id, token, retry=retry)

    async def finish(self, binding_id: int, token: str, *, retry: bool = False) -> None:
        now = datetime.now(UTC)
        async with self.c.runtime.maker() as session, session.begin():
            b = (await session.execute(sa.select(Binding).where(Binding.id == binding_id, Binding.claim == token)
                                       .with_for_update())).scalar_one_or_none()
            if b is None:
                return  # deleted, or our lease lapsed and another replica took it over
            if retry:
                b.next_run_at = now + RETRY
            else:
                period = timedelta(minutes=b.every_minutes)
                nxt = (b.next_run_at or now) + period
                b.next_run_at = nxt if nxt > now else now + period  # after downtime: once, not a backlog
            b.claimed_until, b.claim = None, None
