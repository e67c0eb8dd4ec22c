"""kill -9 okr and feedback in the middle of their work (real processes, MariaDB, a
private NATS): every acknowledged write is stored, and every event of those writes
reaches feedback's read model once, after both come back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.nats import PrivateNats
from tests.support.services import Service, service_env, tally_when_settled

pytestmark = pytest.mark.chaos


@pytest.fixture
def world(make_settings: Callable[..., Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    settings = make_settings("kill", nats_url=nats_server.url, now="2027-01-10T01:00:00+00:00")
    env = service_env(settings, nats_server.url)
    okr, feedback = Service("okr", env, tmp_path), Service("feedback", env, tmp_path)
    okr.start()
    feedback.start()
    yield {"okr": okr, "feedback": feedback, "settings": settings}
    okr.stop()
    feedback.stop()
    nats_server.kill()


def test_kill_9_okr_and_feedback_mid_work_loses_and_doubles_nothing(world: dict[str, Any]) -> None:
    okr, feedback = world["okr"], world["feedback"]
    client = httpx.Client(timeout=5)
    token = client.post(f"{okr.url}/api/auth/dev-login", json={"email": "admin@boost.example"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    team = client.get(f"{okr.url}/api/okr/teams", headers=auth).json()[0]["id"]
    acknowledged: list[int] = []
    attempted = 0
    kills = 0

    def write_some(n: int) -> None:
        nonlocal attempted
        for _ in range(n):
            attempted += 1
            try:
                r = client.post(f"{okr.url}/api/okr/objectives", headers=auth,
                                json={"cycle": "2027-Q2", "team_id": team, "title": f"Chaos {attempted}"})
            except httpx.HTTPError:
                continue  # the process died under this request: not acknowledged
            if r.status_code == 201:
                acknowledged.append(r.json()["id"])

    write_some(15)
    feedback.kill9()  # the consumer dies mid-stream
    kills += 1
    write_some(15)
    okr.kill9()  # the writer dies with events in its outbox
    kills += 1
    write_some(3)  # refused: nobody listens
    okr.start()
    feedback.start()
    write_some(15)

    tally = tally_when_settled(world["settings"], acknowledged, 40)
    lost, undelivered, doubled, unsent = tally.lost(acknowledged), tally.undelivered(acknowledged), tally.doubled, tally.unsent
    print(f"attempted {attempted}, acknowledged {len(acknowledged)}, kills {kills}, lost {len(lost)}, "
          f"undelivered {len(undelivered)}, doubled {doubled}")
    assert not lost, f"acknowledged writes not stored: {lost}"
    assert not undelivered, f"events that never reached feedback: {undelivered}"
    assert doubled == 0 and unsent == 0
