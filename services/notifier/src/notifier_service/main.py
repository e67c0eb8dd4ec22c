"""The notifier service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from boost_bus.runtime import service_app
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings
from fastapi import FastAPI

from .bootstrap import Container, bootstrap
from .deliveries import views as delivery_views
from .directory import views as directory_views
from .settings import NotifierSettings
from .slack import channels as slack_channels
from .slack import views as slack_views


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None,
               knobs: NotifierSettings | None = None) -> FastAPI:
    # Without okr's keys every caller is a 401; with a bot token of another workspace every
    # message would go to the wrong company (`slack` says what is wrong).
    return service_app("notifier", settings, lambda s: bootstrap(s, clock, knobs), title="Boost Notifier",
                       required={"database", "signing_keys", "slack"},
                       checks=lambda c: {"signing_keys": c.runtime.keys_ready, "slack": c.workspace.ready},
                       start=Container.start,
                       routers=[m.router for m in (delivery_views, directory_views, slack_views, slack_channels)])
