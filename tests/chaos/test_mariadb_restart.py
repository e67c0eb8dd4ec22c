"""kill -9 MariaDB under a steady stream of writes, then start it again (a private
`mariadbd`, so the machine's server is untouched): okr answers the writes it cannot
store with a quick 503 problem+json, both services report not-ready and recover by
themselves, every acknowledged write is stored, and feedback's read model receives
every event once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.mariadb import PrivateMariaDB, mariadb_binaries
from tests.support.nats import PrivateNats
from tests.support.services import Service, service_env, tally_when_settled

pytestmark = pytest.mark.chaos

OUTAGE_SECONDS = 4.0
NO_HANG_SECONDS = 8.0  # connect_timeout is 5 s; a write must never wait longer than that and a bit


@pytest.fixture
def world(make_settings: Callable[..., Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    if mariadb_binaries() is None:
        pytest.fail("mariadbd is not installed (apt-get install mariadb-server)", pytrace=False)
    mariadb = PrivateMariaDB(tmp_path / "mariadb")
    mariadb.start()
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    settings = make_settings("mdb", database_url=mariadb.url, nats_url=nats_server.url, now="2027-01-10T01:00:00+00:00")
    env = service_env(settings, nats_server.url)
    okr, feedback = Service("okr", env, tmp_path), Service("feedback", env, tmp_path)
    okr.start()
    feedback.start()
    yield {"okr": okr, "feedback": feedback, "mariadb": mariadb, "settings": settings}
    okr.stop()
    feedback.stop()
    nats_server.kill()
    mariadb.stop()


@dataclass
class Writer:
    """Writes objectives one after another until told to stop, recording every answer."""

    client: httpx.Client
    url: str
    auth: dict[str, str]
    team: int
    acknowledged: list[int] = field(default_factory=list)
    refusals: list[tuple[int, str, str]] = field(default_factory=list)  # status, content type, body
    broken: list[str] = field(default_factory=list)  # no answer at all
    slowest: float = 0.0
    attempted: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def write(self) -> None:
        self.attempted += 1
        started = time.monotonic()
        try:
            r = self.client.post(f"{self.url}/api/okr/objectives", headers=self.auth,
                                 json={"cycle": "2027-Q2", "team_id": self.team, "title": f"Outage {self.attempted}"})
        except httpx.HTTPError as exc:
            self.broken.append(repr(exc))
            return
        finally:
            self.slowest = max(self.slowest, time.monotonic() - started)
        if r.status_code == 201:
            self.acknowledged.append(r.json()["id"])
        else:
            self.refusals.append((r.status_code, r.headers.get("content-type", ""), r.text[:300]))

    def run(self) -> None:
        while not self.stop.is_set():
            self.write()
            time.sleep(0.02)


def test_restart_mariadb_under_writes_loses_nothing_and_recovers(world: dict[str, Any]) -> None:
    okr, feedback, mariadb = world["okr"], world["feedback"], world["mariadb"]
    client = httpx.Client(timeout=30)
    token = client.post(f"{okr.url}/api/auth/dev-login", json={"email": "admin@boost.example"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    team = client.get(f"{okr.url}/api/okr/teams", headers=auth).json()[0]["id"]
    writer = Writer(client, okr.url, auth, team)
    thread = threading.Thread(target=writer.run, daemon=True)
    thread.start()
    time.sleep(1.5)

    mariadb.kill9()
    killed_at = time.monotonic()
    time.sleep(OUTAGE_SECONDS / 2)
    during = {s.name: client.get(f"{s.url}/api/{s.name}/readyz", timeout=10) for s in (okr, feedback)}
    time.sleep(OUTAGE_SECONDS / 2)
    refused_during_outage = len(writer.refusals)
    mariadb.start()
    recovery = {s.name: s.wait_ready(60) for s in (okr, feedback)}
    restored_at = time.monotonic()
    # Writes go through again without anyone restarting okr.
    acknowledged_before = len(writer.acknowledged)
    deadline = time.monotonic() + 20
    while len(writer.acknowledged) < acknowledged_before + 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    first_success_after = time.monotonic() - restored_at
    writer.stop.set()
    thread.join(30)

    tally = tally_when_settled(world["settings"], writer.acknowledged, 60, every=0.5)
    lost, undelivered = tally.lost(writer.acknowledged), tally.undelivered(writer.acknowledged)
    doubled, unsent = tally.doubled, tally.unsent
    statuses = Counter(status for status, _, _ in writer.refusals)
    print(f"\nMariaDB kill -9 for {OUTAGE_SECONDS:.0f}s: attempted {writer.attempted}, acknowledged "
          f"{len(writer.acknowledged)}, refused {dict(statuses)}, no answer {len(writer.broken)}, "
          f"slowest answer {writer.slowest:.2f}s; ready again after {recovery}, writes flowing again "
          f"{first_success_after:.1f}s after the restart ({restored_at - killed_at:.1f}s after the kill); "
          f"lost {len(lost)}, undelivered {len(undelivered)}, doubled {doubled}")
    for name, response in during.items():
        assert response.status_code == 503, f"{name} claimed to be ready without its database: {response.text}"
        assert response.json()["dependencies"]["database"] == "down"
    assert refused_during_outage > 0, "no write was attempted while the database was down"
    assert set(statuses) == {503}, f"writes during the outage must get 503: {writer.refusals[:5]}"
    assert all(ctype.startswith("application/problem+json") for _, ctype, _ in writer.refusals)
    assert not writer.broken, f"requests left without an answer: {writer.broken[:3]}"
    assert writer.slowest < NO_HANG_SECONDS, f"a write hung for {writer.slowest:.1f}s"
    assert len(writer.acknowledged) >= acknowledged_before + 20, "writes did not resume after the restart"
    assert not lost, f"acknowledged writes not stored: {lost}"
    assert not undelivered, f"events that never reached feedback: {undelivered}"
    assert doubled == 0 and unsent == 0
