"""The transactional outbox.

A write and its events commit in one transaction (`async with outbox.transaction() as tx`,
`tx.emit(envelope)`); right after commit the committing task sends the new rows to
JetStream with `Nats-Msg-Id = event id` (before its caller answers anyone), the relay
collects the stream's acks and marks the rows, and a sweep republishes whatever is still
unsent (after a NATS outage or a crash between commit and publish). Rows are taken with
`FOR UPDATE SKIP LOCKED` on MariaDB so several replicas can sweep together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from boost_contracts.envelope import Envelope
from boost_contracts.subjects import Names
from boost_platform.db import (
    COMMIT,
    PooledConnection,
    Statement,
    UTCDateTime,
    execute_batch,
    for_update_skip_locked,
    pooled_connection,
)
from boost_platform.logging import get_logger
from boost_platform.metrics import BUS_PUBLISH_ERRORS, OUTBOX_BACKLOG
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from .client import Bus

log = get_logger("boost.outbox")
MARK_DELAY = 0.05  # seconds of quiet before published rows are marked, in one UPDATE
ACK_WAIT = 3.0  # seconds to wait for the stream's ack of a publish before the sweep takes over


def outbox_table(metadata: sa.MetaData, id_length: int = 26) -> sa.Table:
    """`id_length`: 26 fits a ULID; a service whose event ids are longer (the scheduler's
    deterministic occurrence ids) asks for more."""
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.String(id_length), primary_key=True),  # the event's id
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary().with_variant(sa.dialects.mysql.LONGBLOB(), "mysql"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True, index=True),
    )


@dataclass
class _Row:
    id: str
    subject: str
    payload: bytes
    trace_id: str | None = None
    ack: asyncio.Future[Any] | None = None  # the stream's answer, once sent


@dataclass(kw_only=True)
class BatchTx:
    """What a write sends in the batch that ends it: its deferred writes, its events'
    outbox rows and the statements that COMMIT. A write made of batches alone
    (`Outbox.batch_transaction`) is this; `Tx` adds the ORM session."""

    dialect: str
    events: list[Envelope] = field(default_factory=list)
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    # Writes whose results nobody reads: sent with the events' outbox rows in one batch
    # (one round trip on MariaDB) just before COMMIT, in the order they were deferred.
    deferred: list[Statement] = field(default_factory=list)
    # The very last statements, the final one COMMITting (okr's revision stamp: its hot
    # lock is taken in that batch, so it is held only inside the database).
    commit_with: Callable[[], list[Statement]] | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def emit(self, envelope: Envelope) -> Envelope:
        self.events.append(envelope)
        return envelope

    def defer(self, statement: sa.Executable, values: dict[str, Any] | list[dict[str, Any]] | None = None) -> None:
        """`statement` built once, `values` its values (a list: once per dict)."""
        self.deferred.append(statement if values is None else (statement, values))

    async def connection(self) -> AsyncConnection | PooledConnection:
        """The transaction's connection, for `execute_batch`."""
        raise NotImplementedError


@dataclass(kw_only=True)
class Tx(BatchTx):
    """One unit of work: the session, and the events that commit with it."""

    session: AsyncSession
    # Run at the end, before the last batch: the place to add statements that depend on
    # the whole transaction (one INSERT of all its history rows, say).
    before_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def connection(self) -> AsyncConnection:
        return await self.session.connection()


@dataclass(kw_only=True)
class _PooledTx(BatchTx):
    pooled: PooledConnection

    async def connection(self) -> PooledConnection:
        return self.pooled


NOT_SENT = "not sent"


def _failure(ack: asyncio.Future[Any] | None) -> str | None:
    """Why a publish is not known to be stored, or None when it is."""
    if ack is None:
        return NOT_SENT
    if ack.cancelled():
        return "no ack in time"
    error = ack.exception()
    return None if error is None else repr(error)


