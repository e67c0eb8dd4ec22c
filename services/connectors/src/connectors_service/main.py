"""The connectors service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from boost_bus.runtime import serving
from boost_platform.clock import Clock
from boost_platform.logging import configure_logging
from boost_platform.settings import BoostSettings
from boost_platform.web import create_service_app
from fastapi import FastAPI

from .bindings import views as binding_views
from .bootstrap import bootstrap
from .sources import views as source_views


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or BoostSettings()
    configure_logging("connectors", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await bootstrap(settings, clock)
        async with serving(app.state, container, required={"database", "signing_keys"},
                           checks={"signing_keys": container.runtime.keys_ready}):
            if container.vault.rotating:
                await container.reseal()
            if container.scheduler is not None:
                container.scheduler.start()
            container.start_demo()
            yield

    app = create_service_app("connectors", lifespan=lifespan, title="Boost Connectors", settings=settings)
    for module in (source_views, binding_views):
        app.include_router(module.router)
    return app
