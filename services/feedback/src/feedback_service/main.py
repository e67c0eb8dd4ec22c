"""The feedback service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from boost_platform.logging import configure_logging
from boost_platform.settings import BoostSettings
from boost_platform.web import create_service_app

from .bootstrap import bootstrap


def create_app(settings: BoostSettings | None = None) -> FastAPI:
    settings = settings or BoostSettings()
    configure_logging("feedback", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await bootstrap(settings)
        runtime = container.runtime
        app.state.container = container
        app.state.ready_checks = {"database": runtime.db_ready, "nats": runtime.bus_ready}
        app.state.required_checks = {"database"}
        runtime.outbox.start()
        await runtime.bus.start()
        try:
            yield
        finally:
            await container.close()

    app = create_service_app("feedback", lifespan=lifespan, title="Boost Feedback")
    return app
