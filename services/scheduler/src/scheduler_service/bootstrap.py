"""scheduler's composition root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boost_bus.runtime import Runtime, follow_sessions, open_runtime
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings

from . import models

SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Container:
    runtime: Runtime

    async def close(self) -> None:
        await self.runtime.close()


async def bootstrap(settings: BoostSettings, clock: Clock | None = None) -> Container:
    runtime = await open_runtime("scheduler", settings, service_dir=SERVICE_DIR, outbox_table=models.outbox, clock=clock)
    runtime.bus.on_connect(lambda bus: bus.ensure_streams())
    runtime.bus.on_connect(lambda bus: follow_sessions(runtime))
    return Container(runtime=runtime)
