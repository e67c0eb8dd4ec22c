"""`readyz` means a signed-in person is served. feedback, scheduler and notifier verify
sessions with okr's public keys, which they get over the bus: started before okr (or
while it is down), they report not-ready, and the moment they report ready a valid token
works (before, they answered ready and then 401 "unknown signing key" to everyone, which
sends the web app to the sign-in page)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.nats import PrivateNats
from tests.support.services import Service, service_env

pytestmark = pytest.mark.chaos

SIGNED_IN_READS = {"feedback": "/api/feedback/feedback", "scheduler": "/api/scheduler/reminders",
                   "notifier": "/api/notifier/deliveries?user_id=me"}


@pytest.fixture
def world(make_settings: Callable[..., Any], tmp_path: Path) -> Iterator[dict[str, Service]]:
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    settings = make_settings("ready", nats_url=nats_server.url)
    env = service_env(settings, nats_server.url)
    services = {name: Service(name, env, tmp_path) for name in ("okr", *SIGNED_IN_READS)}
    yield services
    for service in services.values():
        service.stop()
    nats_server.kill()


def test_services_are_ready_only_once_they_can_check_sessions(world: dict[str, Service]) -> None:
    verifiers = [world[name] for name in SIGNED_IN_READS]
    for service in verifiers:
        service.start(wait_ready=False)
    with httpx.Client(timeout=5) as http:
        for service in verifiers:  # up, with their database and NATS, but no okr yet
            deadline = time.monotonic() + 60
            while True:
                try:
                    ready = http.get(f"{service.url}/api/{service.name}/readyz")
                    if ready.json()["dependencies"].get("database") == "up":
                        break
                except (httpx.HTTPError, ValueError):
                    pass
                assert time.monotonic() < deadline, f"{service.name} did not come up"
                time.sleep(0.1)
            assert ready.status_code == 503, ready.text
            assert ready.json()["dependencies"]["signing_keys"] == "down"

        world["okr"].start()
        token = http.post(f"{world['okr'].url}/api/auth/dev-login", json={"email": "admin@boost.example"}).json()["token"]
        for service in verifiers:
            waited = service.wait_ready(30)
            answers = []
            deadline = time.monotonic() + 15
            while not answers or answers[-1] != 200:
                r = http.get(f"{service.url}{SIGNED_IN_READS[service.name]}", headers={"Authorization": f"Bearer {token}"})
                answers.append(r.status_code)
                # feedback may say 503 "still learning about your account" while its read model
                # takes in okr's first events: a clear, retryable answer. Never a 401.
                assert r.status_code in (200, 503), f"{service.name} said ready, then: {r.status_code} {r.text}"
                assert time.monotonic() < deadline, f"{service.name}: {answers}"
                if r.status_code != 200:
                    time.sleep(0.1)
            print(f"{service.name}: ready {waited:.1f}s after okr, then {answers}")
