"""Keeping the read model current: a durable pull consumer on okr's stream, through the
inbox (each event once, acked after commit), and a rebuild from `okr.query.*` when the
stream no longer holds what we missed (first start after okr's events aged out, a
consumer left behind for longer than the stream keeps events, or a new database
behind a durable that had moved on)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from boost_bus import Bus, traced
from boost_bus.client import BusReplyError
from boost_bus.inbox import claim, defer_claim
from boost_bus.runtime import Runtime
from boost_contracts.envelope import Envelope
from boost_contracts.events import KeyResultData, TeamData
from boost_platform.db import rowcount
from boost_platform.logging import get_logger
from boost_platform.retry import until_done
from nats.js.errors import NotFoundError

from ..models import RmState, inbox
from . import service
from .service import CONSUMER

log = get_logger("feedback.readmodel")
INBOX_KEEP = timedelta(days=31)  # okr's stream keeps 30 days: nothing older can come again


class ReadModel:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.consuming = False

    async def handle(self, envelope: Envelope) -> None:
        """The consumer's handler: each event once (the inbox claim commits with the
        change; the bus acks after)."""
        await self.handle_many([envelope])

    async def handle_many(self, envelopes: list[Envelope]) -> None:
        """Events of one fetch, each once. The subscription brings only the entities the
        read model keeps; `wants` still sorts out others (a durable made before it filtered).

        A user, objective, key result or org event is one statement that keeps the newer
        version (so their order does not matter), sent with its claim; all of them and the
        COMMIT go in one batch (a repeat changes nothing, so a claim needs no answer). A
        team's replaces its members under the row's lock, in a transaction of its own."""
        writes = []
        for envelope in envelopes:
            if not service.wants(envelope):
                continue
            data = service.parse(envelope)
            with traced(envelope):
                if isinstance(data, TeamData):
                    async with self.runtime.outbox.transaction() as tx:
                        if await claim(tx, inbox, CONSUMER, envelope.id):
                            await service.put_team(tx.session, data, gone=envelope.action == "deleted")
                    continue
                writes.append((envelope, data, await self._inline_key_results(envelope)))
        if not writes:
            return
        async with self.runtime.outbox.batch_transaction() as batch:
            for envelope, data, extra in writes:
                defer_claim(batch, inbox, CONSUMER, envelope.id)
                batch.defer(*service.event_write(batch.dialect, envelope, data))
                for kr in extra:
                    batch.defer(*service.key_result_write(batch.dialect, kr))

    async def _inline_key_results(self, envelope: Envelope) -> list[KeyResultData]:
        """okr creates the key results written along with an objective (and those of a
        carry-over) without a `key_result.created` each, so we ask for them. Harmless
        once okr emits them: the versions decide. Asked before the transaction opens,
        so no database transaction waits on the bus."""
        if envelope.type != "objective.created" or envelope.subject_id is None:
            return []
        try:
            reply = await self.runtime.bus.request(
                self.runtime.settings.names.query("okr", "objective"),
                {"actor_id": service.ACTOR, "id": envelope.subject_id}, timeout=5)
        except BusReplyError as exc:
            if exc.error.get("status") == 404:
                return []
            raise
        return [KeyResultData.model_validate(kr) for kr in reply.get("key_results") or []]

    # ------------------------------------------------------------------ lifecycle
    def start(self, bus: Bus) -> None:
        """Called once NATS is connected: catch up (rebuilding if needed), then follow."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run(bus))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def ready(self) -> bool:
        return self.consuming

    async def _run(self, bus: Bus) -> None:
        async def follow() -> None:
            await self.prepare(bus)
            names = self.runtime.settings.names
            await bus.consume(source="okr", durable=CONSUMER, handler=self.handle, many=self.handle_many,
                              filter_subjects=[names.event("okr", f"{entity}.*") for entity in sorted(service.ENTITIES)])

        await until_done(follow, log, "read model not following okr yet; retrying", most=5.0, warn=True)
        self.consuming = True
        with contextlib.suppress(Exception):
            await self.prune_inbox()

    async def prepare(self, bus: Bus) -> bool:
        """Rebuild from okr's queries when the stream cannot replay what we lack. True if rebuilt."""
        names = self.runtime.settings.names
        stream = names.stream("okr")
        info = await bus.js.stream_info(stream)
        first_seq = info.state.first_seq
        try:
            consumer: Any = await bus.js.consumer_info(stream, names.durable(CONSUMER))
        except NotFoundError:
            consumer = None
        async with self.runtime.maker() as session:
            state = await session.get(RmState, 1)
        if consumer is None:
            lost = first_seq > 1  # events aged out (or were purged) before we ever read them
        else:
            acked = consumer.ack_floor.stream_seq if consumer.ack_floor else 0
            # A durable that moved on while our database is new, or one left behind the stream's start.
            lost = state is None or acked + 1 < first_seq
        if lost:
            log.info("rebuilding the read model from okr's queries", first_seq=first_seq,
                     durable=consumer is not None)
            await self.rebuild(bus)
        if state is None:
            async with self.runtime.maker() as session, session.begin():
                if await session.get(RmState, 1) is None:
                    session.add(RmState(id=1, bootstrapped_at=datetime.now(UTC),
                                        rebuilt_at=datetime.now(UTC) if lost else None))
        return lost

    async def rebuild(self, bus: Bus | None = None, *, from_scratch: bool = False) -> None:
        """Load okr's current state (`okr.query.*`). `from_scratch` empties the read model
        first; otherwise the snapshot is merged under the usual version rules, which is
        safe while events keep flowing and while another replica rebuilds too (rows are
        taken in id order under FOR UPDATE; a lost race fails, and the caller retries)."""
        bus = bus or self.runtime.bus
        async with self._lock:
            snap = await service.fetch_snapshot(bus, self.runtime.settings.names)
            async with self.runtime.outbox.transaction() as tx:
                if from_scratch:
                    await service.clear(tx.session)
                await service.load_snapshot(tx.session, snap)
                state = await tx.session.get(RmState, 1, with_for_update=True)
                if state is None:
                    tx.session.add(RmState(id=1, bootstrapped_at=datetime.now(UTC), rebuilt_at=datetime.now(UTC)))
                else:
                    state.rebuilt_at = datetime.now(UTC)

    async def prune_inbox(self) -> int:
        async with self.runtime.maker() as session, session.begin():
            result = await session.execute(sa.delete(inbox).where(
                inbox.c.consumer == CONSUMER, inbox.c.handled_at < datetime.now(UTC) - INBOX_KEEP))
            return rowcount(result)

