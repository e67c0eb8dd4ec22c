"""Alembic, run at service start under a named lock so that replicas starting together
don't race (MariaDB DDL is not transactional).

Each service's `migrations/env.py` is two lines: import its metadata, call `run_env`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from .db import ensure_database, named_lock, to_sync_url


def alembic_config(service_dir: Path, url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", to_sync_url(url).replace("%", "%%"))
    return cfg


def upgrade(service_dir: Path, url: str, lock_name: str) -> None:
    """Create the schema if missing and migrate it to head (sync; call from a thread)."""
    ensure_database(url)
    cfg = alembic_config(service_dir, url)
    engine = sa.create_engine(to_sync_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            with named_lock(conn, lock_name, timeout=120):
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
    finally:
        engine.dispose()


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's migrations/env.py."""
    config = context.config
    connection = config.attributes.get("connection")
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                          literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connection is None:
        engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            _migrate(conn, target_metadata)
            conn.commit()
        return
    _migrate(connection, target_metadata)


def _migrate(conn: sa.Connection, target_metadata: sa.MetaData) -> None:
    # render_as_batch lets ALTERs work on SQLite too.
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
