"""What a service's composition root wires first: its database (migrated), the bus,
the outbox relay, the clock and the token verifier. `bootstrap.py` of each service
builds one Runtime and adds its own parts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from boost_platform import db
from boost_platform.auth import TokenVerifier
from boost_platform.clock import Clock, make_clock
from boost_platform.logging import configure_logging, get_logger
from boost_platform.metrics import DB_POOL_IN_USE
from boost_platform.migrations import upgrade
from boost_platform.retry import until_done
from boost_platform.settings import BoostSettings
from boost_platform.web import create_service_app
from fastapi import APIRouter, FastAPI
from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .client import Bus
from .outbox import Outbox

log = get_logger("boost.runtime")


@dataclass
class Runtime:
    service: str
    settings: BoostSettings
    engine: AsyncEngine
    maker: async_sessionmaker[AsyncSession]
    bus: Bus
    outbox: Outbox
    clock: Clock
    verifier: TokenVerifier = field(default_factory=TokenVerifier)

    async def db_ready(self) -> bool:
        return await db.ping(self.engine)

    async def bus_ready(self) -> bool:
        return await self.bus.ping()

    async def keys_ready(self) -> bool:
        """okr's signing keys are loaded: until then every signed-in request would be a 401."""
        return self.verifier.ready

    async def close(self) -> None:
        await self.outbox.stop()
        await self.bus.close()
        await self.engine.dispose()


async def open_runtime(
    service: str,
    settings: BoostSettings,
    *,
    service_dir: Path,
    outbox_table: sa.Table,
    clock: Clock | None = None,
) -> Runtime:
    """Migrate the service's schema (under a named lock), connect the DB and the bus."""
    url = settings.service_database_url(service)
    await asyncio.to_thread(upgrade, service_dir, url, settings.names.lock(f"boost_migrate_{service}"))
    engine = db.create_engine(url)
    DB_POOL_IN_USE.labels(service).set_function(lambda: getattr(engine.sync_engine.pool, "checkedout", lambda: 0)())
    maker = db.sessionmaker(engine)
    bus = Bus(settings.nats_server_url(), settings.names, service, settings.stream_replicas)
    outbox = Outbox(maker, outbox_table, bus, settings.names, service, settings.outbox_sweep_seconds)
    return Runtime(
        service=service,
        settings=settings,
        engine=engine,
        maker=maker,
        bus=bus,
        outbox=outbox,
        clock=clock or make_clock(settings.now, settings.data_dir),
    )


async def follow_sessions(bus: Bus, verifier: TokenVerifier) -> None:
    """Keep the verifier's keys and deny list current: keys and active revocations
    from okr (`okr.query.jwks`), then every `okr.events.session.revoked` as it happens.
    Registered with `bus.on_connect` by every service except okr."""
    names = bus.names

    async def _revoked(msg: Msg) -> None:
        with contextlib.suppress(Exception):
            data: dict[str, Any] = json.loads(msg.data)["data"]
            verifier.revoke(data["jti"], int(data["exp"]))

    await bus.subscribe(names.event("okr", "session.revoked"), _revoked)

    async def _load() -> None:
        reply = await bus.request(names.query("okr", "jwks"), {}, timeout=2)
        verifier.load_jwks(reply["jwks"])
        for item in reply.get("revoked", []):
            verifier.revoke(item["jti"], int(item["exp"]))

    bus._spawn(until_done(_load, log, "waiting for okr's signing keys", most=2))


class ServiceContainer:
    """What every service's container (a dataclass with a `runtime` field) inherits: its
    settings, which are its runtime's."""

    runtime: Runtime

    @property
    def settings(self) -> BoostSettings:
        return self.runtime.settings


class Served(Protocol):
    """A service's container: its runtime, and how it closes (the runtime last)."""

    runtime: Runtime

    async def close(self) -> None: ...


ReadyCheck = Callable[[], Awaitable[Any]]


@contextlib.asynccontextmanager
async def serving(state: Any, container: Served, *, checks: dict[str, ReadyCheck] | None = None,
                  required: set[str]) -> AsyncIterator[Runtime]:
    """The life every service with a database lives, in one place: the container on the app's
    state, its readiness checks (the database and NATS, plus `checks`; `required` are those
    without which it answers not-ready), the outbox relay and the bus started; the container
    closed at the end whatever happened. The service starts its own parts inside the block."""
    runtime = container.runtime
    state.container = container
    state.ready_checks = {"database": runtime.db_ready, "nats": runtime.bus_ready, **(checks or {})}
    state.required_checks = required
    try:
        runtime.outbox.start()
        await runtime.bus.start()
        yield runtime
    finally:
        await container.close()


def start_once(task: asyncio.Task[None] | None, start: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
    """A background task started at most once (a demo loader, a catch-up)."""
    return task if task is not None else asyncio.ensure_future(start())


async def cancel_quietly(task: asyncio.Task[None] | None) -> None:
    """Stop a background task at shutdown; whatever it was doing is abandoned, not reported."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


S = TypeVar("S", bound=Served)


def service_app(
    service: str,
    settings: BoostSettings | None,
    build: Callable[[BoostSettings], Awaitable[S]],
    *,
    title: str,
    required: set[str],
    checks: Callable[[S], dict[str, ReadyCheck]] | None = None,
    start: Callable[[S], Awaitable[None]] | None = None,
    routers: Iterable[APIRouter] = (),
) -> FastAPI:
    """The ASGI app of a service with a database, in one place: its settings (the
    environment's unless given), its logging, the shared HTTP shell (`create_service_app`)
    with its routers, and a lifespan that builds the container, serves it (`serving`:
    `required` and `checks` are its readiness) and then `start`s the service's own parts.
    Nothing is built before the lifespan runs."""
    settings = settings or BoostSettings()
    configure_logging(service, settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await build(settings)
        async with serving(app.state, container, required=required,
                           checks=checks(container) if checks is not None else None):
            if start is not None:
                await start(container)
            yield

    app = create_service_app(service, lifespan=lifespan, title=title, settings=settings)
    for router in routers:
        app.include_router(router)
    return app
