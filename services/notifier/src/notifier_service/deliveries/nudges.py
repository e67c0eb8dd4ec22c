"""Fewer, smarter nudges (contract §9): who is not nudged, and why.

- `weekly_check_in` names only the key results that need a check-in (okr decides which, in
  `okr.query.reminder_targets`: no check-in, human or data, in 7 days, and not fed by a
  healthy data source). A person with none is up to date: their row is `skipped` /
  `up_to_date` and nothing is sent.
- Nobody hears more than the org's `max_nudges_per_week` scheduled reminders in a week,
  Monday to Sunday in their own timezone. Rows already `skipped` (or `failed`: nothing reached
  them) do not count; a reminder over the cap is `skipped` / `weekly_cap`. Event-driven
  messages (approvals, mentions, feedback, failing sources) are neither counted nor capped.

The cap is decided when an occurrence's rows are written, in the same transaction, from
the delivery log itself (no second counter to drift)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from boost_platform.db import upsert
from sqlalchemy.ext.asyncio import AsyncSession

from ..messages.render import Message
from ..models import Delivery, NudgeTurn
from .store import Plan, dialect_of, zone

# The reminders the scheduler fires on a calendar, to a person (team_digest goes to a channel).
SCHEDULED_KINDS = frozenset({"drafting_open", "approval_due", "weekly_check_in", "review_mid_quarter", "retro_open"})
DEFAULT_CAP = 3
UP_TO_DATE = "up_to_date"
WEEKLY_CAP = "weekly_cap"
# Rows that reached nobody do not use up the person's week.
NOT_COUNTED = ("skipped", "failed")

NOTES: dict[str, dict[str, str]] = {
    "en": {UP_TO_DATE: "Not sent: every key result is up to date.",
           WEEKLY_CAP: "Not sent: this week's reminders ({cap}) were already sent."},
    "ko": {UP_TO_DATE: "보내지 않음: 모든 핵심 결과가 최신 상태입니다.",
           WEEKLY_CAP: "보내지 않음: 이번 주 알림({cap}건)을 이미 보냈습니다."},
}


def note(locale: str, reason: str, **values: Any) -> str:
    """What the delivery log shows for a skipped row (the bell, the Slack messages page)."""
    return NOTES.get(locale, NOTES["en"])[reason].format(**values)


def is_up_to_date(kind: str, target: dict[str, Any]) -> bool:
    """A weekly check-in target whose key results all had a check-in (okr names none)."""
    return kind == "weekly_check_in" and not target.get("key_result_ids")


def skip(plan: Plan, reason: str, **values: Any) -> Plan:
    """The plan recorded as `skipped` with its reason: its text says why, it has no blocks."""
    plan.skip_reason = reason
    plan.message = Message(text=note(plan.locale, reason, **values), blocks=[], link=plan.message.link)
    plan.context = {**plan.context, "skipped": reason}
    return plan


def cap_of(org: dict[str, Any]) -> int:
    value = org.get("max_nudges_per_week")
    return value if isinstance(value, int) and value >= 0 else DEFAULT_CAP


def week_of(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 where the person lives, around `at`."""
    local = at.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0), tz)
    return start, datetime.combine(monday + timedelta(days=7), time(0), tz)


async def take_turn(session: AsyncSession, dialect: str) -> None:
    """Wait for (and hold until commit) the one row every cap decision locks: two occurrences
    handled at once by two replicas would otherwise both count the same week and both send.
    (SQLite serialises writers already.)"""
    t = NudgeTurn.__table__
    await session.execute(upsert(t, dialect, {"id": 1, "turns": 1}, {"turns": t.c.turns + 1}, ["id"]))


async def _counted(session: AsyncSession, dialect: str, capped: Sequence[Plan], since: datetime,
                   until: datetime) -> dict[int, list[datetime]]:
    """When each of these plans' people had a scheduled nudge counted in [since, until),
    these plans' own rows aside."""
    t = Delivery.__table__
    counted = sa.select(t.c.user_id, t.c.due_at).where(
        t.c.user_id.in_({p.user_id for p in capped}), t.c.kind.in_(SCHEDULED_KINDS),
        t.c.status.not_in(NOT_COUNTED), t.c.due_at >= since, t.c.due_at < until,
        t.c.key.not_in([p.key for p in capped]))
    if dialect != "sqlite":
        # A locking read sees the latest committed rows, not this transaction's older snapshot.
        counted = counted.with_for_update(read=True)
    seen: dict[int, list[datetime]] = {}
    for user_id, due_at in (await session.execute(counted)).all():
        seen.setdefault(user_id, []).append(due_at)
    return seen


async def apply_weekly_cap(session: AsyncSession, plans: Sequence[Plan], cap: int, fallback_tz: str) -> int:
    """Mark the plans over their person's weekly cap `skipped` / `weekly_cap`. Returns how many.

    One query for the whole batch: each person's counted rows of scheduled kinds in the
    window spanning every plan's week; then each plan is counted against its own week."""
    capped = [p for p in plans if p.kind in SCHEDULED_KINDS and p.user_id is not None and not p.skip_reason]
    if not capped:
        return 0
    weeks = {p.key: week_of(p.due_at, zone(p.timezone, fallback_tz)) for p in capped}
    dialect = dialect_of(session)
    await take_turn(session, dialect)
    seen = await _counted(session, dialect, capped, min(w[0] for w in weeks.values()),
                          max(w[1] for w in weeks.values()))
    skipped = 0
    for plan in sorted(capped, key=lambda p: p.due_at):
        start, end = weeks[plan.key]
        mine = seen.setdefault(plan.user_id or 0, [])
        if sum(1 for at in mine if start <= at < end) >= cap:
            skip(plan, WEEKLY_CAP, cap=cap)
            skipped += 1
        else:
            mine.append(plan.due_at)  # a batch with two for one person counts the first
    return skipped
