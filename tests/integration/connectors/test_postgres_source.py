"""A `sql` source on PostgreSQL (the machine's server at 127.0.0.1:5432, as MariaDB is at
3306): a SELECT-only role's numbers become a key result's check-ins, and the read-only
transaction stops a write the parser never saw, as on MariaDB and SQLite."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from conftest import IN_CI
from tests.support.waiting import until

from .conftest import Stack

SERVER = os.environ.get("BOOST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "Pg-r3ad-0nly-7c1e"


def _reachable(url: str) -> bool:
    u = sa.make_url(url)
    try:
        with socket.create_connection((u.host or "127.0.0.1", u.port or 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def postgres_source(namespace: str) -> Iterator[tuple[str, str]]:
    """A database of this run with a `deals` table, and a role that may only SELECT it."""
    if not _reachable(SERVER):
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {SERVER} and CI=true", pytrace=False)
        pytest.skip(f"PostgreSQL is not reachable at {SERVER}")
    db, role = f"{namespace}_pg", f"{namespace}_ro"
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
        conn.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{PASSWORD}'")
    owner = sa.create_engine(sa.make_url(SERVER).set(database=db))
    with owner.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE deals (amount numeric, won boolean)")
        conn.exec_driver_sql("INSERT INTO deals VALUES (100.25, true), (20.25, true), (999, false)")
        conn.exec_driver_sql(f'GRANT SELECT ON deals TO "{role}"')
    owner.dispose()
    host = sa.make_url(SERVER)
    try:
        yield f"postgresql+psycopg://{role}@{host.host}:{host.port or 5432}/{db}", db
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


async def test_a_postgres_fed_key_result_checks_itself_in(stack: Stack, postgres_source: tuple[str, str]) -> None:
    url, _ = postgres_source
    r = await stack.call("admin", "POST", "/api/connectors/sources",
                         json={"name": "Finance PG", "kind": "sql", "config": {"url": url}, "secret": PASSWORD})
    assert r.status_code == 201, r.text
    source_id = int(r.json()["id"])
    tested = await stack.call("admin", "POST", f"/api/connectors/sources/{source_id}/test",
                              json={"query": "SELECT sum(amount) FROM deals WHERE won"})
    assert tested.json()["ok"] is True and tested.json()["value"] == 120.5, tested.text  # seen before it is saved
    kr = await stack.new_kr(owner="lead", title="Revenue won (PostgreSQL)")
    r = await stack.call("lead", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                         json={"source_id": source_id, "query": "SELECT sum(amount) FROM deals WHERE won", "every_minutes": 5})
    assert r.status_code == 201, r.text
    await stack.source_bound(kr["id"])

    async def recorded() -> bool:
        return bool((await stack.kr(kr["id"]))["current"] == 120.5)

    await until(recorded, 15, what="the PostgreSQL reading as a check-in")
    last = (await stack.check_ins(kr["id"]))[-1]
    assert last["source"]["kind"] == "sql" and last["value"] == 120.5


def test_the_read_only_transaction_stops_a_write_on_postgres(postgres_source: tuple[str, str]) -> None:
    """With a role that may write (the server's superuser), what runs inside the read-only
    transaction still cannot change anything."""
    from connectors_service.kinds.base import FetchError
    from connectors_service.kinds.sql import _run

    _, db = postgres_source
    engine = sa.create_engine(sa.make_url(SERVER).set(database=db))
    try:
        with pytest.raises(FetchError, match=r"(?i)read-only"):
            _run(engine, "postgresql", "UPDATE deals SET amount = 0")
        with engine.connect() as conn:
            assert float(conn.exec_driver_sql("SELECT sum(amount) FROM deals").scalar()) == 1119.5
        assert _run(engine, "postgresql", "SELECT count(*) FROM deals") == 3.0
    finally:
        engine.dispose()


