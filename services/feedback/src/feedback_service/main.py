"""The feedback service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from boost_bus.runtime import serving
from boost_platform.clock import Clock
from boost_platform.logging import configure_logging
from boost_platform.settings import BoostSettings
from boost_platform.web import create_service_app
from fastapi import FastAPI

from .bootstrap import bootstrap
from .hub import views as hub_views
from .threads import views as thread_views


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or BoostSettings()
    configure_logging("feedback", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await bootstrap(settings, clock)
        # Writes survive a NATS outage through the outbox; the read model catches up after.
        # Without okr's keys every caller is a 401.
        async with serving(app.state, container, required={"database", "signing_keys"},
                           checks={"signing_keys": container.runtime.keys_ready,
                                   "read_model": container.read_model.ready}):
            container.start_demo()
            yield

    app = create_service_app("feedback", lifespan=lifespan, title="Boost Feedback", settings=settings)
    for module in (hub_views, thread_views):
        app.include_router(module.router)
    return app
