"""One okr service per test module, on real MariaDB and NATS, with a seeded company.

The clock starts at 2027-01-10 (BOOST_NOW): 2027-Q1 is running, 2027-Q2 is next."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.okr import Okr, login_user, okr_app, seed_company

NOW = "2027-01-10T01:00:00+00:00"


@pytest.fixture(scope="module")
async def okr(make_settings: Callable[..., Any], request: pytest.FixtureRequest) -> AsyncIterator[Okr]:
    suffix = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:12]
    settings = make_settings(suffix, now=NOW)
    async with okr_app(settings) as client:
        o = Okr(client)
        o.headers["admin"], o.users["admin"] = await login_user(client, "admin@boost.example")
        seeded = await seed_company(client, o.headers["admin"])
        o.ids = {"root": seeded["root"], "product": seeded["product"], "engineering": seeded["engineering"],
                 "admin": o.users["admin"], **seeded["people"]}
        yield o
