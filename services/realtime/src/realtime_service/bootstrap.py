"""realtime's composition root. realtime owns nothing durable, so there is no database
here: a bus, the token verifier (okr's keys and deny list, followed over the bus) and a
clock. Tests build their own Container with other settings or timings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from boost_bus import Bus
from boost_bus.runtime import follow_sessions
from boost_platform.auth import TokenVerifier
from boost_platform.clock import Clock, make_clock
from boost_platform.settings import BoostSettings

from .settings import RealtimeSettings

Hook = Callable[[], Awaitable[None]]


@dataclass
class Container:
    settings: BoostSettings
    options: RealtimeSettings
    bus: Bus
    verifier: TokenVerifier
    clock: Clock
    closers: list[Hook] = field(default_factory=list)

    async def bus_ready(self) -> bool:
        return await self.bus.ping()

    async def keys_ready(self) -> bool:
        return self.verifier.ready

    async def close(self) -> None:
        for closer in reversed(self.closers):
            await closer()
        await self.bus.close()


def bootstrap(settings: BoostSettings, options: RealtimeSettings | None = None, clock: Clock | None = None) -> Container:
    options = options or RealtimeSettings()
    bus = Bus(settings.nats_server_url(), settings.names, "realtime")
    verifier = TokenVerifier()
    bus.on_connect(lambda _bus: follow_sessions(bus, verifier))
    return Container(settings=settings, options=options, bus=bus, verifier=verifier,
                     clock=clock or make_clock(settings.now, settings.data_dir))
