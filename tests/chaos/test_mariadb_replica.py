"""okr on MariaDB with a replica, for real: two private `mariadbd` (Debian's), the second
replicating from the first's binary log. (The machine's shared MariaDB runs without a
binary log, so it cannot be a primary; the test starts its own pair and leaves it alone.)

Search, the CSV export and an objective's history read from BOOST_OKR_READ_DATABASE_URL;
what must read its own writes (the objective just saved) never does. With replication
paused, search does not see a new objective yet (it reads the replica) while the objective
itself answers from the primary. Then the replica dies (kill -9): those same paths answer
from the primary, with what the primary has, and never a 500."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.mariadb import (
    PRIMARY_ARGS,
    REPLICA_ARGS,
    PrivateMariaDB,
    mariadb_binaries,
    replica_status,
    replicate,
)
from tests.support.stack import in_process, login

pytestmark = pytest.mark.chaos

CYCLE = "2027-Q1"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[PrivateMariaDB, PrivateMariaDB]]:
    if mariadb_binaries() is None:
        pytest.fail("mariadbd is not installed (apt-get install mariadb-server)", pytrace=False)
    primary = PrivateMariaDB(tmp_path / "primary", PRIMARY_ARGS)
    replica = PrivateMariaDB(tmp_path / "replica", REPLICA_ARGS)
    try:
        primary.start()
        replica.start()
        replicate(primary, replica)
        yield primary, replica
    finally:
        replica.stop()
        primary.stop()


def replica_sql(replica: PrivateMariaDB, statement: str) -> None:
    engine = sa.create_engine(replica.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.exec_driver_sql(statement)
    finally:
        engine.dispose()


async def titles_found(client: httpx.AsyncClient, auth: dict[str, str], q: str) -> set[str]:
    r = await client.get("/api/okr/search", params={"q": q}, headers=auth)
    assert r.status_code == 200, r.text
    return {o["title"] for o in r.json()["objectives"]}


async def test_lag_tolerant_reads_use_the_replica_and_fall_back_to_the_primary_when_it_dies(
        pair: tuple[PrivateMariaDB, PrivateMariaDB], make_settings: Callable[..., Any]) -> None:
    primary, replica = pair
    settings = make_settings("replica", database_url=primary.url, now="2027-02-10T01:00:00+00:00")
    settings = settings.model_copy(update={"okr_read_database_url": replica.url + settings.names.schema("okr")})
    async with in_process(settings) as stack:
        client = stack.okr.client
        auth = await login(client, "admin@boost.example")
        team = (await client.get("/api/okr/teams", headers=auth)).json()[0]["id"]

        async def create(title: str) -> dict[str, Any]:
            r = await client.post("/api/okr/objectives", headers=auth, json={
                "cycle": CYCLE, "team_id": team, "title": title,
                "key_results": [{"title": f"{title}: measure", "start": 0, "target": 10}]})
            assert r.status_code == 201, r.text
            return r.json()  # type: ignore[no-any-return]

        # Replicated: what okr wrote to the primary is found by search, on the replica.
        alpha = await create("Alpha launch")
        started = time.monotonic()
        while "Alpha launch" not in await titles_found(client, auth, "launch"):
            assert time.monotonic() - started < 15, {k: v for k, v in replica_status(replica).items() if "Error" in k or "Running" in k or "Pos" in k}
            await asyncio.sleep(0.05)
        lag = time.monotonic() - started

        # Replication paused: search reads the replica (no Beta yet); the objective just saved
        # reads its own write on the primary; its history is asked of the primary too.
        await asyncio.to_thread(replica_sql, replica, "STOP SLAVE SQL_THREAD")
        beta = await create("Beta launch")
        assert await titles_found(client, auth, "launch") == {"Alpha launch"}
        r = await client.get(f"/api/okr/objectives/{beta['id']}", headers=auth)
        assert r.status_code == 200 and r.json()["title"] == "Beta launch"
        r = await client.get(f"/api/okr/objectives/{beta['id']}/history", headers=auth)
        assert r.status_code == 200 and r.json(), r.text
        r = await client.get("/api/okr/export.csv", params={"cycle": CYCLE}, headers=auth)
        assert r.status_code == 200 and "Alpha launch" in r.text and "Beta launch" not in r.text
        await asyncio.to_thread(replica_sql, replica, "START SLAVE SQL_THREAD")
        started = time.monotonic()
        while "Beta launch" not in await titles_found(client, auth, "launch"):
            assert time.monotonic() - started < 15, {k: v for k, v in replica_status(replica).items() if "Error" in k or "Running" in k or "Pos" in k}
            await asyncio.sleep(0.05)
        caught_up = time.monotonic() - started

        # The replica dies: the same reads answer from the primary, with the primary's rows.
        await asyncio.to_thread(replica.kill9)
        gamma = await create("Gamma launch")
        statuses = []
        assert await titles_found(client, auth, "launch") == {"Alpha launch", "Beta launch", "Gamma launch"}
        for path, params in (("/api/okr/search", {"q": "Gamma"}), ("/api/okr/export.csv", {"cycle": CYCLE}),
                             (f"/api/okr/objectives/{gamma['id']}/history", {}),
                             (f"/api/okr/objectives/{alpha['id']}/history", {})):
            r = await client.get(path, params=params, headers=auth)
            statuses.append(r.status_code)
            assert r.status_code == 200, (path, r.status_code, r.text)
        assert "Gamma launch" in (await client.get("/api/okr/export.csv", params={"cycle": CYCLE}, headers=auth)).text
    print(f"\nMariaDB replica: first row visible on the replica after {lag * 1000:.0f} ms; caught up "
          f"{caught_up * 1000:.0f} ms after replication resumed; replica killed: search, export and history "
          f"answered {statuses} from the primary")
