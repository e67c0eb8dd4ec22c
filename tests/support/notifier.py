"""A running stack for the tests of the notifier with okr (tests/integration/notifier and the
reminder-path suites): the fake Slack, okr (seeded company with Slack ids) and the notifier
in-process, and helpers to publish events as the scheduler and feedback would.

Clock: Monday 11 January 2027, 10:00 in Seoul — 2027-Q1 runs, 2027-Q2 is next."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import nats
import sqlalchemy as sa
from boost_contracts.envelope import Envelope, Scope
from boost_platform.clock import OffsetClock
from boost_platform.settings import BoostSettings
from notifier_service.models import Delivery
from notifier_service.settings import NotifierSettings

from services.notifier.tests.fake_slack import SIGNING_SECRET, TOKEN, FakeSlack, Member, sign
from tests.support.stack import Stack as BaseStack
from tests.support.stack import in_process
from tests.support.waiting import until

PUBLIC_URL = "https://boost.example"
NOW = datetime(2027, 1, 11, 1, 0, tzinfo=UTC)  # Monday 10:00 in Seoul
SLACK_IDS = {"lead": "U0LEAD", "member": "U0MEMBER", "other": "U0OTHER", "ceo": "U0CEO"}


def knobs(**overrides: Any) -> NotifierSettings:
    values: dict[str, Any] = {"send_rate": 200, "send_burst": 50, "channel_interval": 0, "poll_seconds": 0.05,
                              "sender_ttl_seconds": 1.0, "directory_sync_daily": False, "slack_retries": 2,
                              "retry_max_seconds": 1.0}
    values.update(overrides)
    return NotifierSettings(_env_file=None, **values)  # type: ignore[call-arg]


class Stack(BaseStack):
    """okr and the notifier (`self.notifier`, its client) with the fake Slack, a NATS client
    of its own to publish as the scheduler and feedback would, and the delivery log."""

    slack: FakeSlack | None = None
    nc: Any = None
    js: Any = None
    objectives: dict[str, dict[str, Any]]

    @property
    def notifier(self) -> Any:
        return self.clients["notifier"]

    @property
    def container(self) -> Any:
        return self.container_of("notifier")

    @property
    def headers(self) -> dict[str, dict[str, str]]:
        return self.okr.headers

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        return self.okr.users

    @property
    def teams(self) -> dict[str, dict[str, Any]]:
        return {team: self.ids[team] for team in ("root", "product", "engineering")}

    # ------------------------------------------------------------------ okr
    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        return await self.okr.ok(who, method, path, **kwargs)

    async def objective(self, who: str, team: str, cycle: str, title: str, kr_title: str, *, submit_by: str | None = None,
                        approve_by: str | None = None) -> dict[str, Any]:
        obj = await self.okr.objective(who, team, cycle, title=title,
                                       key_results=[{"title": kr_title, "start": 0, "target": 100, "unit": "%"}])
        if submit_by:
            obj = await self.call(submit_by, "POST", f"/api/okr/objectives/{obj['id']}/submit")
        if approve_by:
            obj = await self.call(approve_by, "POST", f"/api/okr/objectives/{obj['id']}/approve")
        return obj

    # ------------------------------------------------------------------ bus
    async def publish(self, env: Envelope, msg_id: str | None = None) -> None:
        subject = self.settings.names.event(env.source, env.type)
        await self.js.publish(subject, env.to_json(), headers={"Nats-Msg-Id": msg_id or env.id})

    async def reminder(self, kind: str, cycle: str, day: date, local_time: str = "10:00", *, due_now: bool = False,
                       event_id: str | None = None) -> str:
        occurrence = f"reminder:{kind}:{cycle}:{day.isoformat()}"
        env = Envelope(id=event_id or occurrence, type="reminder.due", source="scheduler", actor_id="service:scheduler",
                       subject_id=occurrence, scope=Scope(cycle=cycle),
                       data={"occurrence_id": occurrence, "kind": kind, "cycle": cycle, "date": day.isoformat(),
                             "local_time": local_time, "due_now": due_now})
        await self.publish(env)
        return occurrence

    # ------------------------------------------------------------------ the delivery log
    async def rows(self, **where: Any) -> list[Delivery]:
        async with self.container.runtime.maker() as session:
            stmt = sa.select(Delivery).order_by(Delivery.id)
            for key, value in where.items():
                stmt = stmt.where(getattr(Delivery, key) == value)
            return list((await session.execute(stmt)).scalars())

    async def settle(self, timeout: float = 10.0, **where: Any) -> list[Delivery]:
        """Until nothing is due and unsent (rows scheduled for later stay scheduled)."""
        assert self.clock is not None  # notifier_stack gives one
        now = self.clock.now()

        async def done() -> bool:
            rows = await self.rows(**where)
            return not any(r.status == "sending" or (r.status == "scheduled" and r.due_at <= now) for r in rows)

        await until(done, timeout, "deliveries to settle")
        return await self.rows(**where)

    def user_id(self, who: str) -> int:
        return int(self.users[who]["id"])

    # ------------------------------------------------------------------ Slack → us
    async def slack_post(self, path: str, body: bytes, content_type: str = "application/x-www-form-urlencoded",
                         headers: dict[str, str] | None = None) -> Any:
        hdrs = {"Content-Type": content_type, **(headers if headers is not None else sign(body))}
        return await self.notifier.post(path, content=body, headers=hdrs)

    async def interact(self, payload: dict[str, Any]) -> Any:
        from urllib.parse import urlencode

        return await self.slack_post("/slack/interactions", urlencode({"payload": json.dumps(payload)}).encode())


async def seed(stack: Stack, max_nudges_per_week: int | None = 50) -> None:
    """`max_nudges_per_week`: most tests fire many reminders in one test week, so the weekly
    cap (§9) is lifted; None keeps the org's default (3), as test_fewer_nudges does."""
    if max_nudges_per_week is not None:
        await stack.call("admin", "PATCH", "/api/okr/org", json={"max_nudges_per_week": max_nudges_per_week})
    await stack.okr.seed_company()
    for who, slack_id in SLACK_IDS.items():
        await stack.call("admin", "PATCH", f"/api/okr/users/{stack.ids[who]['id']}", json={"slack_user_id": slack_id})
        await stack.as_(who)
    await stack.call("lead", "PATCH", f"/api/okr/users/{stack.user_id('lead')}", json={"locale": "ko"})
    for who in ("member", "other", "ceo"):
        await stack.call(who, "PATCH", f"/api/okr/users/{stack.user_id(who)}", json={"locale": "en"})
    await stack.call("admin", "PATCH", f"/api/okr/teams/{stack.teams['product']['id']}", json={"slack_channel_id": "C0PRODUCT"})
    # 2027-Q1 (running): approved objectives whose KRs nobody checked in yet.
    stack.objectives["q1_product"] = await stack.objective("member", "product", "2027-Q1", "Grow the product",
                                                           "Weekly actives", submit_by="member", approve_by="ceo")
    stack.objectives["q1_eng"] = await stack.objective("other", "engineering", "2027-Q1", "Ship faster", "Deploys",
                                                       submit_by="other", approve_by="lead")
    # 2027-Q2 (next): a Product draft not yet submitted.
    stack.objectives["q2_product"] = await stack.objective("member", "product", "2027-Q2", "Next quarter's bet", "Signups")
    # The approvals reach the notifier as okr events, on their own time: wait for them, or on a
    # slow machine their DMs land in the middle of the first test (settle() sees no row yet).
    approved = {stack.objectives["q1_product"]["id"], stack.objectives["q1_eng"]["id"]}

    async def decided() -> bool:
        return approved <= {r.objective_id for r in await stack.rows(kind="approval_decided")}
    await until(decided, 15, "the seed's approvals to reach the notifier")


