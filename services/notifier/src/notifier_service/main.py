"""The notifier service's ASGI app: `create_app(settings)`; nothing is built at import."""

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
from .deliveries import views as delivery_views
from .directory import views as directory_views
from .settings import NotifierSettings
from .slack import channels as slack_channels
from .slack import views as slack_views


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None,
               knobs: NotifierSettings | None = None) -> FastAPI:
    settings = settings or BoostSettings()
    configure_logging("notifier", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await bootstrap(settings, clock, knobs)
        # Without okr's keys every caller is a 401; with a bot token of another workspace every
        # message would go to the wrong company (`slack` says what is wrong).
        async with serving(app.state, container, required={"database", "signing_keys", "slack"},
                           checks={"signing_keys": container.runtime.keys_ready, "slack": container.workspace.ready}):
            await container.start()
            yield

    app = create_service_app("notifier", lifespan=lifespan, title="Boost Notifier", settings=settings)
    for module in (delivery_views, directory_views, slack_views, slack_channels):
        app.include_router(module.router)
    return app
