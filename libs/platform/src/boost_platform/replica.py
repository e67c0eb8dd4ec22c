"""Reads that tolerate lag (search, export, calibration, history) on a MariaDB replica
(`BOOST_<SERVICE>_READ_DATABASE_URL`), falling back to the primary when the replica fails.

Only for reads a person does not expect to contain what they wrote a moment ago: a
replica is behind the primary by its replication lag (normally well under a second, more
under load or after a restart). Anything that must read its own writes — a write's
transaction, a page that shows what was just saved, permissions — uses the service's own
session, never this. A read is rerun on the primary when the replica errs (down, not
caught up with a migration, cut off mid-query): it only reads, so running it twice is
harmless, and the person gets their answer instead of a 500. After a failure the replica
is left alone for `retry_after` seconds, so a dead one costs one failed connect per
interval, not one per request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .db import create_engine, sessionmaker
from .logging import get_logger
from .metrics import READ_REPLICA_FALLBACKS

T = TypeVar("T")
log = get_logger("boost.replica")


class ReadReplica:
    def __init__(self, service: str, primary: async_sessionmaker[AsyncSession], url: str | None, *,
                 retry_after: float = 5.0) -> None:
        self.service = service
        self.primary = primary
        self.engine: AsyncEngine | None = create_engine(url, pool_size=5) if url else None
        self.maker = sessionmaker(self.engine) if self.engine is not None else None
        self.retry_after = retry_after
        self._down_until = 0.0

    @property
    def in_use(self) -> bool:
        """A replica is configured and not resting after a failure."""
        return self.maker is not None and time.monotonic() >= self._down_until

    async def read(self, query: Callable[[AsyncSession], Awaitable[T]], *,
                   lag_errors: tuple[type[Exception], ...] = ()) -> T:
        """`query(session)` on the replica, or on the primary when there is none or it fails.
        `lag_errors`: what the replica may raise only because it is behind (a 404 for a row
        created a moment ago): asked again on the primary, which has the last word."""
        if self.maker is not None and self.in_use:
            try:
                async with self.maker() as session:
                    return await query(session)
            except lag_errors:
                pass
            except (sa.exc.DBAPIError, OSError, TimeoutError) as exc:
                self._down_until = time.monotonic() + self.retry_after
                READ_REPLICA_FALLBACKS.labels(self.service).inc()
                log.warning("read replica failed; reading from the primary", error=repr(exc)[:300],
                            retry_after=self.retry_after)
        async with self.primary() as session:
            return await query(session)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
