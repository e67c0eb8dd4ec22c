"""Faults on a three-node JetStream cluster (real processes: three nats-server from
deploy/nats/cluster.conf with every stream on all three, two replicas each of okr,
feedback, realtime and notifier, the scheduler, MariaDB, a fake Slack Web API).

While people write over REST (an objective, then a check-in on it), edit over Socket.IO
(through realtime A, watched through realtime B) and a reminder goes out to everyone,
three faults, one after the other:

1. kill -9 the server most services are connected to, start it again;
2. kill -9 the leader of okr's stream, start it again;
3. SIGSTOP the leader of okr's stream (a network split of that server, as its peers see
   it) for longer than the cluster's heartbeat and election timeout, then SIGCONT.

Then: every acknowledged write is stored; every event reached feedback's read model and
the notifier once; the watching socket got no event twice and ends showing what the
server has; each person got the reminder once; every stream is back to three current
replicas after each fault. Printed: lost / duplicated / unknown (requests whose answer
the fault cut off: stored or not, the client could not know)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import sqlalchemy as sa

from services.notifier.tests.fake_slack import SIGNING_SECRET, TOKEN, FakeSlack
from tests.support.nats_cluster import NatsCluster, Node, running_cluster
from tests.support.services import Service, service_env, tally_when_settled
from tests.support.waiting import until

pytestmark = pytest.mark.chaos

CYCLE = "2027-Q1"  # the active cycle on 2027-03-18
NOW = "2027-03-18T09:30:00+09:00"  # 2027-Q2's drafting opens at 10:00: its reminder is run by hand
PEOPLE = 4
REPLICATED = ("okr", "feedback", "realtime", "notifier")
SOURCES = ("okr", "feedback", "scheduler", "notifier")
BEFORE, AFTER = 2.0, 2.0  # seconds of traffic before a fault and after the cluster is whole again
DOWN = 3.0  # seconds a killed server stays down
PAUSE = 10.0  # SIGSTOP: above the RAFT election timeout (4-9 s), so the others elect a new leader


@pytest.fixture
async def world(make_settings: Callable[..., Any], tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    with running_cluster(tmp_path / "nats") as cluster:
        slack = await FakeSlack(members=[]).start()
        settings = make_settings("ncl", nats_url=cluster.nats_url, now=NOW, stream_replicas=3)
        env = service_env(settings, cluster.nats_url, **{
            "BOOST_STREAM_REPLICAS": "3", "BOOST_PUBLIC_URL": "https://boost.example",
            "BOOST_SLACK_BOT_TOKEN": TOKEN, "BOOST_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "BOOST_SLACK_API_URL": slack.url, "BOOST_NOTIFIER_POLL_SECONDS": "0.1",
            "BOOST_NOTIFIER_SEND_RATE": "100", "BOOST_NOTIFIER_SEND_BURST": "50",
            "BOOST_NOTIFIER_CHANNEL_INTERVAL": "0", "BOOST_NOTIFIER_DIRECTORY_SYNC_DAILY": "false"})
        services = {f"{name}_{r}": Service(name, env, tmp_path, label=f"{name}_{r}") for name in REPLICATED for r in "ab"}
        services["scheduler"] = Service("scheduler", env, tmp_path)
        try:
            await asyncio.to_thread(services["okr_a"].start)  # migrations once, before the others
            for service in services.values():
                if service.proc is None:
                    await asyncio.to_thread(service.start, 90, False)
            for service in services.values():
                await asyncio.to_thread(service.wait_ready, 90)
            yield {"cluster": cluster, "slack": slack, "settings": settings, **services}
        finally:
            for service in services.values():
                await asyncio.to_thread(service.stop)
            await slack.stop()


class Tab:
    """A browser tab on one realtime replica: a socket and what it shows. On `resync` (its
    server lost the bus for a moment) it refetches, as the web app does."""

    def __init__(self, url: str, rest: httpx.AsyncClient, auth: dict[str, str], room: str) -> None:
        self.url, self.rest, self.auth, self.room = url, rest, auth, room
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2)
        self.titles: dict[int, str] = {}
        self.versions: dict[int, int] = {}
        self.event_ids: Counter[str] = Counter()
        self.resyncs = 0
        self._joining: asyncio.Future[None] | None = None
        self.sio.on("okr.event", self._on_event)
        self.sio.on("resync", self._on_resync)
        self.sio.on("connect", self._on_connect)

    async def _on_event(self, envelope: dict[str, Any]) -> None:
        self.event_ids[str(envelope.get("id"))] += 1
        data = envelope.get("data") or {}
        if str(envelope.get("type", "")).startswith("objective.") and "title" in data:
            self.show(int(envelope["subject_id"]), data["title"], envelope.get("version"))

    def show(self, objective_id: int, title: str, version: int | None) -> None:
        """The newer copy wins, as in the web app (api/versions.ts): a refetch read before an
        event arrived does not put the old title back."""
        if version is not None and version < self.versions.get(objective_id, 0):
            return
        self.titles[objective_id] = title
        self.versions[objective_id] = version or 0

    async def _on_resync(self, _data: Any) -> None:
        self.resyncs += 1
        await self.refetch()

    async def _on_connect(self) -> None:
        # Not awaited here: the server answers `subscribe` only after this handler returns.
        self._joining = asyncio.ensure_future(self._subscribe())

    async def _subscribe(self) -> None:
        ack = await self.sio.call("subscribe", {"room": self.room}, timeout=5)
        assert ack == {"ok": True}, ack
        await self.refetch()

    async def connect(self) -> None:
        await self.sio.connect(self.url, transports=["websocket"], auth={"token": self.auth["Authorization"][7:]},
                               socketio_path="socket.io", wait_timeout=5)
        await until(lambda: self._joining is not None and self._joining.done(), 10, "the tab to join its room")
        assert self._joining is not None
        self._joining.result()  # the subscription was acknowledged

    async def refetch(self) -> None:
        r = await self.rest.get("/api/okr/objectives", params={"cycle": CYCLE}, headers=self.auth)
        if r.status_code == 200:
            for o in r.json():
                self.show(o["id"], o["title"], o.get("version"))


class Traffic:
    """People at work: REST writes through both okr replicas, socket edits of what was
    written, through realtime A. Counts what was acknowledged and what was cut off."""

    def __init__(self, okrs: list[Service], rest: httpx.AsyncClient, auth: dict[str, str], team_id: int,
                 editor: Tab) -> None:
        self.okrs, self.rest, self.auth, self.team_id, self.editor = okrs, rest, auth, team_id, editor
        self.objectives: list[int] = []
        self.check_ins: list[int] = []
        self.edits: dict[int, str] = {}  # objective id → acknowledged title
        self.unknown = Counter[str]()
        self.refused = Counter[str]()
        self.to_edit: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.pending_edits: dict[str, dict[str, Any]] = {}
        self.running = False
        self._seq = itertools.count()

    async def _post(self, what: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        okr = self.okrs[next(self._seq) % len(self.okrs)]
        try:
            r = await self.rest.post(f"{okr.url}{path}", json=body, headers=self.auth, timeout=5)
        except httpx.HTTPError:
            self.unknown[what] += 1
            return None
        assert r.status_code < 500 or r.status_code == 503, f"{what}: {r.status_code} {r.text}"
        if r.status_code != 201:
            self.refused[what] += 1
            return None
        return r.json()  # type: ignore[no-any-return]

    async def write(self) -> None:
        n = 0
        while self.running:
            n += 1
            objective = await self._post("objective", "/api/okr/objectives", {
                "cycle": CYCLE, "team_id": self.team_id, "title": f"Goal {n}",
                "key_results": [{"title": f"Measure {n}", "start": 0, "target": 100}]})
            if objective is not None:
                self.objectives.append(objective["id"])
                await self.to_edit.put(objective)
                kr = objective["key_results"][0]["id"]
                check_in = await self._post("check_in", f"/api/okr/key-results/{kr}/check-ins",
                                            {"value": 10 + n % 80, "confidence": 7})
                if check_in is not None:
                    self.check_ins.append(check_in["id"])
            await asyncio.sleep(0.05)

    async def _send(self, op_id: str, edit: dict[str, Any]) -> bool:
        if not self.editor.sio.connected:
            return False
        try:
            ack = await self.editor.sio.call("edit", edit, timeout=4)
        except (TimeoutError, socketio.exceptions.SocketIOError):
            return False
        if ack.get("ok"):
            self.edits[edit["id"]] = edit["changes"]["title"]
            self.pending_edits.pop(op_id, None)
            return True
        assert ack.get("status") == 503, ack  # okr unreachable over the bus: retried, never refused
        return False

    async def edit(self) -> None:
        while self.running or self.pending_edits:
            for op_id, edit in list(self.pending_edits.items()):  # replays: same op_id
                await self._send(op_id, edit)
            if not self.running:
                await asyncio.sleep(0.3)
                continue
            try:
                objective = await asyncio.wait_for(self.to_edit.get(), 0.5)
            except TimeoutError:
                continue
            op_id = f"op-{objective['id']}"
            self.pending_edits[op_id] = {"entity": "objective", "id": objective["id"], "op_id": op_id,
                                         "changes": {"title": f"{objective['title']} (edited)"},
                                         "version": objective["version"]}
            await self._send(op_id, self.pending_edits[op_id])


async def settle(check: Callable[[], Any], timeout: float) -> bool:
    """Wait until check() (sync or async) is true or the timeout; the counts then say what is missing."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result or time.monotonic() > deadline:
            return bool(result)
        await asyncio.sleep(0.3)


