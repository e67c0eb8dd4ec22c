"""Who is in which room and which field they are editing, as heard from every replica.

Each replica keeps its own board, fed by heartbeats over core NATS (its own sockets'
too) and expired locally: an entry not refreshed within `ttl` seconds goes, so a
replica that dies takes its people with it within `ttl` everywhere. No KV watch is
needed (the machine's NATS may be too old to announce TTL expiries)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Entry:
    user_id: int
    name: str
    field: str | None
    seen: float  # local monotonic time of the last heartbeat


Key = tuple[str, str]  # (replica, sid): one browser tab


class PresenceBoard:
    def __init__(self, ttl: float, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._now = now
        self._rooms: dict[str, dict[Key, Entry]] = {}

    def users(self, room: str) -> list[dict[str, Any]]:
        """The room's people, one entry per (person, field), in a stable order."""
        seen: dict[tuple[int, str | None], dict[str, Any]] = {}
        for entry in self._rooms.get(room, {}).values():
            seen.setdefault((entry.user_id, entry.field), {"id": entry.user_id, "name": entry.name, "field": entry.field})
        return sorted(seen.values(), key=lambda u: (u["name"], u["id"], u["field"] or ""))

    def beat(self, room: str, key: Key, user_id: int, name: str, field: str | None) -> bool:
        """Record a heartbeat; True when what the room shows changed."""
        entries = self._rooms.setdefault(room, {})
        old = entries.get(key)
        now = self._now()
        if old is not None and (old.user_id, old.name, old.field) == (user_id, name, field):
            old.seen = now  # the common case: a refresh that changes nothing anyone sees
            return False
        before = self.users(room)
        entries[key] = Entry(user_id, name, field, now)
        return self.users(room) != before

    def leave(self, room: str, key: Key) -> bool:
        entries = self._rooms.get(room)
        if not entries or key not in entries:
            return False
        before = self.users(room)
        del entries[key]
        if not entries:
            del self._rooms[room]
        return self.users(room) != before

    def rooms_of(self, key: Key) -> list[str]:
        return [room for room, entries in self._rooms.items() if key in entries]

    def expire(self) -> list[str]:
        """Drop entries older than ttl; the rooms whose view changed."""
        cutoff = self._now() - self.ttl
        changed: list[str] = []
        for room in list(self._rooms):
            entries = self._rooms[room]
            stale = [key for key, entry in entries.items() if entry.seen < cutoff]
            if not stale:
                continue
            before = self.users(room)
            for key in stale:
                del entries[key]
            if not entries:
                del self._rooms[room]
            if self.users(room) != before:
                changed.append(room)
        return changed
