"""The okr service's ASGI app: `create_app(settings)`; nothing is built at import."""

from __future__ import annotations

from boost_bus.runtime import service_app
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings
from fastapi import FastAPI

from .approvals import views as approval_views
from .auth import views as auth_views
from .bootstrap import bootstrap
from .check_ins import views as check_in_views
from .dashboard import views as dashboard_views
from .directory import views as directory_views
from .forecast import views as forecast_views
from .hints import views as hint_views
from .key_results import views as key_result_views
from .objectives import views as objective_views
from .org import views as org_views
from .reports import views as report_views


def create_app(settings: BoostSettings | None = None, clock: Clock | None = None) -> FastAPI:
    # Writes survive a NATS outage through the outbox: ready needs only the database.
    # The busiest routes first: a request is matched against each route in turn (FastAPI
    # tries every one before it, ~3 µs each), and a dashboard came after 55 others.
    app = service_app("okr", settings, lambda s: bootstrap(s, clock), title="Boost OKR", required={"database"},
                      routers=[m.router for m in (dashboard_views, check_in_views, auth_views, org_views,
                                                  directory_views, approval_views, objective_views,
                                                  key_result_views, report_views, hint_views, forecast_views)])

    app.add_middleware(auth_views.RenewSessions)
    return app