async def whole_again(cluster: NatsCluster, settings: Any) -> float:
    """Seconds until every stream has a leader and three current replicas."""
    started = time.monotonic()
    for source in SOURCES:
        await cluster.wait_stream(settings.names.stream(source), 3, timeout=90)
    return time.monotonic() - started


async def test_nats_cluster_loses_a_server_and_nothing_is_lost_or_doubled(world: dict[str, Any]) -> None:
    cluster: NatsCluster = world["cluster"]
    settings, slack = world["settings"], world["slack"]
    okr_a: Service = world["okr_a"]
    admin_ids = [f"U0CLUSTER{i}" for i in range(PEOPLE)]
    async with httpx.AsyncClient(base_url=okr_a.url, timeout=10) as rest:
        token = (await rest.post("/api/auth/dev-login", json={"email": "admin@boost.example"})).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        members = []
        for i, slack_id in enumerate(admin_ids):
            r = await rest.post("/api/okr/users", headers=auth, json={"email": f"c{i}@x.example", "name": f"Person {i}"})
            assert r.status_code == 201, r.text
            user = r.json()
            r = await rest.patch(f"/api/okr/users/{user['id']}", headers=auth, json={"slack_user_id": slack_id})
            assert r.status_code == 200, r.text
            members.append({"user_id": user["id"], "role": "member"})
        root = next(t for t in (await rest.get("/api/okr/teams", headers=auth)).json() if t["parent_id"] is None)
        r = await rest.post("/api/okr/teams", headers=auth, json={"name": "Everyone", "parent_id": root["id"],
                                                                   "members": members})
        assert r.status_code == 201, r.text
        team_id = r.json()["id"]
        room = f"team:{team_id}:{CYCLE}"
        await whole_again(cluster, settings)

        editor = Tab(world["realtime_a"].url, rest, auth, room)
        watcher = Tab(world["realtime_b"].url, rest, auth, room)
        await editor.connect()
        await watcher.connect()
        traffic = Traffic([okr_a, world["okr_b"]], rest, auth, team_id, editor)
        traffic.running = True
        workers = [asyncio.ensure_future(traffic.write()), asyncio.ensure_future(traffic.edit())]

        faults: list[str] = []
        recovered: list[float] = []

        async def kill_and_return(node: Node, what: str) -> None:
            await asyncio.to_thread(cluster.kill9, node)
            faults.append(f"kill -9 {what} ({node.name})")
            await asyncio.sleep(DOWN)
            await asyncio.to_thread(cluster.restart, node)
            await asyncio.to_thread(cluster.wait_healthy, node, 60)
            recovered.append(await whole_again(cluster, settings))

        # 1. The server most services are on dies with the reminder run just started.
        await asyncio.sleep(BEFORE)
        scheduler: Service = world["scheduler"]
        r = await rest.post(f"{scheduler.url}/api/scheduler/reminders/drafting_open/run", headers=auth)
        assert r.status_code == 202, r.text
        await kill_and_return(await asyncio.to_thread(cluster.busiest), "the services' server")
        await asyncio.sleep(AFTER)

        # 2. The leader of okr's stream dies.
        leader = (await cluster.stream_state(settings.names.stream("okr"))).leader
        assert leader is not None
        await kill_and_return(cluster.node(leader), "okr's stream leader")
        await asyncio.sleep(AFTER)

        # 3. The leader of okr's stream is cut off (SIGSTOP) past the election timeout, then back.
        leader = (await cluster.stream_state(settings.names.stream("okr"))).leader
        assert leader is not None
        paused = cluster.node(leader)
        await asyncio.to_thread(cluster.pause, paused)
        faults.append(f"SIGSTOP okr's stream leader ({paused.name}) {PAUSE:g} s")
        await asyncio.sleep(PAUSE)
        await asyncio.to_thread(cluster.resume, paused)
        recovered.append(await whole_again(cluster, settings))
        await asyncio.sleep(AFTER)

        traffic.running = False
        await asyncio.wait_for(asyncio.gather(*workers), 60)  # edits cut off are replayed until acknowledged

        # Everything settles: read models, the notifier's activity, the sockets, the reminder.
        tally = await asyncio.to_thread(tally_when_settled, settings, traffic.objectives, 60)
        engine = sa.create_engine(sa.engine.make_url(settings.database_url))
        activity_table = f"`{settings.names.schema('notifier')}`.activity"

        def notified() -> list[int]:
            with engine.connect() as c:
                return list(c.execute(sa.text(f"SELECT ref_id FROM {activity_table} WHERE kind = 'check_in'")).scalars())

        try:
            await settle(lambda: set(traffic.check_ins) <= set(notified()), 60)
            counted = notified()
        finally:
            engine.dispose()
        server = {o["id"]: o["title"] for o in (await rest.get("/api/okr/objectives", params={"cycle": CYCLE},
                                                               headers=auth)).json()}
        await settle(lambda: all(watcher.titles.get(i) == server[i] for i in traffic.objectives), 30)

        async def reminded() -> bool:
            r = await rest.get(f"{world['notifier_a'].url}/api/notifier/deliveries", headers=auth,
                               params={"kind": "drafting_open"})
            rows = r.json() if r.status_code == 200 else []
            return len(rows) >= PEOPLE and all(d["status"] in ("sent", "unknown") for d in rows)

        await settle(reminded, 60)
        await asyncio.sleep(1.0)  # room for a double, were there one
        deliveries = (await rest.get(f"{world['notifier_a'].url}/api/notifier/deliveries", headers=auth,
                                     params={"kind": "drafting_open"})).json()
        await editor.sio.disconnect()
        await watcher.sio.disconnect()

    posts = Counter(c.params.get("channel") for c in slack.calls if c.method == "chat.postMessage")
    lost = {
        "objectives": tally.lost(traffic.objectives),
        "edits": [i for i, title in traffic.edits.items() if server.get(i) != title],
        "socket view": [i for i in traffic.objectives if watcher.titles.get(i) != server.get(i)],
        "read model": tally.undelivered(traffic.objectives),
        "notifier": sorted(set(traffic.check_ins) - set(counted)),
        "reminder": [s for s in admin_ids if posts[s] == 0],
    }
    duplicated = {
        "read model": tally.doubled,
        "notifier": len(counted) - len(set(counted)),
        "socket events": sum(n - 1 for n in watcher.event_ids.values() if n > 1),
        "reminder": sum(n - 1 for s, n in posts.items() if s in admin_ids and n > 1),
    }
    unknown = sum(traffic.unknown.values()) + sum(1 for d in deliveries if d["status"] == "unknown")
    kills = 3
    print(f"\nNATS cluster of 3, streams R3; {'; '.join(faults)}.\n"
          f"  acknowledged: {len(traffic.objectives)} objectives, {len(traffic.check_ins)} check-ins, "
          f"{len(traffic.edits)} socket edits, reminder to {PEOPLE}; refused (503) {dict(traffic.refused)}; "
          f"watcher resyncs {watcher.resyncs}, editor resyncs {editor.resyncs}\n"
          f"  okr outbox unsent {tally.unsent}\n"
          f"  back to 3 current replicas on every stream after: {', '.join(f'{s:.1f} s' for s in recovered)}\n"
          f"  lost {sum(len(v) for v in lost.values())} {lost}\n"
          f"  duplicated {sum(duplicated.values())} {duplicated}\n"
          f"  unknown {unknown} (cut-off requests {dict(traffic.unknown)}, reminder sends "
          f"{sum(1 for d in deliveries if d['status'] == 'unknown')}; faults {kills})")
    assert len(traffic.objectives) > 10 and len(traffic.edits) > 5
    assert not any(lost.values()), lost
    assert not any(duplicated.values()), duplicated
    assert unknown <= kills
    assert len(recovered) == 3
