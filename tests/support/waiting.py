"""Waiting for something a test expects to happen soon."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition", every: float = 0.05) -> Any:
    """Call check (sync or async) until it returns something truthy, and return that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


def eventually(page: Any, expression: str, arg: Any = None, timeout: float = 15.0, what: str | None = None) -> Any:
    """Evaluate `expression` (a JS expression or function, given `arg`) in a Playwright page until
    it is truthy, and return its value. Playwright's own wait_for_function compiles its predicate
    with eval inside the page, which the app's Content-Security-Policy forbids; page.evaluate
    runs through the DevTools protocol, so the pages under test keep their production CSP."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or expression[:120]}")
        time.sleep(0.05)
