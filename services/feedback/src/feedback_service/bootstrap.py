"""feedback's composition root: builds everything the service needs from settings.
Tests reach the parts through `app.state.container`."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from boost_bus import Bus, Outbox
from boost_bus.runtime import Runtime, follow_sessions, open_runtime
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings

from . import models
from .readmodel.consumer import ReadModel

SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Container:
    runtime: Runtime
    read_model: ReadModel

    @property
    def settings(self) -> BoostSettings:
        return self.runtime.settings

    async def close(self) -> None:
        await self.read_model.close()
        await stop_relay(self.runtime.outbox)
        await release_pull_subscriptions(self.runtime.bus)
        await self.runtime.close()


async def stop_relay(outbox: Outbox) -> None:
    """Stop the outbox relay even when a cancellation gets swallowed: on Python 3.11
    `asyncio.wait_for` (inside nats-py's publish, and the relay's own queue wait)
    drops a cancel that lands as its inner future completes, the relay loops on, and
    `Outbox.stop()` awaits it forever (seen as a 30 s hang at shutdown). Cancel until
    it ends, then let `stop()` do its last publish. Belongs in boost_bus (reported)."""
    task = outbox._task
    while task is not None and not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
    outbox._task = None


async def bootstrap(settings: BoostSettings, clock: Clock | None = None) -> Container:
    runtime = await open_runtime("feedback", settings, service_dir=SERVICE_DIR, outbox_table=models.outbox, clock=clock)
    read_model = ReadModel(runtime)

    async def on_connect(bus: object) -> None:
        await runtime.bus.ensure_streams()
        await follow_sessions(runtime.bus, runtime.verifier)
        # Catching up may wait for okr (a rebuild asks it): in the background, never
        # holding up the bus's own setup.
        read_model.start(runtime.bus)

    runtime.bus.on_connect(on_connect)
    return Container(runtime=runtime, read_model=read_model)


async def release_pull_subscriptions(bus: Bus) -> None:
    """Unsubscribe the pull consumer's inbox before `Bus.close()` drains the connection.
    A pull request still open when the consume loop is cancelled delivers one more
    message (or its 408 status) into a queue nobody reads, and nats-py's drain then
    waits its whole `drain_timeout` (30 s) for that queue. The durable consumer stays.
    Belongs in boost_bus (reported); sync subscriptions here are only pull inboxes."""
    if not bus.is_connected:
        return
    for sub in list(bus.nc._subs.values()):
        if sub._cb is None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
