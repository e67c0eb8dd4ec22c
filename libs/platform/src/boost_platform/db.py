"""Database helpers for SQLAlchemy 2 (async) on MariaDB (asyncmy; PyMySQL for the
synchronous migrations) and on SQLite (the embedded default). Everything dialect-specific
lives here, one function each."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import URL, CursorResult, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC with microseconds, returned as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")


# ---------------------------------------------------------------------------- URLs


def service_database_url(*, own_url: str | None, server_url: str | None, schema: str, data_dir: Path) -> str:
    if own_url:
        return to_async_url(own_url)
    if server_url:
        url = make_url(server_url).set(database=schema)
        return to_async_url(url.render_as_string(hide_password=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(data_dir / (schema + '.db')).resolve()}"


def _with_driver(url: URL, mysql_driver: str, sqlite_driver: str) -> URL:
    backend = url.get_backend_name()
    if backend in ("mysql", "mariadb"):
        url = url.set(drivername=f"mysql+{mysql_driver}")
        query = dict(url.query)
        query.setdefault("charset", "utf8mb4")
        return url.set(query=query)
    if backend == "sqlite":
        return url.set(drivername=f"sqlite+{sqlite_driver}" if sqlite_driver else "sqlite")
    raise ValueError(f"unsupported database: {backend} (use MariaDB or SQLite)")


def to_async_url(url: str) -> str:
    return _with_driver(make_url(url), "asyncmy", "aiosqlite").render_as_string(hide_password=False)


def to_sync_url(url: str) -> str:
    return _with_driver(make_url(url), "pymysql", "").render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | AsyncEngine) -> bool:
    if isinstance(url_or_engine, AsyncEngine):
        return url_or_engine.dialect.name == "sqlite"
    return make_url(url_or_engine).get_backend_name() == "sqlite"


# ---------------------------------------------------------------------------- engines

PING_AFTER_IDLE = 1.0  # seconds


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # The driver's own transaction handling steps aside for our BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # Take the write lock up front: SQLite's deferred transactions deadlock on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        isolation_level="READ COMMITTED",
        connect_args={"connect_timeout": 5},
    )
    _ping_when_idle(engine)
    _skip_needless_ends(engine)
    return engine


# Connection info: the last statement sent on it ended its transaction with a COMMIT.
SETTLED = "boost_settled"


def _skip_needless_ends(engine: AsyncEngine) -> None:
    """A round trip costs more than most statements here, and two of them per transaction
    do nothing: the pool's ROLLBACK when a connection comes back after its COMMIT, and
    SQLAlchemy's COMMIT after a batch that COMMITted itself (`execute_batch(…,
    commits=True)`). Both are skipped while the connection is settled, i.e. nothing was
    sent since a COMMIT; any statement unsettles it."""
    dialect = engine.sync_engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def info(dbapi_connection: Any) -> dict[str, Any]:
        try:
            return dbapi_connection.info  # type: ignore[no-any-return]
        except NotImplementedError:  # the ad hoc connection SQLAlchemy inspects the server with
            return {}

    def do_commit(dbapi_connection: Any) -> None:
        state = info(dbapi_connection)
        if not state.get(SETTLED):
            commit(dbapi_connection)
        state[SETTLED] = True

    def do_rollback(dbapi_connection: Any) -> None:
        if not info(dbapi_connection).pop(SETTLED, False):
            rollback(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _unsettle(conn: sa.Connection, *_: Any) -> None:
        conn.info.pop(SETTLED, None)


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling for connections that sat idle (a MariaDB restart
    or a dropped connection happens to those): ping them at checkout, and let the pool
    replace one that fails. A connection back from work a moment ago is used as it is,
    which keeps a round trip off every request; if it did die in that moment, the
    statement fails, SQLAlchemy sees the disconnect and renews the whole pool."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise sa.exc.DisconnectionError("the connection failed its ping") from exc


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:
        return False


# ---------------------------------------------------------------------------- batches

Rows = list[dict[str, Any]]
Params = dict[str, Any]
# A statement, or a statement with its values (a list of dicts: the statement once per dict).
Statement = sa.Executable | tuple[sa.Executable, Params | list[Params]]
# CLIENT.MULTI_STATEMENTS: asyncmy always asks for it. Every statement sent in a batch is
# compiled by SQLAlchemy and its values escaped by the driver.
MULTI_STATEMENTS = 1 << 16
# compiled SQL, its parameters' names and bind processors, its columns' result processors
_Compiled = tuple[Any, list[tuple[str, Any]], list[Any] | None]
_COMPILED: dict[tuple[sa.Executable, str, tuple[str, ...]], _Compiled] = {}
_KEPT: weakref.WeakKeyDictionary[sa.Engine, _Kept] = weakref.WeakKeyDictionary()


class PooledConnection:
    """A connection from the engine's pool driven by `execute_batch` alone: no ORM session,
    no SQLAlchemy transaction. Each of those costs a greenlet (and its 16 KiB stack) per
    call, and on this kind of machine the session's begin, checkout, commit and close cost
    more than the edit's SQL; a hot path that only sends batches does without them."""

    def __init__(self, dialect: sa.Dialect, pooled: PoolProxiedConnection) -> None:
        self.dialect = dialect
        self.pooled = pooled

    async def get_raw_connection(self) -> PoolProxiedConnection:
        return self.pooled


# A connection whose batches COMMITted is kept for the next `pooled_connection` instead of
# going back to the pool: the pool's checkout and checkin (a greenlet each, and the pool's
# bookkeeping) cost ~0.1 ms, more than the batch's own statement. At most KEEP_AT_MOST per
# engine, reused only within PING_AFTER_IDLE of its last batch (as the pool reuses one
# without a ping); older ones (swept back within about twice that), and any after
# CYCLE_AFTER out of the pool, go back through it (its recycling, pings and events);
# `engine.dispose()` closes the kept ones.
KEEP_AT_MOST = 4
CYCLE_AFTER = 60.0  # seconds
_OUT_SINCE = "boost_out_since"  # connection info: when it last left the pool


class _Kept:
    """The connections an engine keeps between batches, most recent last. Those unused for
    PING_AFTER_IDLE go back to the pool by themselves (a sweep at most once that often), so
    a quiet engine holds none out of it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.connections: list[tuple[PoolProxiedConnection, float]] = []
        self._sweep: asyncio.TimerHandle | None = None
        self._giving_back: set[asyncio.Task[None]] = set()

        @event.listens_for(engine.sync_engine, "engine_disposed")
        def _disposed(_engine: sa.Engine) -> None:  # runs in dispose's greenlet: it may wait
            if self._sweep is not None:
                self._sweep.cancel()
                self._sweep = None
            while self.connections:
                self.connections.pop()[0].invalidate()

    def _swept(self) -> None:
        self._sweep = None
        # Most recent last: the stale ones are a prefix.
        now = time.monotonic()
        fresh_from = next((i for i, (_, kept_at) in enumerate(self.connections) if now - kept_at < PING_AFTER_IDLE),
                          len(self.connections))
        stale, self.connections = self.connections[:fresh_from], self.connections[fresh_from:]
        if stale:
            task = asyncio.ensure_future(_give_back_all(stale))
            self._giving_back.add(task)
            task.add_done_callback(self._giving_back.discard)
        if self.connections:
            self._sweep = asyncio.get_running_loop().call_later(PING_AFTER_IDLE, self._swept)

    def take(self) -> tuple[PoolProxiedConnection | None, list[tuple[PoolProxiedConnection, float]]]:
        """The most recent kept connection still fresh, and the stale ones (to give back)."""
        now, stale = time.monotonic(), list[tuple[PoolProxiedConnection, float]]()
        while self.connections:
            pooled, kept_at = self.connections.pop()
            if now - kept_at < PING_AFTER_IDLE:
                return pooled, stale
            stale.append((pooled, kept_at))
        return None, stale

    def keep(self, pooled: PoolProxiedConnection) -> bool:
        now = time.monotonic()
        if (len(self.connections) >= KEEP_AT_MOST or not pooled.info.get(SETTLED) or not pooled.is_valid
                or now - pooled.info.get(_OUT_SINCE, now) >= CYCLE_AFTER):
            return False
        self.connections.append((pooled, now))
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(PING_AFTER_IDLE, self._swept)
        return True


async def _give_back_all(stale: list[tuple[PoolProxiedConnection, float]]) -> None:
    for pooled, kept_at in stale:
        with contextlib.suppress(Exception):  # a connection that fails to close is the pool's to drop
            await _give_back(pooled, idle_since=kept_at)


async def _give_back(pooled: PoolProxiedConnection, idle_since: float | None = None) -> None:
    info = pooled.info
    info.pop(_OUT_SINCE, None)
    await greenlet_spawn(pooled.close)
    if idle_since is not None:
        info["idle_since"] = idle_since  # idle since its last batch: the next checkout pings it


@contextlib.asynccontextmanager
async def pooled_connection(engine: AsyncEngine) -> AsyncIterator[PooledConnection]:
    """A connection for batches that end their transaction themselves (`execute_batch(…,
    commits=True)`, MariaDB only). One whose last batch COMMITted is kept for the next
    (above); one that did not is rolled back in the pool (its reset), and one whose server
    went away is thrown out, as the session would."""
    if engine.dialect.name != "mysql":
        raise ValueError("pooled_connection needs multi-statement batches (MariaDB)")
    kept = _KEPT.get(engine.sync_engine)
    if kept is None:
        kept = _KEPT[engine.sync_engine] = _Kept(engine)
    pooled, stale = kept.take()
    if stale:  # only after a quiet second: most batches find a fresh one and nothing to give back
        await _give_back_all(stale)
    if pooled is None:
        pooled = await engine.raw_connection()
        pooled.info[_OUT_SINCE] = time.monotonic()
    done = False
    try:
        yield PooledConnection(engine.dialect, pooled)
        done = True
    except sa.exc.DBAPIError as exc:
        if isinstance(exc.orig, Exception) and engine.dialect.is_disconnect(
                exc.orig, pooled.dbapi_connection, None):  # type: ignore[arg-type]  # the driver's own error
            exc.connection_invalidated = True
            pooled.invalidate(exc)
        raise
    finally:
        if not (done and kept.keep(pooled)):
            await _give_back(pooled)


async def execute_batch(conn: AsyncConnection | PooledConnection, statements: Sequence[Statement], *,
                        commits: bool = False) -> list[Rows]:
    """Run statements in order, in one round trip where the database allows it (MariaDB,
    whose connections ask for multi-statements), else one by one; returns each one's rows
    (dicts by column name, typed as SQLAlchemy would give them; [] for writes).

    A round trip costs more than most statements on this kind of machine (a socket send
    wakes the server; ~0.15 ms each), so the hot paths read what they need in one batch and
    write what they changed in another. Give statements built once (with `bindparam`s, or
    an INSERT/UPDATE whose values come with it) and their values: each is compiled once per
    set of value names, and its values escaped by the driver exactly as `execute` would
    send them. An error stops the batch there and raises what `execute` would.

    `commits`: the last statement COMMITs (a procedure ending in COMMIT): the transaction
    is over, and ending it in SQLAlchemy sends nothing more."""
    if not statements:
        return []
    dialect = conn.dialect
    raw = await conn.get_raw_connection()
    raw.info.pop(SETTLED, None)
    driver = raw.driver_connection
    assert driver is not None  # a connection checked out of the pool
    if dialect.name != "mysql" or not getattr(driver, "_client_flag", 0) & MULTI_STATEMENTS:
        assert isinstance(conn, AsyncConnection)  # a PooledConnection is MariaDB's
        return await _one_by_one(conn, statements)
    cursor = await driver.cursor()
    if _HexLiteral not in driver._encoders:
        driver._encoders[_HexLiteral] = _HexLiteral.encode
    sql, readers = _batch_sql(cursor, dialect, statements)
    try:
        await cursor.execute(sql)
        results = await _read_results(cursor, readers)
    except dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error) from exc
    finally:
        await cursor.close()
    if commits:
        raw.info[SETTLED] = True
    return _per_statement(statements, results)


# Ends a batch's transaction in the batch's own round trip (`execute_batch(…, commits=True)`).
COMMIT = sa.text("COMMIT")


async def read_batch(maker: async_sessionmaker[AsyncSession], statements: Sequence[Statement]) -> list[Rows]:
    """Reads alone, answered in one round trip that also ends their transaction: on MariaDB
    a pooled connection without a session, the COMMIT sent with them (the pool then has
    nothing to roll back); elsewhere through a session. For hot reads whose answer is usually
    decided by a few rows (who is asking, what changed since a cached answer)."""
    engine = maker.kw["bind"]
    if engine.dialect.name == "mysql":
        async with pooled_connection(engine) as pooled:
            return (await execute_batch(pooled, [*statements, COMMIT], commits=True))[:-1]
    async with maker() as session:
        return await execute_batch(await session.connection(), statements)


@functools.cache
def last_insert_id(dialect: str) -> sa.Select[Any]:
    """The id the connection's last INSERT generated, as a statement for `execute_batch` after
    that INSERT (the write's events need it before the closing batch): MariaDB's
    `LAST_INSERT_ID()`, SQLite's `last_insert_rowid()`."""
    name = "last_insert_rowid" if dialect == "sqlite" else "last_insert_id"
    return sa.select(getattr(sa.func, name)().label("id"))


def _split(item: Statement) -> tuple[sa.Executable, Any]:
    return item if isinstance(item, tuple) else (item, None)


async def _one_by_one(conn: AsyncConnection, statements: Sequence[Statement]) -> list[Rows]:
    """`execute_batch` where the database takes one statement at a time."""
    out: list[Rows] = []
    for item in statements:
        statement, params = _split(item)
        result = await conn.execute(statement, params)
        out.append([dict(row._mapping) for row in result] if result.returns_rows else [])
    return out


def _batch_sql(cursor: Any, dialect: sa.Dialect, statements: Sequence[Statement]) -> tuple[str, list[list[Any] | None]]:
    """The statements as one multi-statement string (values escaped by the driver), and per
    statement sent (one per dict of a list of values) its columns' result processors."""
    readers: list[list[Any] | None] = []
    parts: list[str] = []
    for item in statements:
        statement, params = _split(item)
        for one in params if isinstance(params, list) else [params or {}]:
            compiled, binds, reader = _compile(statement, dialect, one)
            values = compiled.construct_params(one)
            parts.append(cursor.mogrify(compiled.string, tuple(
                _literal(process(values[name]) if process else values[name]) for name, process in binds)))
            readers.append(reader)
    return ";\n".join(parts), readers


async def _read_results(cursor: Any, readers: list[list[Any] | None]) -> list[Rows]:
    """Each sent statement's rows, typed by its result processors ([] for a write)."""
    results: list[Rows] = []
    for i, processors in enumerate(readers):
        if i:
            await cursor.nextset()
        if processors is None:
            results.append([])
            continue
        names = [d[0] for d in cursor.description or ()]
        results.append([{name: (p(v) if p else v) for name, p, v in zip(names, processors, row, strict=True)}
                        for row in await cursor.fetchall()])
    return results


def _per_statement(statements: Sequence[Statement], results: list[Rows]) -> list[Rows]:
    """A statement with a list of values gave one result per dict: the caller gets one."""
    grouped, i = [], 0
    for item in statements:
        params = _split(item)[1]
        n = len(params) if isinstance(params, list) else 1
        grouped.append([row for rows in results[i:i + n] for row in rows])
        i += n
    return grouped


class _HexLiteral:
    """Bytes sent as a hex literal, X'…': asyncmy escapes bytes byte by byte (~45 µs per
    KB here, and every outbox row carries its event's JSON as bytes), `bytes.hex` in
    microseconds; the server reads back exactly the same bytes. Registered in the
    connection's encoders (asyncmy's `_encoders`, as PyMySQL's), which the driver's
    `mogrify` consults by type."""

    __slots__ = ("sql",)

    def __init__(self, value: bytes | bytearray) -> None:
        self.sql = "X'" + value.hex() + "'"

    @staticmethod
    def encode(value: _HexLiteral, *_: Any) -> str:
        return value.sql


def _literal(value: Any) -> Any:
    return _HexLiteral(value) if isinstance(value, bytes | bytearray) else value


def _compile(statement: sa.Executable, dialect: sa.Dialect, params: Params) -> _Compiled:
    """Compiled once per statement and set of value names (INSERT and UPDATE compile their
    columns from those names, as `execute` does), with its parameters' bind processors in
    order and its columns' result processors; IN lists are rendered per call."""
    key = (statement, dialect.name, tuple(sorted(params)))
    found = _COMPILED.get(key)
    if found is not None:
        return found
    clause = cast(sa.ClauseElement, statement)  # what execute_batch is given: selects, inserts, updates…
    compiled = cast(SQLCompiler, clause.compile(dialect=dialect, column_keys=list(key[2])))
    in_list = bool(compiled.post_compile_params)  # its length is part of the SQL
    if in_list:
        compiled = cast(SQLCompiler, clause.compile(dialect=dialect, column_keys=list(key[2]),
                                                    compile_kwargs={"render_postcompile": True}))
    binds = []
    for name in compiled.positiontup or ():
        # an IN list's values are its parameter's, expanded as `{name}_1`, `{name}_2`…
        bind = compiled.binds[name] if name in compiled.binds else compiled.binds[name.rsplit("_", 1)[0]]
        binds.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect)))
    reader = ([c.type.dialect_impl(dialect).result_processor(dialect, None) for c in statement.selected_columns]
              if isinstance(statement, sa.Select) else None)
    found = (compiled, binds, reader)
    if not in_list:
        if len(_COMPILED) > 512:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


# ---------------------------------------------------------------------------- schemas


def ensure_database(url: str) -> None:
    """Create a MariaDB schema if missing (no-op for SQLite). Sync: runs before the app."""
    parsed = make_url(to_sync_url(url))
    if parsed.get_backend_name() == "sqlite" or not parsed.database:
        return
    server = sa.create_engine(parsed._replace(database=None), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE IF NOT EXISTS `{parsed.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    finally:
        server.dispose()


def drop_database(url: str) -> None:
    parsed = make_url(to_sync_url(url))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    server = sa.create_engine(parsed._replace(database=None), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{parsed.database}`")
    finally:
        server.dispose()


@contextlib.contextmanager
def named_lock(sync_conn: sa.Connection, name: str, timeout: int = 60) -> Iterator[None]:
    """A server-wide named lock (MariaDB GET_LOCK) or a file lock beside a SQLite file."""
    if sync_conn.dialect.name == "sqlite":
        db_path = sync_conn.engine.url.database or "boost"
        with open(f"{db_path}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    got = sync_conn.execute(sa.text("SELECT GET_LOCK(:n, :t)"), {"n": name[:64], "t": timeout}).scalar()
    if got != 1:
        raise TimeoutError(f"could not take the named lock {name!r} within {timeout}s")
    try:
        yield
    finally:
        sync_conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": name[:64]})


# ---------------------------------------------------------------------------- dialect helpers


def rowcount(result: sa.Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE matched (its result is a cursor result; `execute`
    is typed as returning any result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def insert_ignore(table: sa.Table | Any, dialect_name: str, **values: Any) -> sa.Insert:
    """INSERT that does nothing when the key exists (rowcount tells which happened)."""
    if dialect_name == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing()
    return mysql.insert(table).values(**values).prefix_with("IGNORE")


def upsert(table: sa.Table | Any, dialect_name: str, values: dict[str, Any], update: dict[str, Any], keys: list[str]) -> sa.Insert:
    if dialect_name == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=update)
    return mysql.insert(table).values(**values).on_duplicate_key_update(**update)


def upsert_if_newer(table: sa.Table | Any, dialect_name: str, key: str = "id", version: str = "version") -> sa.Insert:
    """INSERT a row, or UPDATE the stored one when the row's `version` is at least the stored
    one's: a late or replayed write never undoes a newer one, in one statement (no read,
    no lock held across a round trip). Built once; its values (every column) come at
    execution."""
    table = getattr(table, "__table__", table)
    columns = [c.name for c in table.columns if c.name not in (key, version)]
    if dialect_name == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=[key], set_={c: lite.excluded[c] for c in [*columns, version]},
            where=lite.excluded[version] >= table.c[version])
    stmt = mysql.insert(table)
    newer = stmt.inserted[version] >= table.c[version]
    # MariaDB assigns left to right, each seeing the ones before: the version goes last,
    # so every condition compares with the stored version.
    return stmt.on_duplicate_key_update([(c, sa.case((newer, stmt.inserted[c]), else_=table.c[c]))
                                         for c in [*columns, version]])


def for_update_skip_locked(stmt: sa.Select, dialect_name: str) -> sa.Select:
    if dialect_name == "sqlite":
        return stmt  # BEGIN IMMEDIATE already serialises writers
    return stmt.with_for_update(skip_locked=True)


@contextlib.asynccontextmanager
async def transaction(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with maker() as session, session.begin():
        yield session
