"""Pacing under Slack's rate limits: one budget per Web API method (Slack's tiers) and one
per channel (`chat.postMessage`: about one message a second per channel), shared by every
notifier replica.

Each budget is a GCRA slot schedule (a token bucket kept as one number, the "theoretical
arrival time" `tat`): taking a slot moves `tat` on by `1/rate` and says how long to wait
before using it; `burst` slots may be taken at once. A 429 for a method pushes that
method's `tat` past `Retry-After`, and only that method's: a 429 on `users.list` does not
slow a reminder.

Where the schedule lives is a `SlotStore`: `LocalSlots` (one process: tests, one replica)
or `KvSlots` (a NATS KV bucket, each slot taken with a compare-and-set on the key's
revision), so two replicas together stay within Slack's limit instead of each spending it
in full. A KV round trip per message is cheap next to Slack's ~1 s pace; if NATS is
unreachable the pacer falls back to this replica's own schedule (logged) rather than stop
sending."""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from boost_bus.kv import SharedBucket
from boost_platform.logging import get_logger
from prometheus_client import Counter

log = get_logger("notifier.pacing")

R = TypeVar("R")
RATE_LIMITED = Counter("boost_notifier_slack_rate_limited_total", "Slack answers of 429 (each holds that method)")

# Slack's tiers (calls per second; Tier 2 is 20+/min, Tier 3 50+/min, Tier 4 100+/min), for the
# methods the notifier calls. chat.postMessage is "special": its rate is the `send_rate` knob.
TIER_2, TIER_3, TIER_4 = 20 / 60, 50 / 60, 100 / 60
METHOD_RATES: dict[str, float] = {
    "users.list": TIER_2,
    "conversations.list": TIER_2,
    "conversations.info": TIER_3,
    "chat.update": TIER_3,
    "chat.unfurl": TIER_3,
    "auth.test": TIER_4,
    "bots.info": TIER_3,
    "views.open": TIER_4,
    "views.publish": TIER_4,
}
POST = "chat.postMessage"


@dataclass(frozen=True)
class Budget:
    interval: float  # seconds per call
    tolerance: float  # how far ahead of `now` the schedule may run without waiting (burst - 1 slots)


class SlotStore(Protocol):
    async def take(self, key: str, budget: Budget, now: float) -> float:
        """Take the next slot of `key`; the seconds to wait before using it."""

    async def push_back(self, key: str, until: float) -> None:
        """Nobody uses `key` before `until` (wall clock)."""


def _next(tat: float, budget: Budget, now: float) -> tuple[float, float]:
    """GCRA: (when this slot may be used, the new tat)."""
    tat = max(tat, now)
    return max(now, tat - budget.tolerance), tat + budget.interval


class LocalSlots:
    """The schedule of one process."""

    def __init__(self) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()

    async def take(self, key: str, budget: Budget, now: float) -> float:
        at, self._tat[key] = _next(self._tat.get(key, 0.0), budget, now)
        self._tat.move_to_end(key)
        while len(self._tat) > 10_000:
            self._tat.popitem(last=False)
        return at - now

    async def push_back(self, key: str, until: float) -> None:
        self._tat[key] = max(self._tat.get(key, 0.0), until)


class KvSlots:
    """The schedule in a NATS KV bucket shared by the replicas (compare-and-set per slot)."""

    def __init__(self, bus: Any, bucket: str, ttl: float = 3600.0) -> None:
        self.bucket = SharedBucket(bus, bucket, ttl)
        self._local = LocalSlots()
        self._warned = False

    @staticmethod
    def _key(key: str) -> str:
        # KV keys allow [-/_=.a-zA-Z0-9]: method names and Slack ids fit; anything else is hexed.
        return key if all(c.isalnum() or c in "-_=." for c in key) else "x" + key.encode().hex()

    async def _cas(self, key: str, change: Callable[[float], tuple[R, float]]) -> R:
        def on_bytes(value: bytes | None) -> tuple[R, bytes]:
            result, new_tat = change(float(json.loads(value or b"0")))
            return result, json.dumps(new_tat).encode()

        return await self.bucket.change(self._key(key), on_bytes)

    async def take(self, key: str, budget: Budget, now: float) -> float:
        try:
            def change(tat: float) -> tuple[float, float]:
                at, new = _next(tat, budget, now)
                return at - now, new

            wait = await self._cas(key, change)
            self._warned = False
            return wait
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.bucket.forget()
            if not self._warned:
                log.warning("shared Slack pacing unavailable; pacing this replica alone", error=repr(exc)[:200])
                self._warned = True
            return await self._local.take(key, budget, now)

    async def push_back(self, key: str, until: float) -> None:
        try:
            await self._cas(key, lambda tat: (None, max(tat, until)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.bucket.forget()
            log.info("could not share a 429's hold", error=repr(exc)[:200])
            await self._local.push_back(key, until)


class Pacer:
    def __init__(self, rate: float, burst: float = 1.0, channel_interval: float = 0.0,
                 store: SlotStore | None = None, method_rates: dict[str, float] | None = None) -> None:
        self.post_budget = Budget(1.0 / rate, (max(1.0, burst) - 1.0) / rate)
        self.channel_interval = channel_interval
        self.method_rates = {**METHOD_RATES, **(method_rates or {})}
        self.store: SlotStore = store or LocalSlots()

    def budget(self, method: str) -> Budget | None:
        if method == POST:
            return self.post_budget
        rate = self.method_rates.get(method)
        return Budget(1.0 / rate, 2.0 / rate) if rate else None  # a little burst: a few pages at once

    async def acquire(self, method: str = POST) -> None:
        """Wait for a slot of `method` (every replica counts against the same schedule)."""
        budget = self.budget(method)
        if budget is None:
            return
        wait = await self.store.take(f"m.{method}", budget, time.time())
        if wait > 0:
            await asyncio.sleep(wait)

    async def hold(self, method: str, seconds: float) -> None:
        """Slack said 429 for `method`: nobody calls it for `seconds`; other methods go on."""
        RATE_LIMITED.inc()
        budget = self.budget(method)
        # Past the hold, no burst either: the schedule resumes one slot at a time.
        until = time.time() + max(0.0, seconds) + (budget.tolerance if budget else 0.0)
        await self.store.push_back(f"m.{method}", until)

    async def channel(self, channel: str | None) -> None:
        """Keep posts to one channel `channel_interval` apart."""
        if not channel or self.channel_interval <= 0:
            return
        wait = await self.store.take(f"c.{channel}", Budget(self.channel_interval, 0.0), time.time())
        if wait > 0:
            await asyncio.sleep(wait)
