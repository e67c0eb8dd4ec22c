"""notifier's tables: the delivery log, the senders' heartbeats, what the team digest
counts, the directory-sync runs, and the outbox/inbox every service has."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from boost_bus import inbox_table, outbox_table
from boost_platform.db import NAMING, LongText, UTCDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The notifier's own metadata. boost_platform.db.Base is one MetaData for every service,
    so two services' models (each with an `outbox`) can't be imported into one process (tests)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    __table__: ClassVar[sa.Table]  # what declarative makes of every model here (typed as any FromClause)


metadata = Base.metadata
outbox = outbox_table(metadata)
# Reminder events use their occurrence id (`reminder:{kind}:{cycle}:{date}`, with a run suffix
# up to ~80 characters) as the event id.
inbox = inbox_table(metadata, event_id_length=100)

JSONType = sa.JSON()

STATUSES = ("recorded", "scheduled", "sending", "sent", "failed", "unknown", "skipped")


class Delivery(Base):
    """One message to one person (or one team channel) for one occurrence or event.

    `key` is unique: `{occurrence or event id}:user:{id}` (`:team:{id}` for a channel,
    `…:snooze:{date}` for "remind me tomorrow"), so redeliveries and restarts never add a second."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.Index("ix_deliveries_status_due", "status", "due_at"),
        sa.Index("ix_deliveries_user", "user_id", "id"),
        sa.Index("ix_deliveries_objective", "objective_id", "kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(sa.String(191), unique=True)
    occurrence_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None] = mapped_column()
    team_id: Mapped[int | None] = mapped_column()
    objective_id: Mapped[int | None] = mapped_column()
    channel: Mapped[str | None] = mapped_column(sa.String(64))  # Slack user id (DM) or channel id
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(LongText)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    link: Mapped[str | None] = mapped_column(sa.String(1000))
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # what re-rendering needs
    outcome: Mapped[str | None] = mapped_column(sa.String(32))  # approval requests once decided
    update_pending: Mapped[bool] = mapped_column(default=False)  # the sent message must be chat.update'd
    slack_channel: Mapped[str | None] = mapped_column(sa.String(64))
    slack_ts: Mapped[str | None] = mapped_column(sa.String(32))
    error: Mapped[str | None] = mapped_column(sa.String(500))
    reason: Mapped[str | None] = mapped_column(sa.String(32))  # why a row is `skipped` (§9): up_to_date | weekly_cap
    attempts: Mapped[int] = mapped_column(default=0)
    sender: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NudgeTurn(Base):
    """One row whose lock takes turns: the weekly-cap decisions of concurrent reminder
    occurrences (several replicas) run one after the other, each seeing the rows the previous
    one wrote (deliveries.nudges)."""

    __tablename__ = "nudge_turns"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    turns: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Sender(Base):
    """A running sender's heartbeat: rows it left `sending` become `unknown` once it is gone."""

    __tablename__ = "senders"
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Activity(Base):
    """Check-ins and feedback per team, for the Friday digest: kept in our own schema from
    okr's and feedback's events (each once, through the inbox), so a restart loses nothing.
    `at` is when it happened (the event's `created_at`), not when we heard of it; a deleted
    check-in stays as a tombstone (`deleted`), so its deletion counts even when it is handled
    before its creation (two consumers, several replicas)."""

    __tablename__ = "activity"
    __table_args__ = (sa.UniqueConstraint("kind", "ref_id", name="uq_activity_kind_ref"),
                      sa.Index("ix_activity_team_at", "team_id", "at"))
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # check_in | feedback
    ref_id: Mapped[int] = mapped_column()
    team_id: Mapped[int | None] = mapped_column()
    objective_id: Mapped[int | None] = mapped_column()
    key_result_id: Mapped[int | None] = mapped_column()
    author_id: Mapped[int | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # What the digest's sentences need (§9 "Summaries"): a check-in's value and confidence,
    # a feedback's kind and whether it was answered (resolved).
    value: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    confidence: Mapped[int | None] = mapped_column(nullable=True)
    detail: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    resolved: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class DirectoryRun(Base):
    """One daily directory sync per day across replicas (the row is the claim)."""

    __tablename__ = "directory_runs"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
