"""Org settings, the first-start bootstrap (org row, root team, admins) and the calendar."""

from __future__ import annotations

import functools
import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from boost_bus import BatchTx, Tx
from boost_contracts.events import REMINDER_KINDS, OrgData, make_event
from boost_platform.clock import Clock
from boost_platform.db import COMMIT, Statement, upsert
from boost_platform.problems import Problem, invalid
from boost_platform.settings import BoostSettings
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..access import Actor
from ..calendar import Calendar
from ..models import CycleRevision, KeyResult, Objective, Org, Team, User

ORG_ID = 1


async def get_org(session: AsyncSession, *, lock: bool = False) -> Org:
    org = await session.get(Org, ORG_ID, with_for_update=lock or None)
    if org is None:
        raise Problem(503, "The organisation is not set up yet.")
    return org


# The org's timezone and fiscal month, per database, for a few seconds: every request
# needs them and they change once in a blue moon (this process's own changes clear it).
_CALENDAR_TTL = 5.0
_calendar_cache: dict[int, tuple[float, str, int]] = {}


async def calendar(session: AsyncSession, clock: Clock) -> Calendar:
    key = id(session.bind)
    cached = _calendar_cache.get(key)
    now = time.monotonic()
    if cached is None or cached[0] < now:
        org = await get_org(session)
        cached = (now + _CALENDAR_TTL, org.timezone, org.fiscal_year_start_month)
        _calendar_cache[key] = cached
    return Calendar(cached[1], cached[2], clock.now())


async def calendar_of(maker: async_sessionmaker[AsyncSession], clock: Clock) -> Calendar:
    """`calendar` for a write without a session: one is opened only to refresh the cache."""
    cached = _calendar_cache.get(id(maker.kw["bind"]))
    if cached is not None and cached[0] >= time.monotonic():
        return Calendar(cached[1], cached[2], clock.now())
    async with maker() as session:
        return await calendar(session, clock)


def org_data(org: Org) -> OrgData:
    return OrgData.model_validate({
        "name": org.name, "timezone": org.timezone, "fiscal_year_start_month": org.fiscal_year_start_month,
        "holidays": org.holidays or [], "reminders": org.reminders or {}, "version": org.version,
        "max_nudges_per_week": org.max_nudges_per_week if org.max_nudges_per_week is not None else 3,
    })


def org_json(org: Org) -> dict[str, Any]:
    return org_data(org).model_dump(mode="json")


def check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise invalid(f"unknown timezone {tz!r} (use an IANA name such as Asia/Seoul)", "timezone") from exc
    return tz


async def update_org(tx: Tx, actor: Actor, changes: dict[str, Any], *, version: int | None = None,
                     base: dict[str, Any] | None = None) -> Org:
    from ..directory.seen import check_seen

    actor.require_admin()
    org = await get_org(tx.session, lock=True)  # two admins saving at once: one after the other
    now = org_json(org)
    check_seen(what="the org", now_version=org.version, seen_version=version, current=now,
               changes={k: v for k, v in changes.items() if v is not None}, base=base, current_json=now)
    changed: list[str] = []
    if changes.get("name") is not None:
        _set(org, "name", changes["name"], changed)
    if changes.get("timezone") and changes["timezone"] != org.timezone:
        _set(org, "timezone", check_timezone(changes["timezone"]), changed)
    month = changes.get("fiscal_year_start_month")
    if month is not None and month != org.fiscal_year_start_month:
        await _keep_cycle_labels(tx.session, org)
        _set(org, "fiscal_year_start_month", month, changed)
    if changes.get("holidays") is not None:
        holidays = _holidays(changes["holidays"])
        if holidays != list(org.holidays or []):
            _set(org, "holidays", holidays, changed)
    if changes.get("reminders") is not None:
        _set(org, "reminders", {**(org.reminders or {}), **_reminder_settings(changes["reminders"])}, changed)
    if changes.get("max_nudges_per_week") is not None:
        _set(org, "max_nudges_per_week", changes["max_nudges_per_week"], changed)
    if changed:
        org.version += 1
        tx.emit(make_event("okr", "org.updated", org_data(org), actor_id=actor.user_id, changes=changed))
        _calendar_cache.clear()
    return org


def _set(org: Org, name: str, value: Any, changed: list[str]) -> None:
    if getattr(org, name) != value:
        setattr(org, name, value)
        changed.append(name)


async def _keep_cycle_labels(session: AsyncSession, org: Org) -> None:
    """The fiscal year's first month names every cycle: it is fixed once objectives exist."""
    if (await session.execute(sa.select(sa.func.count()).select_from(Objective))).scalar_one():
        raise Problem(409, "The fiscal year's first month can't change once objectives exist: it would relabel every cycle.",
                      current=org_json(org))


def _holidays(days: list[date | str]) -> list[str]:
    return sorted({d.isoformat() if isinstance(d, date) else str(d) for d in days})


def _reminder_settings(reminders: dict[str, Any]) -> dict[str, Any]:
    unknown = set(reminders) - set(REMINDER_KINDS)
    if unknown:
        raise invalid(f"unknown reminder kinds: {', '.join(sorted(unknown))}", "reminders")
    return reminders


