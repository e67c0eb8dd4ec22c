"""Pacing under Slack's rate tiers: a workspace-wide token bucket and one-post-per-interval
per channel.

Slack doesn't publish exact limits, so the bucket adapts (AIMD): a 429 holds every sender
for its Retry-After and lowers the pace by a sixth; each second without one raises it by 2%
of the configured pace, never above it. A big batch then flows at about the highest rate
Slack allows, with a 429 now and then instead of storms."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from prometheus_client import Counter

RATE_LIMITED = Counter("boost_notifier_slack_rate_limited_total", "Slack answers of 429 (each holds every sender)")

DECREASE = 5 / 6
INCREASE_PER_SECOND = 0.02


class Pacer:
    def __init__(self, rate: float, burst: float = 1.0, channel_interval: float = 0.0) -> None:
        self.max_rate = rate
        self.rate = rate
        self.burst = max(1.0, burst)
        self.channel_interval = channel_interval
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._hold_until = 0.0
        self._lock = asyncio.Lock()
        self._channels: OrderedDict[str, float] = OrderedDict()

    def _refill(self, now: float) -> None:
        elapsed = now - self._stamp
        if self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate + self.max_rate * INCREASE_PER_SECOND * elapsed)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        """Wait for a send slot (FIFO among senders)."""
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._hold_until:
                    await asyncio.sleep(self._hold_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def refund(self) -> None:
        """A slot taken but not used (nothing was due)."""
        self._tokens = min(self.burst, self._tokens + 1)

    def hold(self, seconds: float) -> None:
        """Slack said 429: nobody sends for `seconds`; the pace drops (once per hold)."""
        RATE_LIMITED.inc()
        now = time.monotonic()
        if now >= self._hold_until:
            self.rate = max(self.max_rate * 0.05, self.rate * DECREASE)
        self._hold_until = max(self._hold_until, now + seconds)
        self._tokens = 0.0
        self._stamp = self._hold_until

    async def channel(self, channel: str | None) -> None:
        """Keep posts to one channel `channel_interval` apart."""
        if not channel or self.channel_interval <= 0:
            return
        now = time.monotonic()
        ready = self._channels.get(channel, 0.0)
        self._channels[channel] = max(now, ready) + self.channel_interval
        self._channels.move_to_end(channel)
        while len(self._channels) > 10_000:
            self._channels.popitem(last=False)
        if ready > now:
            await asyncio.sleep(ready - now)
