"""scheduler's tables: the occurrences already published, and the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from boost_bus import outbox_table
from boost_platform.db import NAMING, UTCDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The scheduler's own metadata. boost_platform.db.Base is one MetaData for every service,
    so two services' models (each with an `outbox`) can't be imported into one process (tests)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    __table__: ClassVar[sa.Table]  # what declarative makes of every model here (typed as any FromClause)


metadata = Base.metadata
# Reminder events carry their deterministic occurrence id (`reminder:{kind}:{cycle}:{date}`,
# up to ~80 characters with a run suffix) as the event id, not a 26-character ULID.
outbox = outbox_table(metadata, id_length=100)


class PublishedOccurrence(Base):
    """One row per occurrence ever published: the guard that makes publishing idempotent."""

    __tablename__ = "occurrences"
    id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    cycle: Mapped[str] = mapped_column(sa.String(7))
    date: Mapped[date] = mapped_column(sa.Date, index=True)
    local_time: Mapped[str] = mapped_column(sa.String(5))
    trigger: Mapped[str] = mapped_column(sa.String(16))  # schedule | catch_up | manual
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the latest manual "run now"
    runs: Mapped[int] = mapped_column(default=1)
