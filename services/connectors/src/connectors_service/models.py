"""connectors' tables: data sources (secrets encrypted), key-result bindings (with their
schedule and the claim that makes each due run happen once across replicas), and the
outbox/inbox every service has. Nothing here mirrors okr: who owns a key result is asked
of okr when it matters (`directory.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from boost_bus import inbox_table, outbox_table
from boost_platform.db import NAMING, UTCDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    __table__: ClassVar[sa.Table]


metadata = Base.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Source(Base):
    """A system that knows numbers. `secret` is Fernet ciphertext (vault.py), never plain."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(24))
    config: Mapped[dict[str, object]] = mapped_column(sa.JSON, default=dict)
    secret: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Binding(Base):
    """One key result fed by one source. `next_run_at` is when it is due; a replica takes a
    due run by moving `claimed_until` forward in one conditional UPDATE (runs/schedule.py),
    so each due run happens once; a replica that dies mid-run lets the claim lapse and
    another takes the run over (a repeated reading equal to the current value records nothing)."""

    __tablename__ = "bindings"
    __table_args__ = (sa.Index("ix_bindings_due", "active", "next_run_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_result_id: Mapped[int] = mapped_column(unique=True)
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("sources.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    query: Mapped[str | None] = mapped_column(sa.Text)
    every_minutes: Mapped[int] = mapped_column(default=60)
    scale: Mapped[float | None] = mapped_column(sa.Float)
    active: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="ok")
    last_value: Mapped[float | None] = mapped_column(sa.Float)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column()
    # webhook kind: sha256 of the token (the lookup) and the token itself, encrypted (the URL is shown again).
    hook_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    hook_token: Mapped[str | None] = mapped_column(sa.Text)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
