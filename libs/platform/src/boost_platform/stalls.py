"""Event-loop stalls: how late the loop runs, and what held it when it stopped.

A service answers everything on one event loop, so anything that holds it (a long
computation, a blocking call, a full garbage collection) delays every request in flight
at once: the one-second stalls of the whole-system bench looked exactly like that, and a
latency histogram cannot say what caused them. Two parts:

- a task on the loop wakes every `TICK` and records how late it woke
  (`boost_event_loop_lag_seconds`);
- a watchdog thread looks at the task's last tick; while the loop is `STALL` or more
  late for it, it samples the loop thread's Python stack (`sys._current_frames`), and
  when the loop moves again it logs "event loop stalled" with how long, and where the
  loop was each time it looked (the innermost frames, the most seen first).

Costs: 10 wake-ups a second on the loop and about 5 in the thread while the loop is on
time (each takes the GIL for a few microseconds); the thread looks every `SAMPLE_EVERY`
only during a stall. (It was 20 and 40: under the load bench the watch alone was 0.25 ms of
okr's CPU per request at 50 req/s, in every service.)"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator

from prometheus_client import Counter, Histogram

from .logging import get_logger

TICK = 0.1  # s between the loop task's wake-ups
STALL = 0.1  # s late for a tick: a stall (sampled, logged and counted)
SAMPLE_EVERY = 0.025  # s between the watchdog's looks
FRAMES = 8  # innermost frames kept per sample

LOOP_LAG = Histogram(
    "boost_event_loop_lag_seconds",
    "How late the event loop ran a timer due now (everything on the loop waits as long)",
    ["service"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
LOOP_STALLS = Counter("boost_event_loop_stalls_total", f"Times the event loop was {STALL} s or more late",
                      ["service"])


class _Watchdog(threading.Thread):
    def __init__(self, service: str, loop_thread: int) -> None:
        super().__init__(name="boost-stall-watchdog", daemon=True)
        self.service = service
        self.loop_thread = loop_thread
        self.last_tick = time.perf_counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        samples: collections.Counter[str] = collections.Counter()
        stalled_since = 0.0
        # While the loop ticks on time the watchdog sleeps until a stall could have begun
        # (the last tick + TICK + STALL), not every SAMPLE_EVERY: each wake-up takes the GIL
        # from the loop. Inside a stall it samples every SAMPLE_EVERY.
        while not self.stopped.wait(SAMPLE_EVERY if samples else max(
                SAMPLE_EVERY, self.last_tick + TICK + STALL - time.perf_counter())):
            now, last = time.perf_counter(), self.last_tick
            if now - last >= TICK + STALL:
                if not samples:
                    stalled_since = last
                samples[self._where()] += 1
            elif samples:
                self._report(last - stalled_since - TICK, samples)
                samples = collections.Counter()

    def _where(self) -> str:
        frame = sys._current_frames().get(self.loop_thread)
        if frame is None:
            return "(loop thread gone)"
        stack = traceback.extract_stack(frame)[-FRAMES:]
        return " < ".join(f"{f.name} ({f.filename.rsplit('/', 2)[-1]}:{f.lineno})" for f in reversed(stack))

    def _report(self, seconds: float, samples: collections.Counter[str]) -> None:
        LOOP_STALLS.labels(self.service).inc()
        get_logger("boost.stalls").warning("event loop stalled", stalled_ms=round(seconds * 1000), samples=sum(samples.values()),
                    where=[f"{n}× {stack}" for stack, n in samples.most_common(3)])


_due = 0.0  # when the watched loop's tick is due next (0: not watched)
_last_lag = 0.0  # how late it ran last time


def loop_lag() -> float:
    """How late this process's watched event loop is running now: the last tick's lateness,
    or, while a tick is overdue, how overdue it is (what a callback run now has waited).
    0 when no loop is watched. For shedding optional work when the process is saturated."""
    if not _due:
        return 0.0
    return max(_last_lag, time.perf_counter() - _due)


@contextlib.asynccontextmanager
async def watch_event_loop(service: str) -> AsyncIterator[None]:
    """While inside: the running loop's lag measured and its stalls logged with their stacks."""
    global _due
    watchdog = _Watchdog(service, threading.get_ident())
    lag = LOOP_LAG.labels(service)

    async def tick() -> None:
        global _due, _last_lag
        while True:
            due = _due = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            now = time.perf_counter()
            watchdog.last_tick = now
            _last_lag = max(0.0, now - due)
            lag.observe(_last_lag)

    ticking = asyncio.ensure_future(tick())
    watchdog.start()
    try:
        yield
    finally:
        _due = 0.0
        ticking.cancel()
        watchdog.stopped.set()
        with contextlib.suppress(asyncio.CancelledError):
            await ticking
