"""feedback's tables: feedback entries (retros included), chat messages and their
reactions, the read model of okr's users, teams, objectives and key results, and the
outbox/inbox every service has.

The read model (`rm_*`) is written only by the okr-events consumer and the rebuild;
it answers who may do what without calling okr synchronously."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from boost_bus import inbox_table, outbox_table
from boost_platform.db import NAMING, UTCDateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """feedback's own metadata. `boost_platform.db.Base` is one MetaData shared by every
    service, so okr's and feedback's `outbox` collide when both are loaded in one
    process (the integration tests run okr beside feedback)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    __table__: ClassVar[sa.Table]  # what declarative makes of every model here (typed as any FromClause)


metadata = Base.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

# SQLite wants INTEGER for an autoincrementing primary key; MariaDB gets BIGINT.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _binary(length: int) -> sa.types.TypeEngine[str]:
    """A string compared byte for byte on MariaDB: the schema's utf8mb4_unicode_ci would
    make `Team:A` equal `team:a`, and every emoji outside the BMP equal to every other."""
    return sa.String(length).with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")


# ---------------------------------------------------------------------------- feedback


class Feedback(Base):
    """One feedback entry. A retro is the entry of kind `retro` for one (team, cycle):
    `retro_key` is `{team_id}:{cycle}` for retros only, so the unique index holds one
    per team and cycle while the NULLs of other kinds never collide."""

    __tablename__ = "feedback"
    __table_args__ = (
        sa.Index("ix_feedback_cycle_id", "cycle", "id"),
        sa.Index("ix_feedback_objective_id", "objective_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    cycle: Mapped[str | None] = mapped_column(sa.String(7))
    objective_id: Mapped[int | None] = mapped_column()
    key_result_id: Mapped[int | None] = mapped_column()
    to_user_id: Mapped[int | None] = mapped_column(index=True)
    to_team_id: Mapped[int | None] = mapped_column(index=True)
    # The team it concerns: the objective's, the addressed team, or the retro's.
    team_id: Mapped[int | None] = mapped_column(index=True)
    author_id: Mapped[int] = mapped_column(index=True)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    resolved: Mapped[bool] = mapped_column(default=False)
    resolved_by: Mapped[int | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    went_well: Mapped[str | None] = mapped_column(sa.Text)
    to_improve: Mapped[str | None] = mapped_column(sa.Text)
    score: Mapped[float | None] = mapped_column(sa.Float)
    retro_key: Mapped[str | None] = mapped_column(_binary(40), unique=True)
    # Several people write a retro: each field remembers the version at which it last changed,
    # so a write is refused (or, for text with its base, merged) only when a field it changes
    # moved after the version its writer saw (hub.service.update).
    version: Mapped[int] = mapped_column(server_default=sa.text("1"), default=1)
    field_versions: Mapped[dict[str, int] | None] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---------------------------------------------------------------------------- chat


class Message(Base):
    """A chat message; a deleted one stays as a tombstone (body emptied)."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_subject_id", "subject", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(_binary(200))
    author_id: Mapped[int] = mapped_column()
    body: Mapped[str] = mapped_column(sa.Text)
    mentions: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(default=False)
    deleted_by: Mapped[int | None] = mapped_column()


class Reaction(Base):
    __tablename__ = "message_reactions"
    message_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("messages.id"), primary_key=True)
    emoji: Mapped[str] = mapped_column(_binary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---------------------------------------------------------------------------- read model of okr


class RmUser(Base):
    __tablename__ = "rm_users"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16), default="member")
    active: Mapped[bool] = mapped_column(default=True)
    # okr's version of the user: a late or replayed event never undoes a newer one (readmodel.service).
    version: Mapped[int] = mapped_column(server_default=sa.text("1"))


class RmTeam(Base):
    __tablename__ = "rm_teams"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[int | None] = mapped_column()
    deleted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(server_default=sa.text("1"))  # okr's, members included


class RmMembership(Base):
    __tablename__ = "rm_memberships"
    team_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="member")


class RmObjective(Base):
    __tablename__ = "rm_objectives"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cycle: Mapped[str] = mapped_column(sa.String(7))
    team_id: Mapped[int] = mapped_column()
    owner_id: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(24))
    deleted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column()


class RmKeyResult(Base):
    __tablename__ = "rm_key_results"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    objective_id: Mapped[int] = mapped_column(index=True)
    owner_id: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    deleted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column()


class RmOrg(Base):
    """The org's timezone and fiscal year (for "this quarter"); one row."""

    __tablename__ = "rm_org"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    fiscal_year_start_month: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column(server_default=sa.text("1"))


class RmState(Base):
    """When the read model was first built, and last rebuilt from okr's queries."""

    __tablename__ = "rm_state"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    bootstrapped_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
