"""The org's settings, read from okr (`okr.query.org` as `service:scheduler`) and kept
current from `okr.events.org.updated`.

Every replica follows the updates with a core subscription (a shared durable would hand
each event to one replica only); the leader rebuilds its jobs on each. The hourly rebuild
re-reads the org, so a missed core message heals itself. An event can arrive late (the
outbox re-publishes what it had not yet marked published), so the org's `version` decides:
an older state never replaces a newer one."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from boost_bus import Bus
from boost_platform.logging import get_logger
from boost_platform.problems import Problem
from boost_platform.retry import until_done
from nats.aio.msg import Msg

from .calendar import OrgCalendar

log = get_logger("scheduler.org")

ORG_FIELDS = ("name", "timezone", "fiscal_year_start_month", "holidays", "reminders", "version")


class OrgSource:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.org: dict[str, Any] | None = None
        self.listeners: list[Callable[[], Awaitable[None]]] = []

    @property
    def calendar(self) -> OrgCalendar:
        if self.org is None:
            raise Problem(503, "The org's settings have not been read from okr yet; try again shortly.")
        return OrgCalendar.from_org(self.org)

    async def fetch(self, timeout: float = 3.0) -> dict[str, Any]:
        reply = await self.bus.request(self.bus.names.query("okr", "org"), {"actor_id": "service:scheduler"},
                                       timeout=timeout)
        self._apply(reply)
        assert self.org is not None
        return self.org

    def _apply(self, data: dict[str, Any]) -> bool:
        """Take the org's state unless what we hold is newer. True when taken."""
        version = data.get("version") or 0
        if self.org is not None and version < (self.org.get("version") or 0):
            return False
        self.org = {k: data.get(k) for k in ORG_FIELDS}
        return True

    async def load(self) -> dict[str, Any]:
        """Read the org, waiting for okr as long as it takes (startup)."""
        return await until_done(self.fetch, log, "waiting for okr's org settings", most=3.0)

    async def ensure(self) -> OrgCalendar:
        if self.org is None:
            try:
                await self.fetch(timeout=2.0)
            except Exception as exc:
                raise Problem(503, "okr did not answer with the org's settings; try again shortly.") from exc
        return self.calendar

    async def follow(self) -> None:
        """Registered with `bus.on_connect`: apply every org.updated as it happens."""

        async def _updated(msg: Msg) -> None:
            try:
                data = json.loads(msg.data)["data"]
            except (ValueError, KeyError, TypeError):
                return
            if not isinstance(data, dict) or not self._apply(data):
                return
            for listener in self.listeners:
                try:
                    await listener()
                except Exception:
                    log.exception("rebuilding after an org change failed")

        await self.bus.subscribe(self.bus.names.event("okr", "org.updated"), _updated)
