"""A team's Friday digest that Slack refuses (`channel_not_found`, `not_in_channel`,
`is_archived`, …) is not left failing silently every week: the team's leads get a DM saying
why and what to do, once per failing spell.

A spell runs from the last digest that reached the channel: the notice's key names it
(`digest_failing:team:{id}:after:{last sent digest's id}:user:{lead}`), so the delivery log's
unique key makes it once per lead per spell across replicas and restarts, and a digest that
gets through again starts a new spell."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from boost_bus import Outbox
from boost_platform.clock import Clock
from boost_platform.logging import get_logger

from ..messages import links
from ..messages.i18n import t
from ..messages.render import Message, actions, open_button, plain, section
from ..models import Delivery
from ..okr import Okr
from . import store
from .store import Plan

log = get_logger("notifier.digest_alerts")


class DigestAlerts:
    def __init__(self, okr: Okr, outbox: Outbox, clock: Clock, public_url: str) -> None:
        self.okr = okr
        self.outbox = outbox
        self.clock = clock
        self.public_url = public_url

    async def failed(self, row: Delivery, error: str) -> int:
        """A delivery failed for good: when it is a team's channel digest, tell the leads (once)."""
        if row.kind != "team_digest" or row.user_id is not None or row.team_id is None:
            return 0
        team = next((tm for tm in await self.okr.teams() if tm["id"] == row.team_id), None)
        if team is None:
            return 0
        last_sent = await self._last_sent(row.team_id)
        plans: list[Plan] = []
        now = self.clock.now()
        for uid in dict.fromkeys(m["user_id"] for m in team.get("members", []) if m.get("role") == "lead"):
            target = await self.okr.target(uid, "team_digest")
            if target is None or not target.get("slack_user_id"):
                continue
            plans.append(self._notice(row, error, team, target, uid, last_sent, now))
        async with self.outbox.transaction() as tx:
            added = await store.add(tx, plans, now, can_send=True)
        if added:
            log.warning("team digest failing; the team's leads are told", team_id=row.team_id, error=error,
                        leads=added)
        return added

    async def _last_sent(self, team_id: int) -> int:
        """The team's last digest that reached its channel (0: none): the leads are told once
        per run of failures after it."""
        async with self.outbox.maker() as session:
            return (await session.execute(sa.select(sa.func.max(Delivery.id)).where(
                Delivery.kind == "team_digest", Delivery.team_id == team_id, Delivery.user_id.is_(None),
                Delivery.status == "sent"))).scalar_one_or_none() or 0

    def _notice(self, row: Delivery, error: str, team: dict[str, Any], target: dict[str, Any], uid: int,
                last_sent: int, now: datetime) -> Plan:
        """One lead's DM: the team's digest is failing, why, and where to fix it."""
        assert row.team_id is not None
        cycle = str((row.context or {}).get("cycle") or "")
        path = links.team(row.team_id, cycle) if cycle else "/admin/people"
        locale = target["locale"]
        text = t(locale, "digest.failing", team=plain(team["name"], 80), channel=row.channel or "",
                 error=plain(error, 200), url=links.url(self.public_url, "/admin/people"))
        message = Message(text=text.replace("*", ""), blocks=[section(text),
                                                              actions(open_button(locale, self.public_url, path))],
                          link=path)
        return Plan(key=f"digest_failing:team:{row.team_id}:after:{last_sent}:user:{uid}",
                    occurrence_id=f"digest_failing:team:{row.team_id}", kind="team_digest", message=message,
                    due_at=now, user_id=uid, team_id=row.team_id, channel=target["slack_user_id"], locale=locale,
                    timezone=target.get("timezone"), context={"digest_failing": row.id, "error": error})
