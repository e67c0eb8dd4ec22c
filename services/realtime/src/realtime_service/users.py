"""Who a socket belongs to: a person's name (for presence) and whether they are still
active, asked of okr (`okr.query.user`, as `service:realtime`) and cached; `okr.events.user.*`
keep the cache fresh."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from boost_bus import BusReplyError


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    active: bool


class UnknownPerson(LookupError):
    pass


Ask = Callable[[int], Awaitable[dict[str, Any]]]


class UserDirectory:
    def __init__(self, ask: Ask, ttl: float, now: Callable[[], float] = time.monotonic) -> None:
        self._ask = ask
        self._ttl = ttl
        self._now = now
        self._cache: dict[int, tuple[Person, float]] = {}
        self._pending: dict[int, asyncio.Future[Person]] = {}

    async def get(self, user_id: int) -> Person:
        """The person, from the cache or okr. UnknownPerson for an id okr doesn't know;
        other errors (okr unavailable) propagate, except that a stale entry is used then."""
        cached = self._cache.get(user_id)
        if cached is not None and self._now() - cached[1] < self._ttl:
            return cached[0]
        pending = self._pending.get(user_id)
        if pending is None:
            # Many tabs of one person (re)connect together after a deploy: ask okr once.
            pending = asyncio.ensure_future(self._fetch(user_id))
            self._pending[user_id] = pending
            pending.add_done_callback(lambda _f: self._pending.pop(user_id, None))
        try:
            return await asyncio.shield(pending)
        except UnknownPerson:
            raise
        except Exception:
            if cached is not None:
                return cached[0]
            raise

    async def _fetch(self, user_id: int) -> Person:
        try:
            body = await self._ask(user_id)
        except BusReplyError as exc:
            if exc.error.get("status") == 404:
                self._cache.pop(user_id, None)
                raise UnknownPerson(user_id) from exc
            raise
        person = _person(body)
        self._cache[person.id] = (person, self._now())
        return person

    def update(self, data: dict[str, Any], deleted: bool = False) -> Person | None:
        """Apply a `user.*` event; returns the person as now known."""
        try:
            person = _person(data)
        except (KeyError, TypeError, ValueError):
            return None
        if deleted:
            person = Person(person.id, person.name, False)
        self._cache[person.id] = (person, self._now())
        return person


def _person(body: dict[str, Any]) -> Person:
    user_id = body["id"]
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise ValueError("user id must be an integer")
    name = str(body.get("name") or body.get("email") or f"#{user_id}")[:200]
    return Person(id=user_id, name=name, active=bool(body.get("active", True)))
