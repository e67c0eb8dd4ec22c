"""The scheduler service's ASGI app: `create_app(settings)`; nothing is built at import."""

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
from .reminders import views as reminder_views
from .settings import SchedulerSettings


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None,
               knobs: SchedulerSettings | None = None) -> FastAPI:
    settings = settings or BoostSettings()
    configure_logging("scheduler", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await bootstrap(settings, clock, knobs)
        # without okr's keys every caller is a 401
        async with serving(app.state, container, required={"database", "signing_keys"},
                           checks={"signing_keys": container.runtime.keys_ready}):
            container.leader.start()
            yield

    app = create_service_app("scheduler", lifespan=lifespan, title="Boost Scheduler", settings=settings)
    app.include_router(reminder_views.router)
    return app
