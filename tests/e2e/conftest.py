"""A real Chromium (Debian's), driven by Playwright, against the stack of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import api_login


@pytest.fixture
def new_page(stack: Any, browser: Any) -> Iterator[Any]:
    """Pages of signed-in people, closed after each test (a page left open would still be
    on the draft page for the next test's presence)."""
    contexts = []

    def factory(email: str, *, width: int = 1280, height: int = 900, timezone_id: str | None = None) -> Any:
        # Under the app's own production Content-Security-Policy (no bypass_csp): waits that
        # need a predicate use tests.support.waiting.eventually, not wait_for_function's eval.
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.base_url,
                                      locale="en-US", timezone_id=timezone_id)
        cookies = api_login(stack.base_url, email)
        context.add_cookies([{"name": k, "value": v, "url": stack.base_url} for k, v in cookies.items()])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield factory
    for context in contexts:
        context.close()
