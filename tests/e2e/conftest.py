"""A real Chromium (Debian's), driven by Playwright, against the stack of tests/conftest.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import api_login, skip_or_fail

CHROMIUM = os.environ.get("BOOST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# Module scope: Playwright's sync API runs an event loop in this thread while it is
# open, which would stop the asyncio tests that come after it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def new_page(stack: Any, browser: Any) -> Iterator[Any]:
    contexts = []

    def factory(email: str, *, width: int = 1280, height: int = 900) -> Any:
        # bypass_csp: Playwright's wait_for_function evaluates its predicate with eval,
        # which the app's CSP (rightly) forbids; the page itself runs under the CSP.
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.base_url,
                                      locale="en-US", bypass_csp=True)
        cookies = api_login(stack.base_url, email)
        context.add_cookies([{"name": k, "value": v, "url": stack.base_url} for k, v in cookies.items()])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield factory
    for context in contexts:
        context.close()
