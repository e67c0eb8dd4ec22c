"""NATS goes first (a node lost, or `make run`'s Ctrl-C, which stops everything at once):
every service still stops promptly on SIGTERM, well inside a supervisor's grace period
(honcho's 5 s, Kubernetes' 30 s), instead of waiting on a bus that is gone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.nats import PrivateNats
from tests.support.services import Service, service_env

pytestmark = pytest.mark.chaos

SERVICES = ("okr", "feedback", "realtime", "scheduler", "notifier")
GRACE = 4.0  # s: under honcho's 5


def test_every_service_stops_promptly_when_nats_is_already_gone(make_settings: Callable[..., Any],
                                                                tmp_path: Path) -> None:
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    settings = make_settings("nonats", nats_url=nats_server.url)
    env = service_env(settings, nats_server.url, BOOST_SCHEDULER_LOCK_TTL_SECONDS="1.5")
    services = [Service(name, env, tmp_path) for name in SERVICES]
    try:
        services[0].start()  # okr first: the others wait for its signing keys
        for service in services[1:]:
            service.start(60, False)
        for service in services[1:]:
            service.wait_ready(60)
        nats_server.kill()
        time.sleep(0.5)  # every client has seen its connection drop
        for service in services:
            assert service.proc is not None
            service.proc.terminate()
        started = time.monotonic()
        slow = {}
        for service in services:
            assert service.proc is not None
            try:
                service.proc.wait(max(0.1, GRACE - (time.monotonic() - started)))
            except Exception:
                slow[service.name] = service.log.read_text()[-1500:]
        assert not slow, f"still running {GRACE} s after SIGTERM: {slow}"
    finally:
        for service in services:
            service.stop()
