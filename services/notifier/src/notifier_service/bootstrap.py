"""notifier's composition root: the runtime (db, bus, outbox, clock), okr over the bus, the
Slack Web API (none in record-only mode), the planner, the sender, the Slack-side app and
the directory sync. Tests pass their own clock and knobs, and a fake Slack by URL."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from boost_bus.runtime import Runtime, ServiceContainer, follow_sessions, open_runtime
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings

from . import models
from .deliveries.digest_alerts import DigestAlerts
from .deliveries.planner import Planner
from .deliveries.sender import Sender
from .directory.service import DirectorySync
from .okr import Okr
from .settings import NotifierSettings
from .slack.app import SlackApp, Tasks
from .slack.client import SlackPort, SlackWebApi
from .slack.pacing import KvSlots, Pacer
from .slack.verify import SlackGate
from .slack.workspace import EventLedger, Workspace

SERVICE_DIR = Path(__file__).resolve().parents[2]


def default_locale(settings: BoostSettings) -> str:
    """The org's language when a person has none (okr's rule: Korean for a Seoul org)."""
    return "ko" if settings.timezone == "Asia/Seoul" else "en"


@dataclass
class Container(ServiceContainer):
    runtime: Runtime
    knobs: NotifierSettings
    okr: Okr
    slack: SlackPort | None
    pacer: Pacer
    planner: Planner
    sender: Sender
    slack_gate: SlackGate
    slack_app: SlackApp
    directory: DirectorySync
    tasks: Tasks
    workspace: Workspace
    events: EventLedger

    async def start(self) -> None:
        self.workspace.start()
        await self.sender.start()
        self.directory.start()

    async def close(self) -> None:
        await self.tasks.close()
        await self.workspace.stop()
        await self.directory.stop()
        await self.sender.stop()
        if self.slack is not None:
            await self.slack.close()
        # Draining a connection with pull subscriptions waits on their queues until nats-py's
        # drain_timeout (30 s); nothing of ours is left to drain by now. TODO(libs): Bus.close.
        with contextlib.suppress(Exception):
            self.runtime.bus.nc.options["drain_timeout"] = 1
        await self.runtime.close()


async def bootstrap(settings: BoostSettings, clock: Clock | None = None, knobs: NotifierSettings | None = None,
                    slack: SlackPort | None = None) -> Container:
    knobs = knobs or NotifierSettings()
    runtime = await open_runtime("notifier", settings, service_dir=SERVICE_DIR, outbox_table=models.outbox, clock=clock)
    locale = default_locale(settings)
    okr = Okr(runtime.bus, locale)
    # One schedule of Slack calls for every replica (a NATS KV bucket): see slack/pacing.py.
    pacer = Pacer(knobs.send_rate, knobs.send_burst, knobs.channel_interval, store=KvSlots(runtime.bus, "slack_pace"))
    if slack is None and settings.slack_bot_token:
        slack = SlackWebApi(settings.slack_bot_token, settings.slack_api_url, pacer=pacer, retries=knobs.slack_retries,
                            timeout=knobs.slack_timeout_seconds)
    planner = Planner(okr, runtime.maker, public_url=settings.public_url, can_send=slack is not None,
                      default_locale=locale, default_timezone=settings.timezone)
    alerts = DigestAlerts(okr, runtime.outbox, runtime.clock, settings.public_url)
    sender = Sender(runtime.outbox, runtime.clock, slack, knobs, pacer, on_failed=alerts.failed)
    tasks = Tasks()
    slack_app = SlackApp(okr=okr, slack=slack, outbox=runtime.outbox, clock=runtime.clock, knobs=knobs,
                         public_url=settings.public_url, default_locale=locale, default_timezone=settings.timezone,
                         tasks=tasks)
    directory = DirectorySync(slack, okr, runtime.outbox, runtime.clock, knobs.directory_sync_hours,
                              daily=knobs.directory_sync_daily, allow_guests=settings.slack_allow_guests)
    container = Container(runtime=runtime, knobs=knobs, okr=okr, slack=slack, pacer=pacer, planner=planner,
                          sender=sender, slack_gate=SlackGate(settings.slack_signing_secret), slack_app=slack_app,
                          directory=directory, tasks=tasks,
                          workspace=Workspace(slack, settings.slack_team_id, knobs.slack_app_id),
                          events=EventLedger(runtime.bus))
    from .handlers import register_bus  # the consumers need the whole container

    runtime.bus.on_connect(lambda bus: register_bus(container))
    runtime.bus.on_connect(lambda bus: follow_sessions(runtime.bus, runtime.verifier))
    return container
