"""connectors' composition root: database (migrated), bus, vault, the source kinds, the
guarded HTTP client and the schedule. Tests reach the parts through `app.state.container`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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
from .directory import Directory
from .kinds import Kind, all_kinds
from .kinds.sql import SqlKind
from .runs.schedule import Scheduler
from .safehttp import HostRules, SafeHttp
from .vault import Vault, load_vault

SERVICE_DIR = Path(__file__).resolve().parents[2]


@dataclass
class Container(ServiceContainer):
    runtime: Runtime
    vault: Vault
    kinds: dict[str, Kind]
    http: SafeHttp
    directory: Directory
    scheduler: Scheduler | None = None
    demo: asyncio.Task[None] | None = None

    async def reseal(self) -> int:
        """BOOST_SECRETS_KEY lists an old key after the new one: re-seal everything stored."""
        from .sources.service import reseal_all

        async with self.runtime.maker() as session, session.begin():
            return await reseal_all(session, self.vault)

    def start_demo(self) -> None:
        """BOOST_DEMO=1: two data-fed key results in the demo company, once okr's demo is there."""
        from .demo import load_when_ready

        if self.settings.demo:
            self.demo = start_once(self.demo, lambda: load_when_ready(self))

    async def close(self) -> None:
        await cancel_quietly(self.demo)
        if self.scheduler is not None:
            await self.scheduler.close()
        sql = self.kinds.get("sql")
        if isinstance(sql, SqlKind):
            sql.close()
        await self.runtime.close()


async def bootstrap(settings: BoostSettings, clock: Clock | None = None) -> Container:
    vault = load_vault(settings)  # first: a missing key in production stops the start, before any I/O
    runtime = await open_runtime("connectors", settings, service_dir=SERVICE_DIR, outbox_table=models.outbox,
                                 clock=clock)

    async def on_connect(bus: object) -> None:
        await runtime.bus.ensure_streams()
        await follow_sessions(runtime.bus, runtime.verifier)

    runtime.bus.on_connect(on_connect)
    container = Container(runtime=runtime, vault=vault, kinds=all_kinds(),
                          http=SafeHttp(HostRules.parse(settings.connectors_allowed_hosts)),
                          directory=Directory(runtime.bus))
    container.scheduler = Scheduler(container, tick=settings.connectors_tick_seconds,
                                    lease=settings.connectors_lease_seconds)
    return container
