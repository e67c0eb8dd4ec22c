"""The delivery log: one row per (occurrence or event, person), written before Slack is
called, so each person gets each message at most once whatever restarts, replicas or
redeliveries happen.

Lifecycle: `scheduled` (due at the person's local time) → `sending` (claimed with
`FOR UPDATE SKIP LOCKED` and committed *before* the call) → `sent` | `failed`, or back to
`scheduled` after a failure known not to have posted (429, a refused connection). A row
whose call timed out, lost its connection or got a 5xx, or found `sending` after its
sender is gone, is `unknown` with the reason in `error`: it may or may not have reached
Slack, so it is never re-sent by itself (an admin may `resend` it: a new row). Without a bot token, due rows become `recorded` instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from boost_bus import Tx
from boost_contracts.events import DeliveryData, make_event
from boost_platform.db import for_update_skip_locked, insert_ignore, rowcount
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..messages.render import Message, render
from ..models import Delivery, Sender


@dataclass
class Plan:
    """A delivery to be: who, where, when, and the rendered message."""

    key: str
    occurrence_id: str
    kind: str
    message: Message
    due_at: datetime
    user_id: int | None = None
    team_id: int | None = None
    objective_id: int | None = None
    channel: str | None = None
    locale: str = "en"
    timezone: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    skip_reason: str | None = None  # recorded `skipped` with this reason, never sent (§9; deliveries.nudges)


def zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def local_due(day: date, local_time: str, tz: ZoneInfo) -> datetime:
    hours, minutes = (int(x) for x in local_time.split(":"))
    return datetime.combine(day, time(hours, minutes), tz)


def local_day_ends(day: date, tz: ZoneInfo) -> datetime:
    """The end of `day` where the person lives: a reminder for that day is not sent later."""
    return datetime.combine(day + timedelta(days=1), time(0), tz)


def dialect_of(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "mysql"


async def add(tx: Tx, plans: Sequence[Plan], now: datetime, *, can_send: bool) -> int:
    """Insert the rows that don't exist yet (the unique key absorbs redeliveries)."""
    if not plans:
        return 0
    table = Delivery.__table__
    dialect = dialect_of(tx.session)
    added = 0
    for start in range(0, len(plans), 500):
        chunk = plans[start:start + 500]
        rows = []
        for p in chunk:
            status, error = "scheduled", None
            if p.skip_reason:
                status = "skipped"
            elif can_send and not p.channel:
                status, error = "failed", "no Slack account linked"
            rows.append({"key": p.key, "occurrence_id": p.occurrence_id, "kind": p.kind, "user_id": p.user_id,
                         "team_id": p.team_id, "objective_id": p.objective_id, "channel": p.channel,
                         "locale": p.locale, "timezone": p.timezone, "status": status, "due_at": p.due_at,
                         "text": p.message.text, "blocks": p.message.blocks, "link": p.message.link,
                         "context": p.context, "outcome": None, "update_pending": False, "error": error,
                         "reason": p.skip_reason,
                         "attempts": 0, "created_at": now, "updated_at": now})
        stmt = insert_ignore(table, dialect)
        result = await tx.session.execute(stmt, rows)
        added += max(rowcount(result), 0)
    return added


async def make_due_now(tx: Tx, occurrence_id: str, now: datetime) -> int:
    """`POST /reminders/{kind}/run`: every row of the occurrence still waiting is due now."""
    t = Delivery.__table__
    result = await tx.session.execute(sa.update(t).where(
        t.c.occurrence_id == occurrence_id, t.c.status == "scheduled", t.c.due_at > now).values(due_at=now, updated_at=now))
    return rowcount(result)


# ---------------------------------------------------------------------------- sending


