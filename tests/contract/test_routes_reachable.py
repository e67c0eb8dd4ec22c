"""Every route answers its own paths: routers are listed busiest first (FastAPI tries each
route in turn, so order costs CPU on every request), and a reordering must never let one
route take another's requests."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Match

SERVICES = ("okr", "feedback", "scheduler", "notifier", "connectors")  # realtime serves Socket.IO, a route or two


def _routes(routes: list[Any]) -> list[Any]:
    out = []
    for route in routes:
        if hasattr(route, "effective_candidates"):
            out += [getattr(c, "original_route", c) for c in route.effective_candidates()]
        else:
            out.append(route)
    return out


@pytest.mark.parametrize("service", SERVICES)
def test_each_route_is_the_first_to_match_its_own_path(service: str) -> None:
    app = importlib.import_module(f"{service}_service.main").create_app()
    routes = _routes(app.router.routes)
    api = [r for r in routes if isinstance(r, APIRoute)]
    assert api
    for route in api:
        path = re.sub(r"\{[^}]+\}", "7", route.path)
        for method in route.methods:
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
                     "query_string": b""}
            first = next(r for r in routes if r.matches(scope)[0] == Match.FULL)
            assert first is route or (first.path, method in first.methods) == (route.path, True), (
                f"{method} {path}: {route.path} is shadowed by {getattr(first, 'path', first)}")
