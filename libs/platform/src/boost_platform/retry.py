"""Waiting for another party that will come (okr at start, NATS after a cut), in one place:
try, and after each failure wait 0.2 s, then twice as long each time up to `most`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

T = TypeVar("T")


async def until_done(attempt: Callable[[], Awaitable[T]], log: structlog.stdlib.BoundLogger, waiting: str, *,
                     most: float, warn: bool = False, first: float = 0.2) -> T:
    """`attempt`'s result once it succeeds; each failure is logged as `waiting` (a warning with
    `warn`, else info). Cancelling stops it at once."""
    delay = first
    while True:
        try:
            return await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            (log.warning if warn else log.info)(waiting, error=repr(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, most)