@asynccontextmanager
async def notifier_stack(make_settings: Callable[..., BoostSettings], suffix: str, *, with_slack: bool = True,
                         notifier_knobs: NotifierSettings | None = None, now: datetime = NOW,
                         seeded: bool = True, fake: FakeSlack | None = None,
                         settings_overrides: dict[str, Any] | None = None) -> AsyncIterator[Stack]:
    async with AsyncExitStack() as exits:
        slack = None
        overrides: dict[str, Any] = {"public_url": PUBLIC_URL}
        if with_slack:
            slack = fake or FakeSlack(members=[])
            await exits.enter_async_context(slack)
            overrides.update(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.url)
        settings = make_settings(suffix, **{**overrides, **(settings_overrides or {})})
        nc = await nats.connect(settings.nats_server_url())
        exits.push_async_callback(nc.close)
        stack = await exits.enter_async_context(
            in_process(settings, "notifier", clock=OffsetClock(now - datetime.now(UTC)),
                       knobs={"notifier": notifier_knobs or knobs()}, stack_class=Stack))
        stack.slack, stack.nc, stack.js, stack.objectives = slack, nc, nc.jetstream(), {}
        if seeded:
            await seed(stack)
            await stack.settle()
        yield stack


__all__ = ["NOW", "PUBLIC_URL", "SLACK_IDS", "FakeSlack", "Member", "Stack", "knobs", "notifier_stack", "sign"]
