"""A service's event loop held by one call: the stall is measured, counted and logged with
where the loop was held; a loop that keeps moving reports nothing."""

from __future__ import annotations

import asyncio
import time

from boost_platform.stalls import loop_lag, watch_event_loop
from prometheus_client import REGISTRY
from structlog.testing import capture_logs


def _hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # a blocking call made on the loop, as a bug would


def _sample(name: str, service: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": service}) or 0.0


async def test_a_held_loop_is_logged_with_where_it_was_held() -> None:
    service = "stalls-held"
    with capture_logs() as logs:
        async with watch_event_loop(service):
            await asyncio.sleep(0.2)
            _hold_the_loop(0.4)
            await asyncio.sleep(0.2)  # the loop moves again; the watchdog reports
    stalls = [e for e in logs if e["event"] == "event loop stalled"]
    assert len(stalls) == 1, logs
    assert 300 <= stalls[0]["stalled_ms"] <= 700
    assert "_hold_the_loop" in stalls[0]["where"][0]
    assert _sample("boost_event_loop_stalls_total", service) == 1
    late = _sample("boost_event_loop_lag_seconds_count", service) - (REGISTRY.get_sample_value(
        "boost_event_loop_lag_seconds_bucket", {"service": service, "le": "0.25"}) or 0.0)
    assert late == 1  # the one tick the hold made 0.3 s or more late


async def test_a_loop_that_keeps_moving_reports_nothing() -> None:
    service = "stalls-moving"
    with capture_logs() as logs:
        async with watch_event_loop(service):
            for _ in range(20):
                _hold_the_loop(0.01)  # short steps, as real work
                await asyncio.sleep(0.01)
    assert not [e for e in logs if e["event"] == "event loop stalled"]
    assert _sample("boost_event_loop_stalls_total", service) == 0
    assert _sample("boost_event_loop_lag_seconds_count", service) >= 3


async def test_loop_lag_says_how_late_the_loop_runs_now() -> None:
    assert loop_lag() == 0.0  # nothing watched
    async with watch_event_loop("stalls-lag"):
        await asyncio.sleep(0.15)
        assert loop_lag() < 0.1  # an idle loop is on time (give or take a busy machine)
        _hold_the_loop(0.3)
        assert loop_lag() >= 0.2  # what a callback run right now has waited
        await asyncio.sleep(0.2)
        assert loop_lag() < 0.1  # on time again once it moves
    assert loop_lag() == 0.0