class Outbox:
    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        table: sa.Table,
        bus: Bus | None,
        names: Names,
        service: str,
        sweep_seconds: float = 2.0,
    ) -> None:
        self.maker = maker
        self.engine: AsyncEngine = maker.kw["bind"]
        self.dialect = self.engine.dialect.name
        self.table = table
        self.bus = bus
        self.names = names
        self.service = service
        self.sweep_seconds = sweep_seconds
        self._fresh: asyncio.Queue[list[_Row]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._unmarked: list[str] = []  # published, not yet marked so
        self._insert_rows = sa.insert(table)

    # ------------------------------------------------------------------ writing
    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.maker() as session:
            async with session.begin():
                tx = Tx(session=session, dialect=self.dialect)
                yield tx
                # Pending ORM changes first; then the deferred writes, the outbox rows and
                # the committing statement go in one batch, so a hot lock taken there is
                # held for that one round trip.
                await session.flush()
                for hook in tx.before_commit:
                    await hook()
                rows = await self._close(tx)
        await self._after(tx, rows)

    @contextlib.asynccontextmanager
    async def batch_transaction(self) -> AsyncIterator[BatchTx]:
        """A write made of `execute_batch` calls alone, on a pooled connection without an ORM
        session (MariaDB; elsewhere a `transaction`): the hot path of typing. Its last batch
        COMMITs; an exception rolls it back."""
        if self.dialect != "mysql":
            async with self.transaction() as session_tx:
                yield session_tx
            return
        async with pooled_connection(self.engine) as pooled:
            tx = _PooledTx(pooled=pooled, dialect=self.dialect)
            yield tx
            rows = await self._close(tx)
        await self._after(tx, rows)

    async def _close(self, tx: BatchTx) -> list[_Row]:
        """The closing batch: deferred writes, outbox rows, then the committing statements
        (a plain COMMIT where the write brought none: it ends the transaction in the same
        round trip, and SQLAlchemy's own COMMIT then sends nothing)."""
        rows = self._rows(tx.events)
        batch = list(tx.deferred)
        if rows:
            now = datetime.now(UTC)
            batch.append((self._insert_rows, [{"id": r.id, "subject": r.subject, "payload": r.payload,
                                               "created_at": now} for r in rows]))
        if tx.commit_with is not None:
            batch += tx.commit_with()
        elif self.dialect == "mysql" and batch:
            batch.append(COMMIT)
        await execute_batch(await tx.connection(), batch, commits=self.dialect == "mysql" and bool(batch))
        return rows

    async def _after(self, tx: BatchTx, rows: list[_Row]) -> None:
        if rows:
            await self._send(rows)
            self._fresh.put_nowait(rows)
        for callback in tx.after_commit:
            callback()

    def _rows(self, events: list[Envelope]) -> list[_Row]:
        return [_Row(e.id, self.names.event(e.source, e.type), e.to_json(), e.trace_id) for e in events]

    # ------------------------------------------------------------------ relay
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        # Keep cancelling until the relay ends: on Python 3.11 asyncio.wait_for (here and
        # inside nats-py) can swallow a cancel that lands as its inner future completes.
        self._stopping = True
        task = self._task
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=0.1)
        self._task = None
        # One last attempt to publish what committed just before shutdown.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._drain_fresh(), 2)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._mark(), 2)

    async def _drain_fresh(self) -> None:
        batch: list[_Row] = []
        while not self._fresh.empty():
            batch.extend(self._fresh.get_nowait())
        if batch:
            await self._publish_and_mark(batch)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_sweep = oldest_unmarked = 0.0
        while not self._stopping:
            try:
                timeout = max(0.0, self.sweep_seconds - (loop.time() - last_sweep))
                if self._unmarked:
                    timeout = min(timeout, MARK_DELAY)
                try:
                    batch = await asyncio.wait_for(self._fresh.get(), timeout=timeout)
                    while not self._fresh.empty() and len(batch) < 500:
                        batch.extend(self._fresh.get_nowait())
                    if not self._unmarked:
                        oldest_unmarked = loop.time()
                    self._unmarked.extend(await self._publish(batch))
                    if len(self._unmarked) >= 500 or loop.time() - oldest_unmarked > 4 * MARK_DELAY:
                        await self._mark()
                except TimeoutError:
                    await self._mark()  # a quiet moment: record what went out
                if loop.time() - last_sweep >= self.sweep_seconds:
                    last_sweep = loop.time()
                    await self._mark()
                    await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay error", error=repr(exc))
                await asyncio.sleep(0.5)

    async def _send(self, rows: list[_Row]) -> bool:
        """Put the rows' publishes on the wire without waiting for their acks: called by
        the committing task right after COMMIT, they go out in commit order and before the
        caller's answer (one write to the socket carries both). False when one could not
        be sent: it and those after it are published by the relay or the sweep."""
        if self.bus is None or not self.bus.is_connected:
            return False
        for row in rows:
            if row.ack is not None:
                continue
            try:
                row.ack = await self.bus.publish_async(row.subject, row.payload, row.id, row.trace_id)
            except Exception as exc:
                BUS_PUBLISH_ERRORS.labels(self.service).inc()
                log.info("publish failed; the sweep will retry", error=repr(exc))
                return False
        return True

    async def _publish(self, rows: list[_Row]) -> list[str]:
        """Send what is not sent yet and wait for the acks (pipelined: every publish is on
        the wire before the first ack comes back); the ids stored, in order, up to the first
        failure: what follows waits for the sweep (JetStream drops any duplicate)."""
        await self._send(rows)
        acks = [row.ack for row in rows if row.ack is not None]
        if acks:
            _, late = await asyncio.wait(acks, timeout=ACK_WAIT)
            for ack in late:
                ack.cancel()  # frees its slot in nats-py's pending publishes
        done: list[str] = []
        failure: str | None = None
        for row in rows:  # every outcome is read, so no error is reported as never retrieved
            outcome = _failure(row.ack)
            if failure is None and outcome is None:
                done.append(row.id)
            failure = failure or outcome
        if failure is not None and failure != NOT_SENT:  # a failed send was counted and logged
            BUS_PUBLISH_ERRORS.labels(self.service).inc()
            log.info("publish not acknowledged; the sweep will retry", error=failure)
        return done

    async def _publish_and_mark(self, rows: list[_Row]) -> None:
        self._unmarked.extend(await self._publish(rows))
        await self._mark()

    async def _mark(self) -> None:
        """Record rows as published, many at a time and off the write's path: until then
        the sweep leaves them alone (it takes rows older than its cutoff), and should one
        be sent twice JetStream drops the duplicate by its Nats-Msg-Id."""
        done, self._unmarked = self._unmarked, []
        if not done:
            return
        try:
            async with self.maker() as session, session.begin():
                await session.execute(
                    sa.update(self.table).where(self.table.c.id.in_(done)).values(published_at=datetime.now(UTC))
                )
        except Exception:
            self._unmarked = done + self._unmarked
            raise

    async def sweep(self, limit: int = 500) -> int:
        """Publish rows still unsent (older than a moment, so the fast path goes first)."""
        if self.bus is None or not self.bus.is_connected:
            await self._count_backlog()
            return 0
        t = self.table
        cutoff = datetime.now(UTC) - timedelta(seconds=0.5)
        published = 0
        async with self.maker() as session, session.begin():
            dialect = session.bind.dialect.name if session.bind else "mysql"
            stmt = (
                sa.select(t.c.id, t.c.subject, t.c.payload)
                .where(t.c.published_at.is_(None), t.c.created_at < cutoff)
                .order_by(t.c.id)
                .limit(limit)
            )
            rows = [_Row(r.id, r.subject, r.payload) for r in (await session.execute(for_update_skip_locked(stmt, dialect)))]
            done = await self._publish(rows)
            if done:
                await session.execute(sa.update(t).where(t.c.id.in_(done)).values(published_at=datetime.now(UTC)))
                published = len(done)
            # Published rows are kept a day for inspection, then dropped.
            await session.execute(sa.delete(t).where(t.c.published_at < datetime.now(UTC) - timedelta(days=1)))
        await self._count_backlog()
        return published

    async def _count_backlog(self) -> int:
        try:
            async with self.maker() as session:
                n = (
                    await session.execute(
                        sa.select(sa.func.count()).select_from(self.table).where(self.table.c.published_at.is_(None))
                    )
                ).scalar_one()
        except Exception:
            return -1
        OUTBOX_BACKLOG.labels(self.service).set(n)
        return int(n)

    async def backlog(self) -> int:
        return await self._count_backlog()