async def ensure_org(tx: Tx, settings: BoostSettings) -> bool:
    """First start: the org row and the root team (the company). True when created now."""
    if await tx.session.get(Org, ORG_ID) is not None:
        return False
    org = Org(id=ORG_ID, name="Boost", timezone=check_timezone(settings.timezone), fiscal_year_start_month=1,
              holidays=[], reminders={}, max_nudges_per_week=3, version=1)
    tx.session.add(org)
    root = Team(name="Company", parent_id=None)
    tx.session.add(root)
    await tx.session.flush()
    tx.emit(make_event("okr", "org.updated", org_data(org), actor_id="service:okr", changes=["name", "timezone"]))
    return True


async def ensure_admins(tx: Tx, settings: BoostSettings) -> None:
    from ..directory.service import emit_user

    for email in settings.admin_email_list:
        user = (await tx.session.execute(sa.select(User).where(User.email == email))).scalar_one_or_none()
        if user is None:
            user = User(email=email, name=email.split("@")[0].replace(".", " ").title(), role="admin", active=True,
                        muted_reminders=[], created_at=datetime.now(UTC))
            tx.session.add(user)
            await tx.session.flush()
            await emit_user(tx, user, "created", "service:okr")
        elif user.role != "admin":
            user.role = "admin"
            await emit_user(tx, user, "updated", "service:okr", ["role"])


def stamp(tx: BatchTx, cycle: str, *, objective_id: int | None = None, kr_id: int | None = None,
          kr_objective_id: int | None = None) -> None:
    """Mark rows of a cycle as changed by this transaction. The cycle's revision is bumped
    and the rows stamped with it at the very end, once per transaction per cycle, so the
    lock on the revision row is held as briefly as can be: on MariaDB the bump, the stamps
    and COMMIT close the write's last batch (the lock never waits on a round trip or on
    okr's event loop); elsewhere they are the last statements before COMMIT. A key result
    whose objective is stamped too needs no stamp of its own: the dashboard re-reads every
    key result of a stamped objective."""
    pending: dict[str, tuple[set[int], dict[int, int | None]]] = tx.state.setdefault("stamps", {})
    if not pending:
        if tx.dialect == "mysql":
            tx.commit_with = lambda: _stamp_batch(pending)
        else:
            assert isinstance(tx, Tx)  # batch-only writes are MariaDB's
            tx.before_commit.append(lambda: _stamp_statements(tx, pending))
    if cycle not in pending:
        pending[cycle] = (set(), {})
    if objective_id is not None:
        pending[cycle][0].add(objective_id)
    if kr_id is not None:
        pending[cycle][1][kr_id] = kr_objective_id


def _unstamped_krs(objectives: set[int], krs: dict[int, int | None]) -> list[int]:
    return sorted(kr for kr, parent in krs.items() if parent not in objectives)


def _stamp_batch(pending: dict[str, tuple[set[int], dict[int, int | None]]]) -> list[Statement]:
    """MariaDB: per cycle, the bump (`LAST_INSERT_ID(expr)` keeps the new revision for this
    connection's next statements) and the stamps of its rows, one UPDATE by primary key each
    (built once; a join or an IN list the optimiser might turn into a scan would lock rows
    other writers hold), then COMMIT."""
    batch: list[Statement] = []
    for cycle in sorted(pending):  # one order for everyone: no deadlock between two multi-cycle writes
        objectives, krs = pending[cycle]
        batch.append((_bump(), {"cycle": cycle}))
        if objectives:
            batch.append((_stamp_row(Objective.__table__), [{"row_id": i} for i in sorted(objectives)]))
        alone = _unstamped_krs(objectives, krs)
        if alone:
            batch.append((_stamp_row(KeyResult.__table__), [{"row_id": i} for i in alone]))
    return [*batch, COMMIT]


@functools.cache
def _bump() -> sa.Insert:
    table = CycleRevision.__table__
    return mysql.insert(table).values(revision=sa.func.last_insert_id(1)).on_duplicate_key_update(
        revision=sa.func.last_insert_id(table.c.revision + 1))


@functools.cache
def _stamp_row(table: sa.Table) -> sa.Update:
    return sa.update(table).where(table.c.id == sa.bindparam("row_id")).values(rev=sa.func.last_insert_id())


async def _stamp_statements(tx: Tx, pending: dict[str, tuple[set[int], dict[int, int | None]]]) -> None:
    conn = await tx.session.connection()  # Core: these rows are not reloaded in this transaction
    for cycle in sorted(pending):
        objectives, krs = pending[cycle]
        rev = await bump_revision(tx, cycle)
        if objectives:
            o = Objective.__table__
            await conn.execute(sa.update(o).where(o.c.id.in_(objectives)).values(rev=rev))
        alone = _unstamped_krs(objectives, krs)
        if alone:
            k = KeyResult.__table__
            await conn.execute(sa.update(k).where(k.c.id.in_(alone)).values(rev=rev))


async def bump_revision(tx: Tx, cycle: str) -> int:
    """Mark a cycle's dashboard as changed ("*" for directory changes) and return the new
    revision (SQLite; MariaDB does it in `_stamp_batch`). The row stays locked until commit,
    so revisions are handed out in commit order: a reader that sees revision R knows every
    change up to R is committed."""
    table = CycleRevision.__table__
    await tx.session.execute(
        upsert(table, tx.dialect, {"cycle": cycle, "revision": 1}, {"revision": table.c.revision + 1}, ["cycle"])
    )
    return int((await tx.session.execute(sa.select(table.c.revision).where(table.c.cycle == cycle))).scalar_one())
