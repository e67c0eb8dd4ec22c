"""The connectors service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from boost_bus.runtime import service_app
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings
from fastapi import FastAPI

from .bindings import views as binding_views
from .bootstrap import Container, bootstrap
from .sources import views as source_views


async def _start(container: Container) -> None:
    if container.vault.rotating:
        await container.reseal()
    if container.scheduler is not None:
        container.scheduler.start()
    container.start_demo()


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None) -> FastAPI:
    return service_app("connectors", settings, lambda s: bootstrap(s, clock), title="Boost Connectors",
                       required={"database", "signing_keys"}, checks=lambda c: {"signing_keys": c.runtime.keys_ready},
                       start=_start, routers=[source_views.router, binding_views.router])
