"""The feedback service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from boost_bus.runtime import service_app
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings
from fastapi import FastAPI

from .bootstrap import Container, bootstrap
from .hub import views as hub_views
from .threads import views as thread_views


async def _start(container: Container) -> None:
    container.start_demo()


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None) -> FastAPI:
    # Writes survive a NATS outage through the outbox; the read model catches up after.
    # Without okr's keys every caller is a 401.
    return service_app("feedback", settings, lambda s: bootstrap(s, clock), title="Boost Feedback",
                       required={"database", "signing_keys"},
                       checks=lambda c: {"signing_keys": c.runtime.keys_ready, "read_model": c.read_model.ready},
                       start=_start, routers=[thread_views.router, hub_views.router])  # chat, the busier, first
