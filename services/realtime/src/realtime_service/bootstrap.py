"""realtime's composition root. realtime owns nothing durable, so there is no database
here: a bus, the token verifier (okr's keys and deny list, followed over the bus) and a
clock. Tests build their own Container with other settings or timings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from boost_bus import Bus
from boost_bus.runtime import follow_sessions
from boost_platform.auth import TokenVerifier
from boost_platform.clock import Clock, make_clock
from boost_platform.settings import BoostSettings

from .settings import RealtimeSettings

if TYPE_CHECKING:
    from boost_bus.runtime import Runtime

Hook = Callable[[], Awaitable[None]]


class RealtimeBus(Bus):
    """The shared Bus, plus a hook when NATS comes back: core subscriptions miss what was
    published while we were cut off, so the sockets are told to resync."""

    def __init__(self, url: str, settings: BoostSettings) -> None:
        super().__init__(url, settings.names, "realtime")
        self.reconnect_hooks: list[Hook] = []

    async def _on_reconnect(self) -> None:
        await super()._on_reconnect()
        for hook in self.reconnect_hooks:
            await hook()


@dataclass
class _SessionFollower:
    """The three parts of a Runtime that `follow_sessions` uses (realtime has no DB)."""

    settings: BoostSettings
    bus: Bus
    verifier: TokenVerifier


@dataclass
class Container:
    settings: BoostSettings
    options: RealtimeSettings
    bus: RealtimeBus
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
    bus = RealtimeBus(settings.nats_server_url(), settings)
    verifier = TokenVerifier()
    follower = _SessionFollower(settings, bus, verifier)
    # follow_sessions only reads .settings, .bus and .verifier (a Runtime without a DB would remove this shim).
    bus.on_connect(lambda _bus: follow_sessions(cast("Runtime", follower)))
    return Container(settings=settings, options=options, bus=bus, verifier=verifier,
                     clock=clock or make_clock(settings.now, settings.data_dir))