async def claim(maker: async_sessionmaker[AsyncSession], sender_id: str, now: datetime, limit: int) -> list[Delivery]:
    """Reserve up to `limit` due rows for this sender (`FOR UPDATE SKIP LOCKED`, so replicas
    share the work). They stay `scheduled`: a sender that dies holding them never sent them,
    and the sweep hands them back. One locking scan per batch, not per message."""
    async with maker() as session, session.begin():
        stmt = (sa.select(Delivery).where(Delivery.status == "scheduled", Delivery.due_at <= now,
                                          Delivery.sender.is_(None))
                .order_by(Delivery.due_at, Delivery.id).limit(limit))
        rows = list((await session.execute(for_update_skip_locked(stmt, dialect_of(session)))).scalars())
        for row in rows:
            row.sender = sender_id
        return rows


async def start_sending(maker: async_sessionmaker[AsyncSession], row_id: int, sender_id: str, now: datetime) -> bool:
    """Mark one reserved row `sending`, committed before Slack is called. False: not ours any more."""
    t = Delivery.__table__
    async with maker() as session, session.begin():
        result = await session.execute(sa.update(t).where(t.c.id == row_id, t.c.status == "scheduled",
                                                          t.c.sender == sender_id)
                                       .values(status="sending", attempts=t.c.attempts + 1, updated_at=now))
        return bool(rowcount(result))


async def release(maker: async_sessionmaker[AsyncSession], sender_id: str) -> int:
    """Hand back rows reserved and not started (a sender stopping)."""
    t = Delivery.__table__
    async with maker() as session, session.begin():
        result = await session.execute(sa.update(t).where(t.c.status == "scheduled", t.c.sender == sender_id)
                                       .values(sender=None))
        return rowcount(result)


def _event(row: Delivery, action: str, status: str, error: str | None = None) -> Any:
    data = DeliveryData(id=row.id, key=row.key, kind=row.kind, user_id=row.user_id, channel=row.channel,
                        status=status, error=error)  # type: ignore[arg-type]
    return make_event("notifier", f"delivery.{action}", data, actor_id="service:notifier")


async def finish_sent(tx: Tx, row: Delivery, now: datetime, slack_channel: str, ts: str) -> None:
    """One statement on the hot path; a row decided while on its way gets its outcome shown."""
    t = Delivery.__table__
    await tx.session.execute(sa.update(t).where(t.c.id == row.id, t.c.status == "sending").values(
        status="sent", slack_channel=slack_channel, slack_ts=ts, sent_at=now, updated_at=now, error=None,
        update_pending=sa.case((t.c.outcome.is_not(None), sa.true()), else_=t.c.update_pending)))
    tx.emit(_event(row, "sent", "sent"))


async def finish_failed(tx: Tx, row: Delivery, now: datetime, error: str) -> None:
    t = Delivery.__table__
    await tx.session.execute(sa.update(t).where(t.c.id == row.id, t.c.status == "sending").values(
        status="failed", error=error[:500], updated_at=now))
    tx.emit(_event(row, "failed", "failed", error[:500]))


async def finish_unknown(tx: Tx, row: Delivery, now: datetime, reason: str) -> None:
    """Slack may have posted it (timeout, dropped connection, 5xx): never re-sent by itself."""
    t = Delivery.__table__
    await tx.session.execute(sa.update(t).where(t.c.id == row.id, t.c.status == "sending").values(
        status="unknown", error=reason[:500], updated_at=now))


async def resend(tx: Tx, row_id: int, now: datetime, by_user_id: int) -> Delivery | None:
    """An admin resends an `unknown` or `failed` delivery deliberately: a new row, due now, with
    the same message and recipient (the original stays as it was). None: no such row."""
    row = await tx.session.get(Delivery, row_id, with_for_update=True)
    if row is None:
        return None
    if row.status not in RESENDABLE:
        raise ValueError(row.status)
    base = row.key.split(":resend:")[0]
    taken = int((await tx.session.execute(sa.select(sa.func.count()).select_from(Delivery).where(
        Delivery.key.startswith(base + ":resend:", autoescape=True)))).scalar_one())
    values = {c: getattr(row, c) for c in ("occurrence_id", "kind", "user_id", "team_id", "objective_id", "channel",
                                           "locale", "timezone", "text", "blocks", "link", "outcome")}
    copy = Delivery(key=f"{base}:resend:{taken + 1}", status="scheduled", due_at=now, update_pending=False,
                    attempts=0, created_at=now, updated_at=now,
                    context={**(row.context or {}), "resent_from": row.id, "resent_by": by_user_id}, **values)
    tx.session.add(copy)
    await tx.session.flush()
    return copy


