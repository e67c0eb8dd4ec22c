"""The outbox and the inbox on real MariaDB and a private NATS that we kill -9 in the
middle of the writes: every committed event arrives, and is handled exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import structlog
from boost_bus import Bus, Outbox, inbox_table, outbox_table, traced
from boost_bus.client import Poison
from boost_bus.inbox import defer_claim, handle_once
from boost_contracts.envelope import Envelope
from boost_contracts.events import UserData, make_event
from boost_contracts.tracing import current_trace
from boost_platform import db

from tests.support.nats import PrivateNats

pytestmark = pytest.mark.chaos


@pytest.fixture
async def world(make_settings: Callable[..., Any], tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    settings = make_settings("outbox")
    metadata = sa.MetaData()
    notes = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.String(50)))
    handled = sa.Table("handled", metadata, sa.Column("event_id", sa.String(40), primary_key=True),
                       sa.Column("note_id", sa.Integer))
    out = outbox_table(metadata)
    inbox = inbox_table(metadata)
    url = settings.service_database_url("outboxtest")
    db.ensure_database(url)
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    names = settings.names
    producer_bus = Bus(nats_server.url, names, "producer")
    consumer_bus = Bus(nats_server.url, names, "consumer")
    producer_bus.on_connect(lambda bus: bus.ensure_streams())
    consumer_bus.on_connect(lambda bus: bus.ensure_streams())
    maker = db.sessionmaker(engine)
    outbox = Outbox(maker, out, producer_bus, names, "producer", sweep_seconds=0.3)
    consumer_outbox = Outbox(maker, out, None, names, "consumer")
    applied: list[str] = []

    async def apply(tx: Any, env: Envelope) -> None:
        applied.append(env.id)
        await tx.session.execute(sa.insert(handled).values(event_id=env.id, note_id=env.data["id"]))

    handler = handle_once(consumer_outbox, inbox, "notes-consumer", apply)
    consumer_bus.on_connect(lambda bus: bus.consume(source="okr", durable="notes_consumer", handler=handler))
    await producer_bus.start(wait=10)
    await consumer_bus.start(wait=10)
    outbox.start()
    yield {"outbox": outbox, "maker": maker, "notes": notes, "handled": handled, "nats": nats_server,
           "applied": applied, "handler": handler, "out": out, "inbox": inbox}
    await outbox.stop()
    await producer_bus.close()
    await consumer_bus.close()
    nats_server.kill()
    db.drop_database(url)
    await engine.dispose()


async def write(world: dict[str, Any], n: int) -> int:
    async with world["outbox"].transaction() as tx:
        result = await tx.session.execute(sa.insert(world["notes"]).values(text=f"note {n}"))
        note_id = result.inserted_primary_key[0]
        tx.emit(make_event("okr", "user.created", UserData(id=note_id, email=f"n{n}@x", name=f"n{n}")))
    return int(note_id)


async def test_nats_killed_mid_writes_loses_and_doubles_nothing(world: dict[str, Any]) -> None:
    ids = [await write(world, n) for n in range(40)]
    world["nats"].kill()  # kill -9 in the middle of the writes
    ids += [await write(world, n) for n in range(40, 80)]  # writes keep working: they wait in the outbox
    async with world["maker"]() as s:
        unsent = (await s.execute(sa.select(sa.func.count()).select_from(world["out"]).where(world["out"].c.published_at.is_(None)))).scalar_one()
    assert unsent >= 40
    world["nats"].start()
    ids += [await write(world, n) for n in range(80, 100)]
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        async with world["maker"]() as s:
            got = sorted((await s.execute(sa.select(world["handled"].c.note_id))).scalars())
        if got == sorted(ids) or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert got == sorted(ids)  # every event arrived, once
    assert len(world["applied"]) == len(set(world["applied"])) == 100


async def test_the_committing_task_sends_its_events_and_the_relay_records_them(world: dict[str, Any]) -> None:
    """Right after COMMIT the event is on its way, before the writer answers anyone and
    without waiting for the relay: with the relay stopped it still arrives; the row stays
    unsent (the relay never saw the ack) until a sweep, whose republish JetStream drops."""
    outbox, out = world["outbox"], world["out"]
    await outbox.stop()
    note_id = await write(world, 7)
    for _ in range(200):
        if world["applied"]:
            break
        await asyncio.sleep(0.05)
    assert len(world["applied"]) == 1
    async with world["maker"]() as s:
        assert (await s.execute(sa.select(out.c.published_at))).scalars().all() == [None]
    await asyncio.sleep(0.6)  # older than the sweep's cutoff
    assert await outbox.sweep() == 1
    async with world["maker"]() as s:
        assert None not in (await s.execute(sa.select(out.c.published_at))).scalars().all()
    await asyncio.sleep(0.5)
    async with world["maker"]() as s:
        assert (await s.execute(sa.select(world["handled"].c.note_id))).scalars().all() == [note_id]
    assert len(world["applied"]) == 1


async def test_a_batch_transaction_commits_its_writes_with_their_events_or_nothing(world: dict[str, Any]) -> None:
    """`batch_transaction` (no ORM session): the deferred write, the outbox row and COMMIT go
    in one batch, and the event arrives; a write that fails leaves neither row nor event."""
    outbox, notes = world["outbox"], world["notes"]
    async with outbox.batch_transaction() as tx:
        tx.defer(sa.insert(notes), {"id": 501, "text": "typed"})
        tx.emit(make_event("okr", "user.created", UserData(id=501, email="t@x", name="t")))
    with pytest.raises(RuntimeError):
        async with outbox.batch_transaction() as tx:
            await db.execute_batch(await tx.connection(), [sa.insert(notes).values(id=502, text="lost")])
            tx.emit(make_event("okr", "user.created", UserData(id=502, email="l@x", name="l")))
            raise RuntimeError("the write gave up")
    for _ in range(200):
        if world["applied"]:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    async with world["maker"]() as s:
        assert (await s.execute(sa.select(notes.c.id))).scalars().all() == [501]
        assert (await s.execute(sa.select(world["handled"].c.note_id))).scalars().all() == [501]
        assert (await s.execute(sa.select(sa.func.count()).select_from(world["out"]))).scalar_one() == 1


async def test_a_redelivered_event_changes_nothing(world: dict[str, Any]) -> None:
    note_id = await write(world, 1)
    env = make_event("okr", "user.created", UserData(id=note_id, email="x@x", name="x"))
    await world["handler"](env)
    await world["handler"](env)  # the same id again, as after a redelivery
    assert world["applied"].count(env.id) == 1


async def test_a_consumer_paused_past_its_ack_wait_still_applies_each_event_once(world: dict[str, Any]) -> None:
    """The first delivery stalls longer than ack_wait: JetStream redelivers to the other
    replica of the durable, both finish, and the inbox lets only one apply the event."""
    names = world["outbox"].names
    applied: list[str] = []
    gate = asyncio.Event()

    async def slow_apply(tx: Any, env: Envelope) -> None:
        if not gate.is_set():
            gate.set()
            await asyncio.sleep(2.5)  # paused past the 1 s ack wait
        applied.append(env.id)

    consumer_outbox = Outbox(world["maker"], world["out"], None, names, "slow")
    inbox = world["inbox"]
    once = handle_once(consumer_outbox, inbox, "slow-consumer", slow_apply)
    deliveries: list[str] = []

    async def handler(env: Envelope) -> None:
        deliveries.append(env.id)
        await once(env)

    replicas = [Bus(world["nats"].url, names, f"slow{i}") for i in range(2)]
    for bus in replicas:
        bus.on_connect(lambda b: b.consume(source="okr", durable="slow_consumer", handler=handler, ack_wait=1.0,
                                           batch=1))
        await bus.start(wait=10)
    note = await write(world, 999)
    deadline = asyncio.get_running_loop().time() + 15
    while asyncio.get_running_loop().time() < deadline:
        async with world["maker"]() as s:
            seen = (await s.execute(sa.select(sa.func.count()).select_from(inbox).where(
                inbox.c.consumer == "slow-consumer"))).scalar_one()
        if seen >= 1:
            await asyncio.sleep(3)  # let the stalled first delivery finish too
            break
        await asyncio.sleep(0.1)
    for bus in replicas:
        await bus.close()
    assert note and applied, "nothing was applied"
    assert len(deliveries) > len(set(deliveries)), "the stalled event was never redelivered"
    assert len(applied) == len(set(applied)), f"an event was applied twice: {applied}"


async def test_events_fetched_together_commit_together_and_one_that_fails_is_handled_alone(
        world: dict[str, Any]) -> None:
    """A consumer with a `many` handler gets the events of one fetch in one call (one
    transaction for all); when that call fails, each event goes through the single handler
    on its own: the good ones are applied once, the one that can never be handled is
    terminated (not redelivered), and nothing waits for an ack timeout."""
    names, inbox, handled = world["outbox"].names, world["inbox"], world["handled"]
    notes = [await write(world, n) for n in range(12)]
    bad = notes[5]
    consumer_outbox = Outbox(world["maker"], world["out"], None, names, "batched")
    calls: list[int] = []
    alone: list[int] = []

    def defer(tx: Any, env: Envelope) -> None:
        if env.data["id"] == bad:
            raise Poison("this one can never be handled")
        defer_claim(tx, inbox, "batched", env.id)
        tx.defer(sa.insert(handled).prefix_with("IGNORE"), {"event_id": f"b{env.data['id']}", "note_id": env.data["id"]})

    async def many(envs: list[Envelope]) -> None:
        calls.append(len(envs))
        async with consumer_outbox.batch_transaction() as tx:
            for env in envs:
                defer(tx, env)

    async def one(env: Envelope) -> None:
        alone.append(env.data["id"])
        async with consumer_outbox.batch_transaction() as tx:
            defer(tx, env)

    bus = Bus(world["nats"].url, names, "batched")
    bus.on_connect(lambda b: b.consume(source="okr", durable="batched_consumer", handler=one, many=many,
                                       ack_wait=30))
    await bus.start(wait=10)
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            async with world["maker"]() as s:
                got = sorted((await s.execute(sa.select(handled.c.note_id).where(
                    handled.c.event_id.like("b%")))).scalars())
            if len(got) == len(notes) - 1:
                break
            await asyncio.sleep(0.1)
        info = await bus.js.consumer_info(names.stream("okr"), names.durable("batched_consumer"))
    finally:
        await bus.close()
    assert got == sorted(n for n in notes if n != bad)
    assert calls and calls[0] == len(notes), f"the events were not fetched and handled together: {calls}"
    assert sorted(alone) == sorted(notes), "after the failed call each event was not handled alone"
    assert info.num_ack_pending == 0 and info.num_pending == 0  # all acked or terminated, none waiting
    assert info.num_redelivered == 0


async def test_events_handled_together_keep_each_ones_trace(world: dict[str, Any]) -> None:
    """A batch of events from several requests: the batch's log lines name every one's
    trace, and what the handler does for one event alone (a request, a log line) carries
    that event's trace, as it would had the event come alone."""
    names = world["outbox"].names
    traces = [f"{n:032x}" for n in range(1, 6)]
    for n, trace in enumerate(traces):
        async with world["outbox"].transaction() as tx:
            tx.emit(make_event("okr", "user.created", UserData(id=100 + n, email=f"t{n}@x", name=f"t{n}"),
                               trace_id=trace))
    batch_traces: list[list[str]] = []
    seen: dict[str, str | None] = {}
    done = asyncio.Event()

    async def many(envs: list[Envelope]) -> None:
        batch_traces.append(structlog.contextvars.get_contextvars().get("trace_ids", []))
        for env in envs:
            with traced(env):
                seen[env.id] = current_trace.get()
                assert structlog.contextvars.get_contextvars()["trace_id"] == env.trace_id
            assert current_trace.get() is None  # and it is left behind after
        if len(seen) == len(traces):
            done.set()

    async def one(env: Envelope) -> None:
        seen[env.id] = current_trace.get()
        if len(seen) == len(traces):
            done.set()

    bus = Bus(world["nats"].url, names, "traced")
    bus.on_connect(lambda b: b.consume(source="okr", durable="traced_consumer", handler=one, many=many))
    await bus.start(wait=10)
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await bus.close()
    assert sorted(seen.values()) == traces  # each event's work carried its own trace
    assert batch_traces and sorted(t for b in batch_traces for t in b) == traces
