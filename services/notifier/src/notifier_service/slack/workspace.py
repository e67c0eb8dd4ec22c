"""Staying in our lane: which Slack workspace and app Boost is, and each event once.

`Workspace` checks at start (`auth.test`) that the bot token belongs to
`BOOST_SLACK_TEAM_ID`, learns the app's id (`bots.info`, unless `BOOST_NOTIFIER_SLACK_APP_ID`
is set), says what is wrong in the log and in `/readyz`, and refuses requests signed with our
secret but naming another team or app (logged once per team and app; answered 200 with an
empty body, which is what Slack expects).

`EventLedger` makes Slack's event retries (`X-Slack-Retry-Num`, the same `event_id`) happen
once across every replica: the first to `create` the event's key in a NATS KV bucket
handles it; the bucket's TTL (an hour: Slack retries within minutes) forgets old ids."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from boost_bus.kv import SharedBucket
from boost_platform.logging import get_logger

from .client import SlackPort, classify

log = get_logger("notifier.slack.workspace")


class Workspace:
    def __init__(self, slack: SlackPort | None, team_id: str | None, app_id: str | None) -> None:
        self.slack = slack
        self.team_id = team_id  # BOOST_SLACK_TEAM_ID
        self.app_id = app_id
        self.problem: str | None = None  # what is wrong with the token, for the log and /readyz
        self.checked = False
        self._refused: set[tuple[str, str]] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.slack is not None:
            self._task = asyncio.ensure_future(self._check_until_known())

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=5)

    async def _check_until_known(self) -> None:
        delay = 1.0
        while not self.checked:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Slack unreachable: we can't tell yet; sends retry meanwhile
                log.warning("auth.test did not answer; will check again", error=classify(exc).error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def check(self) -> None:
        """`auth.test`: does the bot token belong to this workspace? (and which app is it)"""
        assert self.slack is not None
        try:
            me = await self.slack.auth_test()
        except Exception as exc:
            failure = classify(exc)
            if failure.verdict != "failed":
                raise
            self.problem = f"the Slack bot token is refused by Slack ({failure.error})"
            self.checked = True
            log.error("Slack bot token refused: check BOOST_SLACK_BOT_TOKEN", error=failure.error)
            return
        team = str(me.get("team_id") or "")
        if self.team_id and team != self.team_id:
            self.problem = (f"the Slack bot token belongs to workspace {team} ({me.get('team', '?')}), "
                            f"not BOOST_SLACK_TEAM_ID={self.team_id}")
            log.error("Slack bot token is for another workspace: fix BOOST_SLACK_BOT_TOKEN or BOOST_SLACK_TEAM_ID",
                      token_team=team, configured_team=self.team_id)
        elif not self.team_id:
            self.team_id = team
            log.warning("BOOST_SLACK_TEAM_ID is not set; using the bot token's workspace", team_id=team)
        if self.app_id is None and me.get("bot_id"):
            try:
                self.app_id = (await self.slack.bot_app_id(str(me["bot_id"]))) or None
            except Exception as exc:
                log.info("bots.info did not name our app; api_app_id is not checked", error=repr(exc)[:200])
        self.checked = True
        if self.problem is None:
            log.info("Slack workspace checked", team_id=team, app_id=self.app_id)

    async def ready(self) -> bool | str:
        """For /readyz: up, or what is wrong (a token for another workspace, or refused)."""
        return self.problem or True

    def foreign(self, team_id: str | None, app_id: str | None, where: str) -> bool:
        """A signed request naming another workspace or app: refused (logged once per pair)."""
        wrong_team = bool(self.team_id and team_id and team_id != self.team_id)
        wrong_app = bool(self.app_id and app_id and app_id != self.app_id)
        if not (wrong_team or wrong_app):
            return False
        pair = (team_id or "", app_id or "")
        if pair not in self._refused and len(self._refused) < 1000:
            self._refused.add(pair)
            log.warning("refused a Slack request from another workspace or app", where=where, team_id=team_id,
                        api_app_id=app_id, expected_team=self.team_id, expected_app=self.app_id)
        return True


class EventLedger:
    """Each Slack `event_id` handled once across replicas (NATS KV `create`); this replica's
    memory when NATS is unreachable."""

    def __init__(self, bus: Any, bucket: str = "slack_events", ttl: float = 3600.0) -> None:
        self.bucket = SharedBucket(bus, bucket, ttl)
        self._local: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, event_id: str | None) -> bool:
        if not event_id:
            return True
        from nats.js.errors import KeyWrongLastSequenceError

        key = "ev." + "".join(c if c.isalnum() or c in "-_" else "_" for c in event_id)[:200]
        try:
            kv = await self.bucket.kv()
            await kv.create(key, b"1")
            return True
        except KeyWrongLastSequenceError:
            return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.bucket.forget()
            log.info("event ledger unavailable; deduplicating in this replica only", error=repr(exc)[:200])
        if event_id in self._local:
            return False
        self._local[event_id] = time.monotonic()
        while len(self._local) > 5000:
            self._local.popitem(last=False)
        return True
