"""A key result bound to a SQL source (SQLite and the test MariaDB) gets its numbers by
itself: changed values become check-ins that say where they came from, the same value only
marks the source as looked at, a failing source records nothing and recovers by itself.
Who may connect a key result: its owner, a lead of its team, an admin."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.waiting import until

from .conftest import Stack

PASSWORD = "Rd-0nly-pw-9f8e7d6c5b4a"


def set_signups(path: Path, *values: float) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS signups (n REAL)")
        db.execute("DELETE FROM signups")
        db.executemany("INSERT INTO signups VALUES (?)", [(v,) for v in values])


async def sql_source(stack: Stack, url: str, secret: str | None = None, name: str = "Product DB") -> int:
    r = await stack.call("admin", "POST", "/api/connectors/sources",
                         json={"name": name, "kind": "sql", "config": {"url": url}, "secret": secret})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def bind(stack: Stack, who: str, kr_id: int, source_id: int, query: str | None, **extra: Any) -> Any:
    return await stack.call(who, "PUT", f"/api/connectors/key-results/{kr_id}/binding",
                            json={"source_id": source_id, "query": query, "every_minutes": 5, **extra})


async def run_now(stack: Stack, who: str, kr_id: int) -> dict[str, Any]:
    r = await stack.call(who, "POST", f"/api/connectors/key-results/{kr_id}/binding/run")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_a_sqlite_fed_key_result_checks_itself_in(stack: Stack, tmp_path: Path) -> None:
    db = tmp_path / "product.db"
    set_signups(db, 30, 7)
    kr = await stack.new_kr(owner="member")
    source_id = await sql_source(stack, f"sqlite:///{db}")
    r = await bind(stack, "member", kr["id"], source_id, "SELECT sum(n) FROM signups")
    assert r.status_code == 201, r.text
    binding = r.json()
    assert binding["state"] == "ok" and binding["kind"] == "sql" and binding["every_minutes"] == 5
    def created() -> list[Any]:
        return [e for e in stack.events if e["type"] == "binding.created" and e["subject_id"] == binding["id"]]

    await until(created, what="the binding.created event")  # it travels the bus after the answer
    assert "query" not in created()[0]["data"]

    # The schedule runs it at once (a new binding is due), as service:connectors.
    async def recorded() -> bool:
        return (await stack.kr(kr["id"]))["current"] == 37.0
    await until(recorded, 15)
    view = await stack.kr(kr["id"])
    assert view["source"]["kind"] == "sql" and view["source"]["state"] == "ok"
    assert view["source"]["last_run_at"] is not None and view["stale"] is False
    history = await stack.check_ins(kr["id"])
    assert [c["value"] for c in history] == [37.0]
    assert history[0]["source"]["kind"] == "sql" and history[0]["source"]["binding_id"] == binding["id"]
    assert history[0]["author_id"] == stack.ids["member"]["id"]

    # The same value again: no second check-in, but the source was looked at.
    before = view["source"]["last_run_at"]
    assert await run_now(stack, "member", kr["id"]) == {"value": 37.0, "checked_in": False, "error": None}
    after = await stack.kr(kr["id"])
    assert len(await stack.check_ins(kr["id"])) == 1 and after["source"]["last_run_at"] > before

    # A new value: a new check-in.
    set_signups(db, 50)
    assert await run_now(stack, "lead", kr["id"]) == {"value": 50.0, "checked_in": True, "error": None}
    assert (await stack.kr(kr["id"]))["current"] == 50.0
    assert [c["value"] for c in await stack.check_ins(kr["id"])] == [37.0, 50.0]

    # People still check in by hand on a data-fed key result (confidence, a note).
    by_hand = await stack.okr.call("member", "POST", f"/api/okr/key-results/{kr['id']}/check-ins",
                                   json={"value": 50, "confidence": 8, "note": "on track"})
    assert by_hand.status_code == 201 and by_hand.json()["source"] is None


async def test_a_failing_source_records_nothing_and_recovers_by_itself(stack: Stack, tmp_path: Path) -> None:
    db = tmp_path / "flaky.db"
    set_signups(db, 5)
    kr = await stack.new_kr(owner="member")
    source_id = await sql_source(stack, f"sqlite:///{db}", name="Flaky DB")
    binding = (await bind(stack, "member", kr["id"], source_id, "SELECT sum(n) FROM signups")).json()
    await stack.source_bound(kr["id"])
    await until(lambda: _current_is(stack, kr["id"], 5.0), 15)

    db.unlink()  # the table is gone: the query fails
    out = await run_now(stack, "member", kr["id"])
    assert out["value"] is None and out["checked_in"] is False and "Flaky DB" in out["error"]
    got = (await stack.call("member", "GET", f"/api/connectors/key-results/{kr['id']}/binding")).json()
    assert got["state"] == "failing" and got["failing_since"] and "Flaky DB" in got["error"]
    await run_now(stack, "member", kr["id"])  # still failing: told once per spell
    failing = [e for e in stack.events if e["type"] == "binding.failing" and e["subject_id"] == binding["id"]]
    assert len(failing) == 1 and failing[0]["data"]["owner_id"] == stack.ids["member"]["id"]
    assert (await stack.kr(kr["id"]))["current"] == 5.0 and len(await stack.check_ins(kr["id"])) == 1

    async def okr_knows_failing() -> bool:
        return (await stack.kr(kr["id"]))["source"]["state"] == "failing"
    await until(okr_knows_failing, 10)
    # Open pages learn it live: okr's key_result.updated says the source changed.
    assert any(e["subject_id"] == kr["id"] and e["changes"] == ["source"] and e["data"]["source"]["state"] == "failing"
               for e in stack.okr_events)

    set_signups(db, 9)
    assert (await run_now(stack, "member", kr["id"]))["value"] == 9.0
    got = (await stack.call("member", "GET", f"/api/connectors/key-results/{kr['id']}/binding")).json()
    assert got["state"] == "ok" and got["error"] is None and got["failing_since"] is None
    await until(lambda: _has_event(stack, "binding.recovered", binding["id"]), 5)
    assert (await stack.kr(kr["id"]))["source"]["state"] == "ok"


async def test_who_may_connect_a_key_result(stack: Stack, tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    set_signups(db, 1)
    source_id = await sql_source(stack, f"sqlite:///{db}", name="Perm DB")
    kr = await stack.new_kr(owner="member", team="product")
    # `other` is in Engineering, neither the owner nor a lead of Product.
    r = await bind(stack, "other", kr["id"], source_id, "SELECT 1")
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert (await stack.call("other", "POST", f"/api/connectors/key-results/{kr['id']}/binding/run")).status_code in (403, 404)
    assert (await stack.call("other", "POST", f"/api/connectors/sources/{source_id}/test",
                             json={"query": "SELECT 1", "key_result_id": kr["id"]})).status_code == 403
    # The owner, the team's lead and an admin may.
    assert (await bind(stack, "member", kr["id"], source_id, "SELECT 1")).status_code == 201
    assert (await bind(stack, "lead", kr["id"], source_id, "SELECT 2")).status_code == 200
    assert (await bind(stack, "admin", kr["id"], source_id, "SELECT 3")).status_code == 200
    tried = await stack.call("member", "POST", f"/api/connectors/sources/{source_id}/test",
                             json={"query": "SELECT 4", "key_result_id": kr["id"]})
    assert tried.json()["value"] == 4.0
    assert (await stack.call("other", "DELETE", f"/api/connectors/key-results/{kr['id']}/binding")).status_code == 403
    assert (await stack.call("member", "DELETE", f"/api/connectors/key-results/{kr['id']}/binding")).status_code == 204

    async def forgotten() -> bool:
        return (await stack.kr(kr["id"]))["source"] is None
    await until(forgotten, 10)


@pytest.mark.parametrize("query", [
    "UPDATE signups SET n = 0", "DELETE FROM signups", "DROP TABLE signups", "SELECT 1; SELECT 2",
    "SELECT 1; DROP TABLE signups", "SELECT n FROM signups INTO OUTFILE '/tmp/x'", "SELECT n INTO @x FROM signups",
    "SELECT n FROM signups FOR UPDATE", "INSERT INTO signups VALUES (1)",
])
async def test_sql_that_is_not_one_select_is_refused_before_it_is_sent(stack: Stack, tmp_path: Path, query: str) -> None:
    db = tmp_path / "guard.db"
    set_signups(db, 3)
    source_id = await sql_source(stack, f"sqlite:///{db}", name="Guarded DB")
    kr = await stack.new_kr(owner="member")
    r = await bind(stack, "member", kr["id"], source_id, query)
    assert r.status_code == 422, r.text
    tried = (await stack.call("admin", "POST", f"/api/connectors/sources/{source_id}/test", json={"query": query})).json()
    assert tried["ok"] is False and "Guarded DB" in tried["error"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT sum(n) FROM signups").fetchone() == (3.0,)


@pytest.mark.parametrize(("query", "why"), [
    ("SELECT 'many'", "str"), ("SELECT n FROM signups", "more than one row"),
    ("SELECT n FROM signups WHERE n > 100", "no rows"), ("SELECT n, n FROM signups LIMIT 1", "columns"),
])
async def test_a_query_must_give_one_number(stack: Stack, tmp_path: Path, query: str, why: str) -> None:
    db = tmp_path / "shape.db"
    set_signups(db, 1, 2)
    source_id = await sql_source(stack, f"sqlite:///{db}", name="Shape DB")
    tried = (await stack.call("admin", "POST", f"/api/connectors/sources/{source_id}/test", json={"query": query})).json()
    assert tried["ok"] is False and why in tried["error"], tried


@pytest.fixture
def mariadb_source(make_settings: Any, namespace: str) -> Iterator[tuple[str, str]]:
    """A schema on the test MariaDB with a table, and a user that may only SELECT from it."""
    server = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
    schema, user = f"{namespace}_cn_metrics", f"{namespace}_rd"[:32]
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS `{schema}`.deals (amount DECIMAL(10,2), won BOOL)")
        conn.exec_driver_sql(f"DELETE FROM `{schema}`.deals")
        conn.exec_driver_sql(f"INSERT INTO `{schema}`.deals VALUES (100.50, 1), (20, 1), (999, 0)")
        conn.exec_driver_sql(f"CREATE USER IF NOT EXISTS '{user}'@'%%' IDENTIFIED BY '{PASSWORD}'")
        conn.exec_driver_sql(f"CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY '{PASSWORD}'")
        conn.exec_driver_sql(f"GRANT SELECT ON `{schema}`.* TO '{user}'@'%%'")
        conn.exec_driver_sql(f"GRANT SELECT ON `{schema}`.* TO '{user}'@'localhost'")
    host = sa.make_url(server)
    try:
        yield f"mysql+pymysql://{user}@{host.host}:{host.port or 3306}/{schema}", schema
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'localhost'")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{schema}`")
        engine.dispose()


async def test_a_mariadb_source_with_a_password_secret(stack: Stack, mariadb_source: tuple[str, str]) -> None:
    url, _schema = mariadb_source
    source_id = await sql_source(stack, url, secret=PASSWORD, name="Sales DB")
    kr = await stack.new_kr(owner="lead", title="Revenue won")
    r = await bind(stack, "lead", kr["id"], source_id, "SELECT sum(amount) FROM deals WHERE won")
    assert r.status_code == 201, r.text
    await stack.source_bound(kr["id"])
    await until(lambda: _current_is(stack, kr["id"], 120.5), 15)
    assert (await stack.check_ins(kr["id"]))[-1]["source"]["kind"] == "sql"
    # Refused by the parser; and a wrong password names the source, not the password.
    assert (await bind(stack, "lead", kr["id"], source_id, "DELETE FROM deals")).status_code == 422
    await stack.call("admin", "PATCH", f"/api/connectors/sources/{source_id}", json={"secret": "wrong-" + PASSWORD})
    out = await run_now(stack, "lead", kr["id"])
    assert out["value"] is None and "Sales DB" in out["error"] and PASSWORD not in out["error"]


def test_the_read_only_transaction_stops_a_write_the_parser_missed(mariadb_source: tuple[str, str]) -> None:
    """Behind the parser, the second fence: even with a user allowed to write (root here),
    what runs inside the read-only transaction cannot change anything."""
    from connectors_service.kinds.base import FetchError
    from connectors_service.kinds.sql import _run

    _, schema = mariadb_source
    server = sa.make_url(os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/"))
    engine = sa.create_engine(server.set(database=schema))
    try:
        with pytest.raises(FetchError, match="READ ONLY"):
            _run(engine, "mysql", "UPDATE deals SET amount = 0")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT sum(amount) FROM deals").scalar() == 1119.5
        assert _run(engine, "mysql", "SELECT count(*) FROM deals") == 3.0
    finally:
        engine.dispose()


async def _current_is(stack: Stack, kr_id: int, value: float) -> bool:
    return bool((await stack.kr(kr_id))["current"] == value)


async def _has_event(stack: Stack, type_: str, binding_id: int) -> bool:
    return any(e["type"] == type_ and e["subject_id"] == binding_id for e in stack.events)


def test_sqlite_runs_query_only(tmp_path: Path) -> None:
    from connectors_service.kinds.base import FetchError
    from connectors_service.kinds.sql import _run

    db = tmp_path / "ro.db"
    set_signups(db, 6)
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with pytest.raises(FetchError, match=r"readonly|read-only|query_only"):
            _run(engine, "sqlite", "DELETE FROM signups")
        assert _run(engine, "sqlite", "SELECT sum(n) FROM signups") == 6.0
    finally:
        engine.dispose()
