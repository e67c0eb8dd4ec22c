"""`ReadReplica`: lag-tolerant reads go to the replica when one is configured, to the
primary when there is none, when the replica fails (then it rests for `retry_after`), and
when the replica answers something that may only be lag. (Two SQLite files stand in for
the two servers here; tests/chaos/test_mariadb_replica.py runs two real `mariadbd`.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from boost_platform import db
from boost_platform.metrics import READ_REPLICA_FALLBACKS
from boost_platform.replica import ReadReplica
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def make_db(path: Path, rows: list[str]) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE notes (body TEXT)"))
        for body in rows:
            await conn.execute(sa.text("INSERT INTO notes (body) VALUES (:b)"), {"b": body})
    await engine.dispose()
    return url


@pytest.fixture
async def primary(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = db.create_engine(await make_db(tmp_path / "primary.db", ["old", "new"]))
    yield db.sessionmaker(engine)
    await engine.dispose()


async def notes(session: AsyncSession) -> list[str]:
    return list((await session.execute(sa.text("SELECT body FROM notes ORDER BY body"))).scalars())


def fallbacks() -> float:
    return READ_REPLICA_FALLBACKS.labels("test")._value.get()


async def test_without_a_replica_reads_go_to_the_primary(primary: async_sessionmaker[AsyncSession]) -> None:
    reads = ReadReplica("test", primary, None)
    assert await reads.read(notes) == ["new", "old"]
    assert not reads.in_use
    await reads.close()


async def test_with_a_replica_reads_go_to_it(primary: async_sessionmaker[AsyncSession], tmp_path: Path) -> None:
    reads = ReadReplica("test", primary, await make_db(tmp_path / "replica.db", ["old"]))  # behind by one row
    assert await reads.read(notes) == ["old"]
    await reads.close()


async def test_a_failing_replica_is_answered_by_the_primary_and_rests(
        primary: async_sessionmaker[AsyncSession], tmp_path: Path) -> None:
    before = fallbacks()
    reads = ReadReplica("test", primary, f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'replica.db'}", retry_after=0.2)
    assert await reads.read(notes) == ["new", "old"]
    assert fallbacks() == before + 1
    assert not reads.in_use  # resting: the next reads go straight to the primary
    assert await reads.read(notes) == ["new", "old"]
    assert fallbacks() == before + 1
    await asyncio.sleep(0.25)
    assert reads.in_use  # tried again after the rest (and fails again)
    assert await reads.read(notes) == ["new", "old"]
    assert fallbacks() == before + 2
    await reads.close()


async def test_what_may_be_lag_is_asked_of_the_primary(primary: async_sessionmaker[AsyncSession], tmp_path: Path) -> None:
    reads = ReadReplica("test", primary, await make_db(tmp_path / "replica.db", ["old"]))

    async def the_new_note(session: AsyncSession) -> str:
        found = [n for n in await notes(session) if n == "new"]
        if not found:
            raise LookupError("not there")
        return found[0]

    assert await reads.read(the_new_note, lag_errors=(LookupError,)) == "new"
    with pytest.raises(LookupError):
        await reads.read(the_new_note)  # not declared as lag: the replica's answer stands
    await reads.close()
