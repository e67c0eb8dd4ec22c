"""The realtime service's ASGI app: `create_app(settings)`; nothing is built at import.

Socket.IO answers `/socket.io/`; everything else (`/api/realtime/{healthz,readyz,metrics,
openapi.json}`) is the shared FastAPI shell. One uvicorn worker per process; scale out
with more processes (any replica serves any room)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from boost_platform.clock import Clock
from boost_platform.logging import configure_logging, get_logger
from boost_platform.settings import BoostSettings
from boost_platform.web import create_service_app
from fastapi import FastAPI

from .bootstrap import bootstrap
from .hub import Hub, quiet_malformed_packets
from .settings import RealtimeSettings

log = get_logger("boost.realtime")


class RealtimeApp(socketio.ASGIApp):  # type: ignore[misc]
    """The ASGI app uvicorn runs, with handles on its parts for tests and the bench."""

    def __init__(self, hub: Hub, api: FastAPI) -> None:
        super().__init__(hub.sio, other_asgi_app=api, socketio_path="socket.io")
        self.hub = hub
        self.api = api

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ValueError as exc:
            # python-engineio raises out of its websocket loop on a frame that is not an
            # Engine.IO packet; the socket is closed already. A client's garbage, not our error.
            if scope.get("type") != "websocket":
                raise
            log.warning("malformed websocket frame; connection closed", error=repr(exc)[:200])


def create_app(settings: BoostSettings | None = None, options: RealtimeSettings | None = None,
               clock: Clock | None = None) -> RealtimeApp:
    settings = settings or BoostSettings()
    options = options or RealtimeSettings()
    configure_logging("realtime", settings.log_level, settings.log_json)
    quiet_malformed_packets()
    hub = Hub(settings, options)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = bootstrap(settings, options, clock)
        app.state.container = container
        # realtime keeps nothing durable: ready means it hears the bus. Keys are reported
        # too (sockets are refused until okr has sent them).
        app.state.ready_checks = {"nats": container.bus_ready, "signing_keys": container.keys_ready}
        app.state.required_checks = {"nats", "signing_keys"}  # no keys: every socket would be refused
        await hub.start(container)
        await container.bus.start()
        try:
            yield
        finally:
            await hub.stop()
            await container.close()

    api = create_service_app("realtime", lifespan=lifespan, title="Boost Realtime", settings=settings)
    return RealtimeApp(hub, api)