RESENDABLE = ("unknown", "failed")


async def finish_retry(tx: Tx, row: Delivery, now: datetime, error: str, delay: float) -> None:
    """A known failure (nothing reached Slack, or Slack said it failed): try again later."""
    t = Delivery.__table__
    await tx.session.execute(sa.update(t).where(t.c.id == row.id, t.c.status == "sending").values(
        status="scheduled", error=error[:500], sender=None, updated_at=now, due_at=now + timedelta(seconds=delay)))


async def record_due(maker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Record-only mode: due rows are recorded (the web app shows them), not sent."""
    t = Delivery.__table__
    async with maker() as session, session.begin():
        result = await session.execute(sa.update(t).where(t.c.status == "scheduled", t.c.due_at <= now)
                                       .values(status="recorded", sent_at=now, updated_at=now))
        return rowcount(result)


async def heartbeat(maker: async_sessionmaker[AsyncSession], sender_id: str, now: datetime) -> None:
    from boost_platform.db import upsert

    async with maker() as session, session.begin():
        await session.execute(upsert(Sender.__table__, dialect_of(session), {"id": sender_id, "heartbeat_at": now},
                                     {"heartbeat_at": now}, ["id"]))


async def retire(maker: async_sessionmaker[AsyncSession], sender_id: str) -> None:
    async with maker() as session, session.begin():
        await session.execute(sa.delete(Sender.__table__).where(Sender.__table__.c.id == sender_id))


async def mark_unknown(maker: async_sessionmaker[AsyncSession], now: datetime, ttl: float) -> int:
    """Rows left `sending` by a sender that is gone (crashed mid-send): outcome unknown, never
    re-sent. Rows it had only reserved were never sent: they are handed back."""
    t, s = Delivery.__table__, Sender.__table__
    cutoff = now - timedelta(seconds=ttl)
    async with maker() as session, session.begin():
        alive = list((await session.execute(sa.select(s.c.id).where(s.c.heartbeat_at >= cutoff))).scalars())
        gone = sa.or_(t.c.sender.is_(None), t.c.sender.not_in(alive)) if alive else sa.true()
        result = await session.execute(sa.update(t).where(t.c.status == "sending", gone).values(
            status="unknown", error="the sender stopped mid-send: it may or may not have reached Slack",
            updated_at=now))
        await session.execute(sa.update(t).where(t.c.status == "scheduled", t.c.sender.is_not(None),
                                                 t.c.sender.not_in(alive) if alive else sa.true()).values(sender=None))
        await session.execute(sa.delete(s).where(s.c.heartbeat_at < cutoff - timedelta(days=1)))
        return rowcount(result)


async def pending_updates(maker: async_sessionmaker[AsyncSession], limit: int = 20) -> list[Delivery]:
    async with maker() as session:
        stmt = (sa.select(Delivery).where(Delivery.update_pending.is_(True), Delivery.slack_ts.is_not(None))
                .order_by(Delivery.id).limit(limit))
        return list((await session.execute(stmt)).scalars())


async def updated(maker: async_sessionmaker[AsyncSession], row_id: int, blocks_of: list[dict[str, Any]]) -> None:
    """Clear the flag, unless the message changed again meanwhile."""
    t = Delivery.__table__
    async with maker() as session, session.begin():
        row = await session.get(Delivery, row_id, with_for_update=True)
        if row is not None and row.blocks == blocks_of:
            await session.execute(sa.update(t).where(t.c.id == row_id).values(update_pending=False))


# ---------------------------------------------------------------------------- decisions and snoozes


async def decide(tx: Tx, objective_id: int, outcome: str, *, by: str, comment: str | None, public_url: str,
                 now: datetime) -> list[Delivery]:
    """An objective was approved or sent back (on the web or in Slack): every approval request
    for it shows the outcome, and its sent messages are queued for `chat.update`."""
    rows = list((await tx.session.execute(sa.select(Delivery).where(
        Delivery.objective_id == objective_id, Delivery.kind == "approval_requested", Delivery.outcome.is_(None))
        .with_for_update())).scalars())
    for row in rows:
        ctx = {**(row.context or {}), "outcome": outcome, "decided_by": by, "comment": comment or ""}
        message = render(row.kind, row.locale, public_url, ctx)
        row.context, row.outcome, row.text, row.blocks = ctx, outcome, message.text, message.blocks
        row.update_pending = row.slack_ts is not None
        row.updated_at = now
    return rows


async def snooze(tx: Tx, key: str, now: datetime, fallback_tz: str, slack_user: str) -> Delivery | None:
    """ "Remind me tomorrow": the same message again tomorrow at the same local time (once per day),
    for the person it was sent to only."""
    row = (await tx.session.execute(sa.select(Delivery).where(Delivery.key == key))).scalar_one_or_none()
    if row is None or row.channel != slack_user:
        return None
    tz = zone(row.timezone, fallback_tz)
    local_now = now.astimezone(tz)
    nominal = (row.context or {}).get("local_time")
    if isinstance(nominal, str) and ":" in nominal:
        hours, minutes = (int(x) for x in nominal.split(":")[:2])
        at = time(hours, minutes)
    else:
        at = row.due_at.astimezone(tz).time().replace(second=0, microsecond=0)
    due = datetime.combine(local_now.date() + timedelta(days=1), at, tz)
    new_key = f"{key.split(':snooze:')[0]}:snooze:{due.date().isoformat()}"
    values = {c: getattr(row, c) for c in ("occurrence_id", "kind", "user_id", "team_id", "objective_id", "channel",
                                           "locale", "timezone", "text", "blocks", "link", "context")}
    await tx.session.execute(insert_ignore(Delivery.__table__, dialect_of(tx.session), key=new_key, status="scheduled",
                                           due_at=due, outcome=None, update_pending=False, attempts=0,
                                           created_at=now, updated_at=now, **values))
    return row


# ---------------------------------------------------------------------------- reading


def delivery_json(row: Delivery) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "occurrence_id": row.occurrence_id, "kind": row.kind,
            "user_id": row.user_id, "team_id": row.team_id, "objective_id": row.objective_id, "channel": row.channel,
            "locale": row.locale, "status": row.status, "due_at": row.due_at.isoformat(),
            "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
            "sent_at": row.sent_at.isoformat() if row.sent_at else None, "text": row.text, "blocks": row.blocks,
            "link": row.link, "outcome": row.outcome, "error": row.error, "reason": row.reason,
            "attempts": row.attempts}


async def list_deliveries(session: AsyncSession, *, user_id: int | None, kind: str | None, status: str | None,
                          before: int | None, limit: int) -> list[Delivery]:
    stmt = sa.select(Delivery)
    if user_id is not None:
        stmt = stmt.where(Delivery.user_id == user_id)
    if kind:
        stmt = stmt.where(Delivery.kind == kind)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if before is not None:
        stmt = stmt.where(Delivery.id < before)
    return list((await session.execute(stmt.order_by(Delivery.id.desc()).limit(limit))).scalars())


async def counts(session: AsyncSession, user_id: int | None = None) -> dict[str, int]:
    stmt = sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
    if user_id is not None:
        stmt = stmt.where(Delivery.user_id == user_id)
    return {status: int(n) for status, n in (await session.execute(stmt)).all()}
