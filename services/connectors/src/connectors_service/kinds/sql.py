"""`sql`: one SELECT returning one number, from MariaDB/MySQL, PostgreSQL or SQLite.

Three fences, each sufficient for the common case, together for the rest: the query is
parsed (sqlglot) and refused unless it is exactly one SELECT with no INTO, no locking and
no data-changing clause anywhere; it runs in a read-only transaction (SQLite: query_only);
and it has 10 seconds (the server's statement timeout, SQLite's progress handler)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, ClassVar

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlglot import exp

from .base import FetchError, SafeHttp, SourceSpec, as_number, require_text

TIMEOUT_S = 10
DIALECTS = {"mysql": "mysql", "mariadb": "mysql", "postgresql": "postgres", "sqlite": "sqlite"}
# Anything that writes, defines, grants or reaches outside the query's result.
FORBIDDEN = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Drop, exp.Create, exp.Alter, exp.Command,
             exp.Into, exp.Lock, exp.Transaction, exp.Commit, exp.Rollback, exp.Set, exp.Use, exp.Grant,
             exp.TruncateTable, exp.LoadData, exp.Copy, exp.Pragma)


def backend(url: URL) -> str:
    name = url.get_backend_name()
    if name not in DIALECTS:
        raise ValueError(f"{name} is not a supported SQL source (MariaDB/MySQL, PostgreSQL, SQLite)")
    return name


def check_select(sql: str, dialect: str) -> str:
    """The query when it is exactly one plain SELECT; ValueError otherwise (before anything is sent)."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECTS[dialect]) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise ValueError("the query is not a single SELECT this source's SQL dialect can read") from exc
    if len(statements) != 1:
        raise ValueError("the query must be exactly one SELECT statement")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise ValueError(f"only SELECT is allowed, not {tree.key.upper()}")
    bad = next(iter(tree.find_all(*FORBIDDEN)), None)
    if bad is not None:
        raise ValueError(f"a SELECT may not contain {bad.key.upper()}")
    return sql.strip().rstrip(";").strip()


class SqlKind:
    name: ClassVar[str] = "sql"
    needs_query: ClassVar[bool] = True

    def __init__(self) -> None:
        self._engines: dict[tuple[int, int], Engine] = {}
        self._lock = threading.Lock()

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        raw = config.get("url")
        if not isinstance(raw, str) or not raw:
            raise ValueError("config.url must be a SQLAlchemy URL such as mysql+pymysql://user@host/db")
        try:
            url = make_url(raw)
        except sa.exc.ArgumentError as exc:
            raise ValueError("config.url is not a SQLAlchemy URL") from exc
        if url.password:
            raise ValueError("put the password in the secret, not in config.url")
        backend(url)
        return {"url": raw}

    def check_query(self, source: SourceSpec, query: str | None) -> str:
        return check_select(require_text(query, "a SELECT"), backend(make_url(source.config["url"])))

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        url = make_url(source.config["url"])
        name = backend(url)
        sql = self.check_query(source, query)  # again at run time: the rule, not the stored text, decides
        if name != "sqlite":
            await http.rules.check(url.host, url.port, "database")
        try:
            engine = self._engine(source, url)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise FetchError(f"the database URL cannot be used ({type(exc).__name__})") from exc
        try:
            return await asyncio.wait_for(asyncio.to_thread(_run, engine, name, sql), TIMEOUT_S + 5)
        except TimeoutError as exc:
            raise FetchError(f"the query ran longer than {TIMEOUT_S} s") from exc

    def _engine(self, source: SourceSpec, url: URL) -> Engine:
        key = (source.id, source.version)
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                for old in [k for k in self._engines if k[0] == source.id]:
                    self._engines.pop(old).dispose()
                if source.secret and url.get_backend_name() != "sqlite":  # a SQLite file has no password
                    url = url.set(password=source.secret)
                if url.get_backend_name() == "sqlite":
                    engine = sa.create_engine(url, poolclass=NullPool, hide_parameters=True)
                else:
                    engine = sa.create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True,
                                              pool_recycle=300, hide_parameters=True,
                                              connect_args=_connect_args(url.get_backend_name()))
                self._engines[key] = engine
            return engine

    def close(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def _connect_args(name: str) -> dict[str, Any]:
    if name in ("mysql", "mariadb"):
        return {"connect_timeout": TIMEOUT_S, "read_timeout": TIMEOUT_S + 2}
    if name == "postgresql":
        return {"connect_timeout": TIMEOUT_S}
    return {}


def _run(engine: Engine, name: str, sql: str) -> float:
    """The query in a read-only transaction that is always rolled back (the DBAPI's implicit
    transaction, begun by the first statement)."""
    try:
        with engine.connect() as conn:
            raw: Any = conn.connection.driver_connection
            try:
                if name == "sqlite":
                    deadline = time.monotonic() + TIMEOUT_S
                    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
                    conn.exec_driver_sql("PRAGMA query_only = ON")
                elif name == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {TIMEOUT_S * 1000}")
                else:
                    _mysql_limits(conn)
                    conn.exec_driver_sql("START TRANSACTION READ ONLY")
                rows = conn.exec_driver_sql(sql).fetchmany(2)
            finally:
                conn.rollback()
                if name == "sqlite":
                    conn.exec_driver_sql("PRAGMA query_only = OFF")
                    conn.rollback()
                    raw.set_progress_handler(None, 0)
    except sa.exc.DBAPIError as exc:
        # The driver's message may quote the SQL, never the URL's password (hide_parameters).
        raise FetchError(f"the database refused the query: {str(exc.orig).splitlines()[0][:300]}") from exc
    except sa.exc.SQLAlchemyError as exc:
        raise FetchError(f"the database could not be queried ({type(exc).__name__})") from exc
    if len(rows) != 1:
        raise FetchError(f"the query returned {'no rows' if not rows else 'more than one row'}; it must return one")
    if len(rows[0]) != 1:
        raise FetchError(f"the query returned {len(rows[0])} columns; it must return one number")
    return as_number(rows[0][0], "the query's value")


def _mysql_limits(conn: sa.Connection) -> None:
    """MariaDB's statement timeout is in seconds, MySQL's in milliseconds (and SELECT only)."""
    if getattr(conn.dialect, "is_mariadb", False):
        conn.exec_driver_sql(f"SET SESSION max_statement_time = {TIMEOUT_S}")
    else:
        conn.exec_driver_sql(f"SET SESSION max_execution_time = {TIMEOUT_S * 1000}")
