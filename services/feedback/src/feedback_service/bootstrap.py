"""feedback's composition root: builds everything the service needs from settings.
Tests reach the parts through `app.state.container`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from boost_bus.runtime import (
    Runtime,
    ServiceContainer,
    cancel_quietly,
    follow_sessions,
    open_runtime,
    start_once,
)
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings

from . import models
from .readmodel.consumer import ReadModel

SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Container(ServiceContainer):
    runtime: Runtime
    read_model: ReadModel
    demo: asyncio.Task[None] | None = field(default=None)

    def start_demo(self) -> None:
        """BOOST_DEMO=1: the demo company's feedback and chat, once okr's demo has reached us."""
        from .demo import load_when_ready

        if self.settings.demo:
            self.demo = start_once(self.demo, lambda: load_when_ready(self))

    async def close(self) -> None:
        await cancel_quietly(self.demo)
        await self.read_model.close()
        await self.runtime.close()


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
