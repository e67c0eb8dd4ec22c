"""The scheduler service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from boost_bus.runtime import service_app
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings
from fastapi import FastAPI

from .bootstrap import Container, bootstrap
from .reminders import views as reminder_views
from .settings import SchedulerSettings


async def _start(container: Container) -> None:
    container.leader.start()


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None,
               knobs: SchedulerSettings | None = None) -> FastAPI:
    # Without okr's keys every caller is a 401.
    return service_app("scheduler", settings, lambda s: bootstrap(s, clock, knobs), title="Boost Scheduler",
                       required={"database", "signing_keys"}, checks=lambda c: {"signing_keys": c.runtime.keys_ready},
                       start=_start, routers=[reminder_views.router])
