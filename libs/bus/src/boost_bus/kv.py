"""A NATS KV bucket a service's replicas share (Slack pacing and its event ledger in the
notifier, the scheduler's leader lock): opened, or created with a TTL and one value per key,
on first use and again after `forget()` (a failed call may mean NATS moved on without
us), and a compare-and-set change of one key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

R = TypeVar("R")


class SharedBucket:
    def __init__(self, bus: Any, name: str, ttl: float, replicas: int = 1) -> None:
        self.bus = bus
        self.name = bus.names.bucket(name) if bus is not None else name
        self.ttl = ttl
        self.replicas = replicas
        self.opened: KeyValue | None = None

    async def kv(self) -> KeyValue:
        if self.opened is None:
            js = self.bus.js
            try:
                self.opened = await js.key_value(self.name)
            except BucketNotFoundError:
                self.opened = await js.create_key_value(bucket=self.name, ttl=self.ttl, history=1,
                                                        replicas=self.replicas)
        return self.opened

    def forget(self) -> None:
        self.opened = None

    async def change(self, key: str, change: Callable[[bytes | None], tuple[R, bytes]], attempts: int = 200) -> R:
        """Read `key` (None when it has no value yet), write what `change` makes of it unless
        another replica wrote it meanwhile (then read again); `change`'s result."""
        kv = await self.kv()
        for _ in range(attempts):
            try:
                entry = await kv.get(key)
                value, revision = entry.value, entry.revision
            except KeyNotFoundError:
                value, revision = None, None
            result, new = change(value)
            try:
                if revision is None:
                    await kv.create(key, new)
                else:
                    await kv.update(key, new, last=revision)
                return result
            except KeyWrongLastSequenceError:
                continue  # another replica changed it meanwhile: read again
        raise RuntimeError(f"could not change {key} of {self.name}: too much contention")
