"""okr's tables: the org directory, objectives, key results, check-ins, history,
sessions, and the outbox/inbox every service has."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from boost_bus import inbox_table, outbox_table
from boost_platform.db import NAMING, LongText, UTCDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """okr's own metadata (each service has its own, so several can share a process)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    __table__: ClassVar[sa.Table]  # what declarative makes of every model here (typed as any FromClause)


metadata = Base.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

JSONType = sa.JSON()


class Org(Base):
    __tablename__ = "org"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    holidays: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reminders: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Scheduled reminders a person hears at most per week (§9 "Fewer, smarter nudges").
    max_nudges_per_week: Mapped[int] = mapped_column(default=3, server_default=sa.text("3"))
    demo_loaded: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(sa.String(200))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(1000))
    slack_user_id: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="member")
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    muted_reminders: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped on every change (directory.service.emit_user); events and queries carry it.
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    slack_channel_id: Mapped[str | None] = mapped_column(sa.String(32))
    # Bumped on every change, membership changes included (directory.service.emit_team).
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan", lazy="selectin", order_by="Membership.user_id"
    )


class Membership(Base):
    __tablename__ = "memberships"
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="member")
    team: Mapped[Team] = relationship(back_populates="memberships")


class Objective(Base):
    __tablename__ = "objectives"
    __table_args__ = (sa.Index("ix_objectives_cycle_team", "cycle", "team_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cycle: Mapped[str] = mapped_column(sa.String(7))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("objectives.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(24), default="draft")
    review_by: Mapped[int | None] = mapped_column()
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(default=1)
    field_versions: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    score: Mapped[float | None] = mapped_column()
    closing_note: Mapped[str | None] = mapped_column(sa.Text)
    carried_from_id: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    # The cycle revision of the last change (see CycleRevision): the dashboard's delta key.
    rev: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0", index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KeyResult(Base):
    __tablename__ = "key_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(sa.ForeignKey("objectives.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="number")
    start: Mapped[float] = mapped_column(sa.Float, default=0.0)
    target: Mapped[float] = mapped_column(sa.Float, default=100.0)
    current: Mapped[float] = mapped_column(sa.Float, default=0.0)
    unit: Mapped[str] = mapped_column(sa.String(32), default="")
    weight: Mapped[float] = mapped_column(sa.Float, default=1.0)
    confidence: Mapped[int | None] = mapped_column()
    last_check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)
    field_versions: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(default=0)
    rev: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0", index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The forecast's fit {value, low, high, as_of}, recomputed by every check-in write
    # (okr_service.forecast): reads and the dashboard take it with the row.
    forecast: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    carried_from_id: Mapped[int | None] = mapped_column(nullable=True)  # the key result it was carried over from
    # Its data binding as learned from connectors' events (connected.py): {binding_id, kind,
    # state, last_run_at, failing_since, version}; null when people type its numbers.
    source: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class MilestoneItem(Base):
    __tablename__ = "milestone_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_result_id: Mapped[int] = mapped_column(sa.ForeignKey("key_results.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    done: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class CheckIn(Base):
    __tablename__ = "check_ins"
    __table_args__ = (sa.Index("ix_check_ins_kr_created", "key_result_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key_result_id: Mapped[int] = mapped_column(sa.ForeignKey("key_results.id"))
    value: Mapped[float] = mapped_column(sa.Float)
    confidence: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A data check-in's provenance {kind, binding_id, fetched_at}; null for people's.
    source: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class History(Base):
    __tablename__ = "history"
    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(index=True)
    entity: Mapped[str] = mapped_column(sa.String(16))
    entity_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class ProgressSnapshot(Base):
    """Progress per cycle and team (team 0 = company) per day, for the over-time chart."""

    __tablename__ = "progress_snapshots"
    cycle: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    team_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    progress: Mapped[float] = mapped_column(sa.Float)
    expected: Mapped[float] = mapped_column(sa.Float)


class EditReceipt(Base):
    """The ack of each edit `op_id`, replayed for 24 hours."""

    __tablename__ = "edit_receipts"
    op_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    reply: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RevokedSession(Base):
    __tablename__ = "revoked_sessions"
    jti: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    exp: Mapped[int] = mapped_column(sa.BigInteger, index=True)


class CycleRevision(Base):
    """Bumped by every write that can change a cycle's dashboard: the dashboard cache key."""

    __tablename__ = "cycle_revisions"
    cycle: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    revision: Mapped[int] = mapped_column(sa.BigInteger, default=0)


_ = LongText  # re-exported for migrations that need it
