"""One okr service per test module (tests/support/stack.py), on real MariaDB and NATS, with
the seeded company.

The clock starts at 2027-01-10 (BOOST_NOW): 2027-Q1 is running, 2027-Q2 is next."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.stack import NOW, Okr, in_process, module_suffix


@pytest.fixture(scope="module")
async def okr(make_settings: Callable[..., Any], request: pytest.FixtureRequest) -> AsyncIterator[Okr]:
    async with in_process(make_settings(module_suffix(request), now=NOW), seeded=True) as stack:
        yield stack.okr
