"""Two replicas each of okr, feedback and realtime behind nginx, on one MariaDB and one
NATS, started the `make run` way (BOOST_REPLICAS): people co-editing through different
replicas converge, and a reminder run twice reaches each person once."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from conftest import free_port
from tests.conftest import ROOT, api_login, internal_port_base

pytestmark = pytest.mark.chaos


@pytest.fixture(scope="module")
def replicated(mariadb_url: str, nats_url: str, namespace: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from boost import Stack

    data_dir: Path = tmp_path_factory.mktemp("replicas")
    port = free_port()
    env = {"BOOST_PORT": str(port), "BOOST_DATA_DIR": str(data_dir), "BOOST_DATABASE_URL": mariadb_url,
           "BOOST_NATS_URL": nats_url, "BOOST_NAMESPACE": f"{namespace}_rep",
           "BOOST_INTERNAL_PORT_BASE": str(internal_port_base()),
           "BOOST_NOW": "2027-02-22T00:30:00+00:00", "BOOST_DEMO": "1", "BOOST_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "BOOST_LOG_LEVEL": "WARNING"}
    stack = Stack(env, replicas={"okr": 2, "feedback": 2, "realtime": 2}, log_dir=data_dir)
    try:
        stack.start(timeout=150)
    except Exception:
        stack.stop()
        for log in sorted(data_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-2000:]}")
        raise
    assert {"okr.2", "feedback.2", "realtime.2"} <= set(stack.children)
    yield stack
    stack.stop()


def test_co_editing_through_different_replicas_converges(replicated: Any) -> None:
    base = replicated.base_url
    emma = api_login(base, "emma.lee@boost.example")
    jiwoo = api_login(base, "jiwoo.park@boost.example")
    http = httpx.Client(base_url=base, timeout=10)
    bearer = {"Authorization": f"Bearer {jiwoo['boost_session']}"}
    teams = http.get("/api/okr/teams", headers=bearer)
    assert teams.status_code == 200, teams.text
    product = next(t for t in teams.json() if t["name"] == "Product")
    obj = http.get("/api/okr/objectives", params={"cycle": "2027-Q2", "team_id": product["id"]}, headers=bearer).json()[0]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[Any], list[Any]]:
        clients, seen = [], []
        for cookies in (emma, jiwoo):
            sio = socketio.AsyncClient()
            events: list[Any] = []
            sio.on("okr.event", lambda env, events=events: events.append(env))
            await sio.connect(base, transports=["websocket"], auth={"token": cookies["boost_session"]})
            await sio.call("subscribe", {"room": f"objective:{obj['id']}"})
            clients.append(sio)
            seen.append(events)
        title = obj["title"]
        a, b = await asyncio.gather(
            clients[0].call("edit", {"entity": "objective", "id": obj["id"], "changes": {"title": "Now: " + title},
                                     "base": {"title": title}, "version": obj["version"], "op_id": secrets.token_hex(8)}),
            clients[1].call("edit", {"entity": "objective", "id": obj["id"], "changes": {"title": title + " for all"},
                                     "base": {"title": title}, "version": obj["version"], "op_id": secrets.token_hex(8)}))
        await asyncio.sleep(1.0)
        for sio in clients:
            await sio.disconnect()
        return a, b, seen[0], seen[1]

    a, b, seen_a, seen_b = asyncio.run(scenario())
    assert a["ok"] and b["ok"], (a, b)
    final = http.get(f"/api/okr/objectives/{obj['id']}", headers=bearer).json()["title"]
    assert final.startswith("Now: ") and final.endswith(" for all")
    for seen in (seen_a, seen_b):
        updates = Counter(e["id"] for e in seen if e["type"] == "objective.updated")
        assert len(updates) == 2 and set(updates.values()) == {1}  # both edits, each once, on either replica


def test_a_reminder_run_twice_reaches_each_person_once(replicated: Any) -> None:
    base = replicated.base_url
    admin = api_login(base, "admin@boost.example")
    http = httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {admin['boost_session']}"})
    first = http.post("/api/scheduler/reminders/weekly_check_in/run")
    second = http.post("/api/scheduler/reminders/weekly_check_in/run")
    assert first.status_code == second.status_code == 202
    assert first.json()["occurrence"] == second.json()["occurrence"]  # the same occurrence, run twice
    deadline = time.monotonic() + 30
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = http.get("/api/notifier/deliveries", params={"kind": "weekly_check_in", "limit": 500}).json()
        if rows and all(r["status"] in ("recorded", "sent", "skipped") for r in rows):
            break
        time.sleep(0.5)
    assert rows, "nobody was reminded"
    per_person = Counter(r["user_id"] for r in rows)
    assert set(per_person.values()) == {1}, per_person
    os.environ.pop("BOOST_NAMESPACE", None)
