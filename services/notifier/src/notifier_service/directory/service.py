"""Slack's directory into Boost: `users.list` (paged) becomes `okr.cmd.upsert_users`,
matched by email, with Slack ids, locales and timezones (okr fills those only where the
person has not set them); people deactivated in Slack, or gone from it, are deactivated.
Guests (`is_restricted`, `is_ultra_restricted`) are not imported unless
`BOOST_SLACK_ALLOW_GUESTS=1`, and then as `guest` (okr's read-only role).
On demand (admins) and once a day (one replica claims the day)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from boost_bus import Outbox
from boost_contracts.events import DirectorySyncedData, make_event
from boost_platform.clock import Clock
from boost_platform.db import insert_ignore, rowcount
from boost_platform.logging import get_logger
from boost_platform.problems import Problem

from ..deliveries.store import dialect_of
from ..models import DirectoryRun
from ..okr import Okr
from ..slack.client import SlackPort

log = get_logger("notifier.directory")


def is_guest(member: dict[str, Any]) -> bool:
    """A single-channel (`is_ultra_restricted`) or multi-channel (`is_restricted`) guest."""
    return bool(member.get("is_restricted") or member.get("is_ultra_restricted"))


def directory_user(member: dict[str, Any], allow_guests: bool = False) -> dict[str, Any] | None:
    """A Slack member as `DirectoryUser`, or None for bots, people without an email, and
    guests (unless `BOOST_SLACK_ALLOW_GUESTS`)."""
    if member.get("is_bot") or member.get("is_app_user") or member.get("id") == "USLACKBOT":
        return None
    if is_guest(member) and not allow_guests:
        return None
    profile = member.get("profile") or {}
    email = (profile.get("email") or "").strip()
    if not email:
        return None
    name = profile.get("real_name") or member.get("real_name") or profile.get("display_name") or member.get("name") or email
    return {"email": email, "name": str(name)[:200], "slack_user_id": member.get("id"),
            "avatar_url": profile.get("image_192") or profile.get("image_72"), "locale": member.get("locale"),
            "timezone": member.get("tz"), "active": not member.get("deleted", False), "guest": is_guest(member)}


class DirectorySync:
    def __init__(self, slack: SlackPort | None, okr: Okr, outbox: Outbox, clock: Clock, every_hours: float,
                 daily: bool = True, allow_guests: bool = False) -> None:
        self.slack = slack
        self.allow_guests = allow_guests
        self.okr = okr
        self.outbox = outbox
        self.clock = clock
        self.every_hours = every_hours
        self.daily = daily
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def sync(self) -> dict[str, Any]:
        if self.slack is None:
            raise Problem(409, "There is no Slack bot token (record-only mode): there is no directory to sync.")
        async with self._lock:
            members: list[dict[str, Any]] = []
            cursor: str | None = None
            while True:
                page, cursor = await self.slack.users_page(cursor)
                members.extend(page)
                if not cursor:
                    break
            users = [u for u in (directory_user(m, self.allow_guests) for m in members) if u is not None]
            guests = sum(1 for m in members if is_guest(m))
            # The whole listing was read, so people missing from it may be deactivated (never on an
            # empty listing: that is a broken token or workspace, not everyone leaving). Guests left
            # out are "missing": one imported before is deactivated.
            result = await self.okr.upsert_users(users, deactivate_missing=bool(users))
            self.okr.forget()
            summary = {"created": int(result.get("created", 0)), "updated": int(result.get("updated", 0)),
                       "deactivated": int(result.get("deactivated", 0))}
            async with self.outbox.transaction() as tx:
                tx.emit(make_event("notifier", "directory.synced", DirectorySyncedData(**summary),
                                   actor_id="service:notifier"))
            log.info("directory synced", members=len(members), guests=guests,
                     guests_imported=self.allow_guests, **summary)
            return {**summary, "members": len(members), "synced": len(users)}

    def start(self) -> None:
        if self.slack is not None and self.daily:
            self._task = asyncio.ensure_future(self._daily())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)

    async def _daily(self) -> None:
        while True:
            try:
                if await self._claim_today(self.clock.now()):
                    result = await self.sync()
                    await self._store(self.clock.now(), result)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("daily directory sync failed", error=repr(exc))
            await asyncio.sleep(min(600.0, self.every_hours * 3600 / 6))

    async def _claim_today(self, now: datetime) -> bool:
        async with self.outbox.maker() as session, session.begin():
            result = await session.execute(insert_ignore(DirectoryRun.__table__, dialect_of(session),
                                                         day=now.date(), started_at=now, result=None))
            return bool(rowcount(result))

    async def _store(self, now: datetime, result: dict[str, Any]) -> None:
        async with self.outbox.maker() as session, session.begin():
            row = await session.get(DirectoryRun, now.date())
            if row is not None:
                row.result = result
