"""kill -9 okr and feedback in the middle of their work (real processes, MariaDB, a
private NATS): every acknowledged write is stored, and every event of those writes
reaches feedback's read model once, after both come back."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.nats import PrivateNats
from tests.support.services import Service

pytestmark = pytest.mark.chaos


@pytest.fixture
def world(make_settings: Callable[..., Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    nats_server = PrivateNats(tmp_path / "nats")
    nats_server.start()
    settings = make_settings("kill", nats_url=nats_server.url, now="2027-01-10T01:00:00+00:00")
    env = {**os.environ, "BOOST_DATABASE_URL": settings.database_url, "BOOST_NATS_URL": nats_server.url,
           "BOOST_NAMESPACE": settings.namespace, "BOOST_DATA_DIR": str(settings.data_dir), "BOOST_NOW": settings.now or "",
           "BOOST_DEMO": "0", "BOOST_LOG_LEVEL": "WARNING", "BOOST_OUTBOX_SWEEP_SECONDS": "0.5"}
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

    engine = sa.create_engine(sa.engine.make_url(world["settings"].database_url))
    okr_db = world["settings"].names.schema("okr")
    fb_db = world["settings"].names.schema("feedback")
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        with engine.connect() as c:
            stored = set(c.execute(sa.text(f"SELECT id FROM `{okr_db}`.objectives")).scalars())
            in_model = list(c.execute(sa.text(f"SELECT id FROM `{fb_db}`.rm_objectives")).scalars())
            unsent = c.execute(sa.text(f"SELECT COUNT(*) FROM `{okr_db}`.outbox WHERE published_at IS NULL")).scalar_one()
        if set(acknowledged) <= set(in_model) and unsent == 0:
            break
        time.sleep(0.3)
    lost = sorted(set(acknowledged) - stored)
    undelivered = sorted(set(acknowledged) - set(in_model))
    doubled = len(in_model) - len(set(in_model))
    print(f"attempted {attempted}, acknowledged {len(acknowledged)}, kills {kills}, lost {len(lost)}, "
          f"undelivered {len(undelivered)}, doubled {doubled}")
    assert not lost, f"acknowledged writes not stored: {lost}"
    assert not undelivered, f"events that never reached feedback: {undelivered}"
    assert doubled == 0 and unsent == 0
