"""`execute_batch`: several statements in one round trip on MariaDB (one by one on SQLite)
give back exactly what `execute` would, values of every kind survive the trip, and an
error stops the batch where it happened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from boost_platform import db

metadata = sa.MetaData()
things = sa.Table(
    "things", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("facts", sa.JSON, nullable=False),
    sa.Column("at", db.UTCDateTime(), nullable=True),
    sa.Column("blob", sa.LargeBinary().with_variant(sa.dialects.mysql.LONGBLOB(), "mysql"), nullable=True),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
)
INSERT = sa.insert(things)  # statements built once, their values given with each batch
BY_ID = sa.select(things.c.id, things.c.name).where(things.c.id == sa.bindparam("wanted"))
# Quotes, percent signs (the driver's placeholder character), backslashes, a statement
# separator and Hangul: none of it may change a value or end a statement early.
AWKWARD = "it's 100% \"done\"; DROP TABLE things; -- \\ 진행 %s %(x)s"


@pytest.fixture(params=["mariadb", "sqlite"])
async def engine(request: pytest.FixtureRequest, make_settings: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Any]:
    url = (make_settings("batches").service_database_url("batchtest") if request.param == "mariadb"
           else f"sqlite+aiosqlite:///{tmp_path / 'batch.db'}")
    db.ensure_database(url)
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()
    db.drop_database(url)


async def test_writes_and_reads_in_one_batch_come_back_as_execute_gives_them(engine: Any) -> None:
    async with engine.begin() as conn:  # compiled on first use, reused after: no values left behind
        assert await db.execute_batch(conn, [(BY_ID, {"wanted": 7})]) == [[]]
    at = datetime(2027, 1, 4, 9, 30, 15, 123456, tzinfo=UTC)
    async with engine.begin() as conn:
        results = await db.execute_batch(conn, [
            sa.insert(things).values(id=1, name=AWKWARD, facts={"title": AWKWARD, "n": [1, 2.5, None]}, at=at,
                                     blob=b"\x00\x01'\\%\xff", done=True),
            (INSERT, [{"id": 2, "name": "two", "facts": {}, "done": False, "blob": b""},
                      {"id": 3, "name": "three", "facts": [], "done": False, "blob": bytes(range(256))}]),
            sa.update(things).where(things.c.id.in_([2, 3])).values(name=things.c.name + "!"),
            sa.select(things).where(things.c.id == 1),
            sa.select(things.c.id, things.c.name.label("label")).order_by(things.c.id),
            (BY_ID, {"wanted": 2}),
        ])
    assert results[:3] == [[], [], []]
    assert results[5] == [{"id": 2, "name": "two!"}]
    [one] = results[3]
    assert one == {"id": 1, "name": AWKWARD, "facts": {"title": AWKWARD, "n": [1, 2.5, None]}, "at": at,
                   "blob": b"\x00\x01'\\%\xff", "done": True}
    assert results[4] == [{"id": 1, "label": AWKWARD}, {"id": 2, "label": "two!"}, {"id": 3, "label": "three!"}]
    async with engine.connect() as conn:  # and it committed, as execute would have
        assert (await conn.execute(sa.select(sa.func.count()).select_from(things))).scalar_one() == 3
        blobs = (await conn.execute(sa.select(things.c.blob).where(things.c.id > 1).order_by(things.c.id))).scalars()
        assert list(blobs) == [b"", bytes(range(256))]  # every byte value, and none at all


async def test_an_error_stops_the_batch_there_and_raises_what_execute_would(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.insert(things).values(id=1, name="first", facts={}, done=False))
    with pytest.raises(sa.exc.IntegrityError):
        async with engine.begin() as conn:
            await db.execute_batch(conn, [
                sa.update(things).where(things.c.id == 1).values(name="changed"),
                sa.insert(things).values(id=1, name="again", facts={}, done=False),  # duplicate key
                sa.insert(things).values(id=2, name="after", facts={}, done=False),
            ])
    async with engine.connect() as conn:  # rolled back: nothing before or after the error stayed
        rows = (await conn.execute(sa.select(things.c.id, things.c.name))).all()
    assert [tuple(r) for r in rows] == [(1, "first")]


async def _rename_one_at_once(other: Any) -> None:
    """Another connection renames thing 1 to "free"; a lock left on it fails this in 1 s."""
    async with other.connect() as conn:
        await conn.execute(sa.text("SET SESSION innodb_lock_wait_timeout = 1"))
        await conn.execute(sa.update(things).where(things.c.id == 1).values(name="free"))
        await conn.commit()


async def _ends_sent(conn: Any) -> dict[str, int]:
    """The COMMIT and ROLLBACK statements this connection has sent so far."""
    rows = await conn.execute(sa.text("SHOW SESSION STATUS WHERE Variable_name IN ('Com_commit', 'Com_rollback')"))
    return {name.lower(): int(value) for name, value in rows}


async def _ends_sent_in_batch(pooled: Any) -> dict[str, int]:
    """`_ends_sent` on a pooled connection, with its id, in a batch ending in its own COMMIT
    (counted by the next call, not this one)."""
    status = sa.table("SESSION_STATUS", sa.column("VARIABLE_NAME"), sa.column("VARIABLE_VALUE"),
                      schema="information_schema")
    rows, (row,), _ = await db.execute_batch(pooled, [
        sa.select(status).where(status.c.VARIABLE_NAME.in_(["COM_COMMIT", "COM_ROLLBACK"])),
        sa.select(sa.func.connection_id().label("id")), db.COMMIT], commits=True)
    return {**{r["VARIABLE_NAME"].lower(): int(r["VARIABLE_VALUE"]) for r in rows}, "id": int(row["id"])}


async def test_a_settled_transaction_ends_without_another_round_trip(make_settings: Callable[..., Any]) -> None:
    """After a COMMIT nothing is left to roll back when the connection goes back to the pool,
    and after a batch that COMMITted itself SQLAlchemy's COMMIT has nothing to do: neither is
    sent. A transaction that did not commit is still rolled back, its locks released."""
    url = make_settings("batches").service_database_url("settledtest")
    db.ensure_database(url)
    engine = db.create_engine(url, pool_size=1)  # one connection: every step below uses it
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        async with engine.connect() as conn:
            before = await _ends_sent(conn)  # closing this one rolls back: it read, never committed
        maker = db.sessionmaker(engine)
        async with maker() as session, session.begin():
            await session.execute(sa.insert(things).values(id=1, name="one", facts={}))
        async with maker() as session, session.begin():
            await db.execute_batch(await session.connection(), [
                sa.insert(things).values(id=2, name="two", facts={}, done=False), sa.text("COMMIT")], commits=True)
        async with engine.connect() as conn:
            after = await _ends_sent(conn)
            assert (await conn.execute(sa.select(things.c.id).order_by(things.c.id))).scalars().all() == [1, 2]
        assert after == {"com_commit": before["com_commit"] + 2, "com_rollback": before["com_rollback"] + 1}

        # Locked and not committed: the pool's ROLLBACK still runs and frees the row.
        async with engine.connect() as conn:
            await db.execute_batch(conn, [sa.select(things.c.id).where(things.c.id == 1).with_for_update()])
        other = db.create_engine(url)
        try:
            await _rename_one_at_once(other)
        finally:
            await other.dispose()
    finally:
        await engine.dispose()
        db.drop_database(url)


async def test_a_pooled_connection_commits_in_its_batch_and_frees_what_it_left(make_settings: Callable[..., Any]) -> None:
    """`pooled_connection`: batches without an ORM session. One that COMMITs in its batch
    costs no other end; one that stopped midway (an error in the caller) is rolled back,
    its lock freed; one whose server connection was killed is thrown out of the pool, the
    error saying so (a 503 for the caller), and the next one works."""
    url = make_settings("batches").service_database_url("pooledtest")
    db.ensure_database(url)
    engine = db.create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        async with db.pooled_connection(engine) as pooled:
            before = await _ends_sent_in_batch(pooled)
        async with db.pooled_connection(engine) as pooled:
            await db.execute_batch(pooled, [sa.insert(things).values(id=1, name="one", facts={}, done=False),
                                            sa.text("COMMIT")], commits=True)
        async with db.pooled_connection(engine) as pooled:
            after = await _ends_sent_in_batch(pooled)
        assert after["id"] == before["id"]  # one connection kept for all three, no pool in between
        assert (after["com_commit"], after["com_rollback"]) == (before["com_commit"] + 2, before["com_rollback"])
        async with engine.connect() as conn:
            assert (await conn.execute(sa.select(things.c.name))).scalars().all() == ["one"]

        with pytest.raises(RuntimeError):
            async with db.pooled_connection(engine) as pooled:
                await db.execute_batch(pooled, [sa.select(things.c.id).where(things.c.id == 1).with_for_update(),
                                                sa.update(things).where(things.c.id == 1).values(name="half")])
                raise RuntimeError("the caller gave up")
        other = db.create_engine(url)
        try:
            await _rename_one_at_once(other)
            with pytest.raises(sa.exc.OperationalError) as lost:
                async with db.pooled_connection(engine) as pooled:
                    (row,) = (await db.execute_batch(pooled, [sa.select(sa.func.connection_id().label("id"))]))[0]
                    async with other.connect() as conn:
                        await conn.execute(sa.text(f"KILL {int(row['id'])}"))
                    await db.execute_batch(pooled, [sa.select(things.c.id)])
            assert lost.value.connection_invalidated
        finally:
            await other.dispose()
        async with db.pooled_connection(engine) as pooled:
            assert (await db.execute_batch(pooled, [sa.select(things.c.name)]))[0] == [{"name": "free"}]
    finally:
        await engine.dispose()
        db.drop_database(url)


versioned = sa.Table(
    "versioned", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)


async def test_an_upsert_keeps_the_newer_version_whatever_order_the_writes_come_in(engine: Any) -> None:
    """`upsert_if_newer`, batched as a consumer sends it: an older write after a newer one
    changes nothing, an equal one (a redelivery) changes nothing new, a newer one lands."""
    upsert = db.upsert_if_newer(versioned, engine.dialect.name)

    async def state() -> list[tuple[Any, ...]]:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(sa.select(versioned).order_by(versioned.c.id))]

    async with engine.begin() as conn:
        await db.execute_batch(conn, [(upsert, [{"id": 1, "title": "v3", "done": True, "version": 3},
                                                {"id": 2, "title": "v1", "done": False, "version": 1}])])
    assert await state() == [(1, "v3", True, 3), (2, "v1", False, 1)]
    async with engine.begin() as conn:
        await db.execute_batch(conn, [(upsert, [{"id": 1, "title": "v2 late", "done": False, "version": 2},
                                                {"id": 2, "title": "v1", "done": False, "version": 1},
                                                {"id": 2, "title": "v4", "done": True, "version": 4}])])
    assert await state() == [(1, "v3", True, 3), (2, "v4", True, 4)]


async def test_a_pooled_connection_is_kept_between_batches_only_while_fresh_and_never_past_dispose(
        make_settings: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's checkout and checkin cost more than a batch's statement, so a connection
    whose batch COMMITted serves the next batch straight away; one that did not commit goes
    back to the pool to be rolled back; one left unused longer than a connection may sit
    without a ping goes back to the pool by itself (which pings it when it is next taken);
    disposing of the engine closes the kept ones on the server."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.2)  # shorter than its 1 s, for this test
    url = make_settings("batches").service_database_url("kepttest")
    db.ensure_database(url)
    engine = db.create_engine(url)
    watcher = db.create_engine(url)
    checkouts: list[int] = []
    sa.event.listen(engine.sync_engine, "checkout", lambda *_: checkouts.append(1))

    async def connection_id(commit: bool = True) -> int:
        async with db.pooled_connection(engine) as pooled:
            (row,), *_ = await db.execute_batch(pooled, [sa.select(sa.func.connection_id().label("id")),
                                                         *([db.COMMIT] if commit else [])], commits=commit)
            return int(row["id"])

    try:
        first = await connection_id()
        assert await connection_id() == first and await connection_id() == first
        assert len(checkouts) == 1  # taken from the pool once, kept since
        assert engine.sync_engine.pool.checkedout() == 1  # the kept one

        assert await connection_id(commit=False) == first  # its transaction is left open…
        assert engine.sync_engine.pool.checkedout() == 0  # …so it went back, to be rolled back

        kept = await connection_id()
        await asyncio.sleep(0.5)  # longer than a connection is used without a ping, and its sweep
        assert engine.sync_engine.pool.checkedout() == 0  # swept back to the pool by itself
        pinged: list[int] = []
        ping = engine.sync_engine.dialect.do_ping
        monkeypatch.setattr(engine.sync_engine.dialect, "do_ping", lambda conn: pinged.append(1) or ping(conn))
        assert await connection_id() == kept  # back through the pool, and out again…
        assert pinged == [1] and len(checkouts) == 3  # …pinged on the way: it had sat unused

        assert await connection_id() == kept
        await engine.dispose()
        async with watcher.connect() as conn:
            alive = (await conn.execute(sa.text("SELECT id FROM information_schema.processlist"))).scalars().all()
        assert kept not in alive
    finally:
        await engine.dispose()
        await watcher.dispose()
        db.drop_database(url)
