"""Live editing under load: 200 Socket.IO clients in 20 team rooms over two realtime
replicas, 20 editors typing at 5 edits/s each; p50/p99 from one client's `edit` emit to
another client's receipt of the event, beside the floor measured in the same run (a raw
Socket.IO ack round trip + a raw NATS request/reply + one MariaDB INSERT+COMMIT) and a
stricter one: the same hops with the same libraries and no Boost code (bench.bare_pipeline).

Each one-at-a-time figure (floors, unloaded edit, bare pipeline) is measured twice: back to
back, and paced PACE apart as a person types. On this VM an idle pause slows every hop (a NATS
request/reply 0.40 ms back to back, 1.0 ms paced; the edit's SQL 2.0–2.4 ms, 4.3–4.6 ms), so
each ratio divides figures taken under the same condition.

Run: .venv/bin/python -m bench.realtime_bench   (needs MariaDB at 127.0.0.1:3306 and NATS)
Knobs: BENCH_SECONDS (load phase, default 20), BENCH_CLIENTS (200), BENCH_ROOMS (20),
BENCH_RATE (edits/s per editor, 5), BENCH_UNLOADED (single edits measured alone, per
condition, 200).

Everything (okr, two realtime replicas, NATS, MariaDB and this load generator) shares
the machine, as the issue asks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import nats
import socketio
import sqlalchemy as sa
import uvloop

from bench.bare_pipeline import bare_pipeline, edit_batches, mysql_params, scratch_schema
from bench.common import free_port, start_service, summary_ms, write_results
from bench.floors import nats_request_reply

DB = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
NATS_URL = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "200"))
ROOMS = int(os.environ.get("BENCH_ROOMS", "20"))
RATE = float(os.environ.get("BENCH_RATE", "5"))
UNLOADED = int(os.environ.get("BENCH_UNLOADED", "200"))
FLOOR_N = 300
CONTENDED_EDITS = int(os.environ.get("BENCH_CONTENDED_EDITS", "40"))  # per editor, all editors at once
PACE = 0.010  # s between edits: a person typing, the system idles between them
CONDITIONS = {"back_to_back": 0.0, "paced": PACE}  # condition → pause between one-at-a-time measurements
LABELS = {"back_to_back": "back to back", "paced": f"paced {PACE * 1000:g} ms"}


class GcPauses:
    """The load generator's own garbage collections over 10 ms while counting: reported
    beside the figures, since they delay receipts without the system being slow."""

    def __init__(self) -> None:
        self.seen: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif (pause := time.perf_counter() - self._started) > 0.01:
            self.seen.append(round(pause * 1000, 1))

    @contextlib.contextmanager
    def counting(self) -> Any:
        gc.callbacks.append(self._callback)
        try:
            yield
        finally:
            gc.callbacks.remove(self._callback)


# ---------------------------------------------------------------------- the floor

def echo_server(port: int) -> None:
    """A bare python-socketio server under uvicorn whose `echo` acks at once."""
    import uvicorn

    sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"])

    @sio.on("echo")
    async def echo(sid: str, data: Any) -> Any:
        return data

    uvicorn.run(socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="warning", lifespan="off")


async def floor_socketio(pause: float = 0.0) -> list[float]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.realtime_bench", "--echo-server", str(port),
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = socketio.AsyncClient(reconnection=False)
        for _ in range(100):
            try:
                await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=5)
                break
            except socketio.exceptions.ConnectionError:
                await asyncio.sleep(0.1)
        samples = []
        for i in range(FLOOR_N + 20):
            started = time.perf_counter()
            await client.call("echo", {"i": i})
            if i >= 20:
                samples.append(time.perf_counter() - started)
            await asyncio.sleep(pause)
        await client.disconnect()
        return samples
    finally:
        proc.terminate()
        await proc.wait()


async def floor_nats(subject: str, pause: float) -> list[float]:
    return await nats_request_reply(NATS_URL, subject, FLOOR_N, pause=pause)


def floor_commit(schema: str, pause: float) -> list[float]:
    engine = sa.create_engine(DB, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
    engine.dispose()
    engine = sa.create_engine(DB + schema)
    samples = []
    with engine.connect() as c:
        c.exec_driver_sql("CREATE TABLE IF NOT EXISTS commits (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")
        c.commit()
        for i in range(FLOOR_N + 20):
            started = time.perf_counter()
            c.execute(sa.text("INSERT INTO commits (v) VALUES (:v)"), {"v": f"row {i}"})
            c.commit()
            if i >= 20:
                samples.append(time.perf_counter() - started)
            time.sleep(pause)
    engine.dispose()
    return samples


def floor_edit_sql(ns: str, objective_id: int, user_id: int, cycle: str, pause: float) -> list[float]:
    """The statements okr's edit sends, raw with PyMySQL, to copies of okr's tables, in the
    same two batches (`bare_pipeline.edit_batches`; the second ends with COMMIT). What the
    edit costs in SQL alone."""
    import pymysql
    from pymysql.constants import CLIENT

    samples = []
    with scratch_schema(DB, ns, "editfloor") as scratch:
        conn = pymysql.connect(**mysql_params(DB), database=scratch, autocommit=False,
                               client_flag=CLIENT.MULTI_STATEMENTS)
        try:
            with conn.cursor() as cur:
                text = ""
                for i in range(FLOOR_N + 20):
                    op_id, text = secrets.token_hex(8), text + "x"
                    started = time.perf_counter()
                    for batch in edit_batches(cur.mogrify, objective_id, user_id, cycle, i, op_id, text, b"{}" * 400):
                        cur.execute(batch)
                        while cur.nextset():
                            pass
                    if i >= 20:
                        samples.append(time.perf_counter() - started)
                    time.sleep(pause)
        finally:
            conn.close()
    return samples


# ---------------------------------------------------------------------- the system

def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to see who is busy under load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return float("nan")


class Receiver:
    """One connected client: records when each event (by op_id) arrived, and how often."""

    def __init__(self, name: str, replica: int) -> None:
        self.name = name
        self.replica = replica
        self.sio = socketio.AsyncClient(reconnection=False)
        self.arrivals: dict[str, float] = {}
        self.counts: dict[str, int] = defaultdict(int)
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.sio.on("okr.event", self._on_event)

    async def _on_event(self, envelope: dict[str, Any]) -> None:
        now = time.perf_counter()
        op_id = envelope.get("op_id")
        if not op_id:
            return
        self.counts[envelope["id"]] += 1
        self.arrivals.setdefault(op_id, now)
        waiter = self.waiters.pop(op_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)


async def seed(okr: httpx.AsyncClient) -> dict[str, Any]:
    admin_token = (await okr.post("/api/auth/dev-login", json={"email": "admin@boost.example"})).json()["token"]
    admin = {"Authorization": f"Bearer {admin_token}"}
    cycle = (await okr.get("/api/okr/cycles/next", headers=admin)).json()["id"]
    root = next(t for t in (await okr.get("/api/okr/teams", headers=admin)).json() if t["parent_id"] is None)
    rooms = []
    for i in range(ROOMS):
        email = f"editor{i}@bench.example"
        user = (await okr.post("/api/okr/users", json={"email": email, "name": f"Editor {i}"}, headers=admin)).json()
        team = (await okr.post("/api/okr/teams", json={"name": f"Team {i}", "parent_id": root["id"],
                                                       "members": [{"user_id": user["id"], "role": "member"}]},
                               headers=admin)).json()
        token = (await okr.post("/api/auth/dev-login", json={"email": email})).json()["token"]
        obj = (await okr.post("/api/okr/objectives", json={"cycle": cycle, "team_id": team["id"], "title": f"Goal {i}"},
                              headers={"Authorization": f"Bearer {token}"})).json()
        rooms.append({"room": f"team:{team['id']}:{cycle}", "token": token, "objective": obj})
    watcher_email = "watcher@bench.example"
    await okr.post("/api/okr/users", json={"email": watcher_email, "name": "Watcher"}, headers=admin)
    watcher = (await okr.post("/api/auth/dev-login", json={"email": watcher_email})).json()["token"]
    return {"cycle": cycle, "rooms": rooms, "watcher_token": watcher}


async def connect_all(replica_urls: list[str], world: dict[str, Any]) -> tuple[list[Receiver], list[list[Receiver]]]:
    """CLIENTS sockets spread over the rooms and the replicas; the first of each room edits."""
    per_room = max(CLIENTS // ROOMS, 2)
    members: list[list[Receiver]] = [[] for _ in range(ROOMS)]
    everyone: list[Receiver] = []
    sem = asyncio.Semaphore(20)

    async def one(room_i: int, k: int) -> None:
        replica = (room_i + k) % len(replica_urls)
        r = Receiver(f"r{room_i}c{k}", replica)
        token = world["rooms"][room_i]["token"] if k == 0 else world["watcher_token"]
        async with sem:
            await r.sio.connect(replica_urls[replica], transports=["websocket"], auth={"token": token}, wait_timeout=10)
            ack = await r.sio.call("subscribe", {"room": world["rooms"][room_i]["room"]}, timeout=10)
            assert ack == {"ok": True}, ack
        members[room_i].append(r)
        everyone.append(r)

    await asyncio.gather(*(one(i, k) for i in range(ROOMS) for k in range(per_room)))
    for room in members:
        room.sort(key=lambda r: r.name)  # r{i}c0, the editor, first
    return everyone, members


class Editor:
    def __init__(self, client: Receiver, objective: dict[str, Any]) -> None:
        self.client = client
        self.objective = objective
        self.text = objective["description"] or ""
        self.version = objective["version"]
        self.sent: dict[str, float] = {}
        self.acks: list[float] = []
        self.failures: list[Any] = []

    async def edit(self) -> tuple[str, float]:
        op_id = secrets.token_hex(8)
        new_text = (self.text + random.choice("abcdefghij "))[-4000:]
        payload = {"entity": "objective", "id": self.objective["id"], "changes": {"description": new_text},
                   "base": {"description": self.text}, "version": self.version, "op_id": op_id}
        started = time.perf_counter()
        self.sent[op_id] = started
        ack = await self.client.sio.call("edit", payload, timeout=10)
        self.acks.append(time.perf_counter() - started)
        if ack.get("ok"):
            self.version = ack["version"]
            self.text = (ack.get("value") or {}).get("description", new_text)
        else:
            self.failures.append(ack)
        return op_id, started


async def unloaded(editor: Editor, watcher: Receiver, pause: float) -> tuple[list[float], list[float]]:
    """One edit at a time, `pause` seconds apart, nothing else happening: emit → the other
    replica's client (and emit → the editor's ack)."""
    samples, acks = [], []
    loop = asyncio.get_running_loop()
    for i in range(UNLOADED + 10):
        op_id = secrets.token_hex(8)
        fut: asyncio.Future[float] = loop.create_future()
        watcher.waiters[op_id] = fut
        new_text = editor.text + "x"
        payload = {"entity": "objective", "id": editor.objective["id"], "changes": {"description": new_text},
                   "base": {"description": editor.text}, "version": editor.version, "op_id": op_id}
        started = time.perf_counter()
        ack_task = asyncio.ensure_future(editor.client.sio.call("edit", payload, timeout=10))
        arrived = await asyncio.wait_for(fut, 10)
        ack = await ack_task
        acked = time.perf_counter()
        editor.version, editor.text = ack["version"], new_text
        if i >= 10:
            samples.append(arrived - started)
            acks.append(acked - started)
        await asyncio.sleep(pause)
    return samples, acks


async def direct_okr_edits(ns: str, editor: Editor, user_id: int, pause: float) -> list[float]:
    """The same edit straight to okr over NATS, `pause` seconds apart, no realtime: what okr
    itself costs."""
    import json

    nc = await nats.connect(NATS_URL)
    samples = []
    try:
        for i in range(UNLOADED + 10):
            new_text = editor.text + "y"
            body = {"actor_id": user_id, "entity": "objective", "id": editor.objective["id"],
                    "changes": {"description": new_text}, "base": {"description": editor.text},
                    "version": editor.version, "op_id": secrets.token_hex(8)}
            started = time.perf_counter()
            msg = await nc.request(f"{ns}.okr.cmd.edit", json.dumps(body).encode(), timeout=10)
            if i >= 10:
                samples.append(time.perf_counter() - started)
            editor.version, editor.text = json.loads(msg.data)["version"], new_text
            await asyncio.sleep(pause)
    finally:
        await nc.close()
    return samples


def innodb_row_lock_waits() -> tuple[int, int]:
    """MariaDB's running totals: row-lock waits, and milliseconds spent waiting."""
    engine = sa.create_engine(DB)
    with engine.connect() as c:
        status = dict(c.execute(sa.text("SHOW GLOBAL STATUS WHERE Variable_name IN "
                                        "('Innodb_row_lock_waits', 'Innodb_row_lock_time')")).all())
    engine.dispose()
    return int(status["Innodb_row_lock_waits"]), int(status["Innodb_row_lock_time"])


async def contended_okr_edits(ns: str, editors: list[Editor], owner_ids: list[int]) -> dict[str, Any]:
    """Every editor at once, each sending its next edit as soon as the last is answered
    (all of one quarter, so every commit bumps the same revision row): what okr alone
    sustains, and how much of it is spent waiting for row locks."""
    import json

    nc = await nats.connect(NATS_URL)
    samples: list[float] = []

    async def editor_loop(editor: Editor, user_id: int) -> None:
        for _ in range(CONTENDED_EDITS):
            new_text = editor.text + "z"
            body = {"actor_id": user_id, "entity": "objective", "id": editor.objective["id"],
                    "changes": {"description": new_text}, "base": {"description": editor.text},
                    "version": editor.version, "op_id": secrets.token_hex(8)}
            started = time.perf_counter()
            reply = json.loads((await nc.request(f"{ns}.okr.cmd.edit", json.dumps(body).encode(), timeout=30)).data)
            samples.append(time.perf_counter() - started)
            editor.version, editor.text = reply["version"], reply.get("value", new_text)

    try:
        waits_before, wait_ms_before = innodb_row_lock_waits()
        wall = time.perf_counter()
        await asyncio.gather(*(editor_loop(e, u) for e, u in zip(editors, owner_ids, strict=True)))
        wall = time.perf_counter() - wall
        waits, wait_ms = innodb_row_lock_waits()
    finally:
        await nc.close()
    return {**summary_ms(samples), "editors": len(editors), "edits_per_s": round(len(samples) / wall, 1),
            "row_lock_waits_per_edit": round((waits - waits_before) / len(samples), 3),
            "row_lock_wait_ms_per_edit": round((wait_ms - wait_ms_before) / len(samples), 3)}


async def fanout_probe(ns: str, room: str, cycle: str, team_id: int, receivers: list[Receiver],
                       stop: asyncio.Event) -> list[float]:
    """realtime alone: a synthetic event published on the bus → each client of the room.
    Runs beside the load, 10 probes a second."""
    import json

    nc = await nats.connect(NATS_URL)
    samples: list[float] = []
    try:
        while not stop.is_set():
            op_id = "probe-" + secrets.token_hex(6)
            envelope = {"id": secrets.token_hex(13), "type": "objective.updated", "source": "okr", "op_id": op_id,
                        "subject_id": 0, "version": 0, "scope": {"cycle": cycle, "team_id": team_id},
                        "changes": [], "data": {}, "actor_id": None, "trace_id": None,
                        "occurred_at": "2027-01-01T00:00:00Z"}
            started = time.perf_counter()
            await nc.publish(f"{ns}.okr.events.objective.updated", json.dumps(envelope).encode())
            await nc.flush()
            await asyncio.sleep(0.1)
            samples.extend(r.arrivals[op_id] - started for r in receivers if op_id in r.arrivals)
    finally:
        await nc.close()
    return samples


async def loaded(editors: list[Editor], members: list[list[Receiver]], ns: str, world: dict[str, Any]) -> dict[str, Any]:
    interval = 1 / RATE
    stop = asyncio.Event()
    probe_room = world["rooms"][0]
    probe = asyncio.ensure_future(fanout_probe(ns, probe_room["room"], world["cycle"],
                                               probe_room["objective"]["team_id"], members[0], stop))
    deadline = time.perf_counter() + SECONDS
    sent: list[tuple[int, str, float]] = []  # (room, op_id, t0)
    lag: list[float] = []

    async def type_(i: int, editor: Editor) -> None:
        await asyncio.sleep(random.random() * interval)
        next_at = time.perf_counter()
        while next_at < deadline:
            now = time.perf_counter()
            if next_at > now:
                await asyncio.sleep(next_at - now)
            lag.append(max(0.0, time.perf_counter() - next_at))
            op_id, started = await editor.edit()
            sent.append((i, op_id, started))
            next_at += interval

    await asyncio.gather(*(type_(i, e) for i, e in enumerate(editors)))
    stop.set()
    probe_samples = await probe
    await asyncio.sleep(2)  # let the last events arrive
    latencies: list[float] = []
    lost = 0
    for room_i, op_id, started in sent:
        for receiver in members[room_i][1:]:
            arrived = receiver.arrivals.get(op_id)
            if arrived is None:
                lost += 1
            else:
                latencies.append(arrived - started)
    duplicated = sum(n - 1 for room in members for r in room for n in r.counts.values() if n > 1)
    failures = [f for e in editors for f in e.failures]
    return {"edits": len(sent), "deliveries": len(latencies), "lost": lost, "duplicated": duplicated,
            "failed_acks": len(failures), "failure_examples": failures[:3],
            "edits_per_second": round(len(sent) / SECONDS, 1),
            "latency": summary_ms(latencies), "ack": summary_ms([a for e in editors for a in e.acks]),
            "fanout_only": summary_ms(probe_samples),
            "schedule_lag": summary_ms(lag)}


def with_sums(parts: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The floor's hops and what they add up to."""
    return {**parts, "sum_p50_ms": round(sum(p["p50_ms"] for p in parts.values()), 3),
            "sum_p99_ms": round(sum(p["p99_ms"] for p in parts.values()), 3)}


def by_name(by_condition: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per-condition figures as one dict: the paced ones under their own names (the unloaded
    figures always were paced), the back-to-back ones prefixed `back_to_back_`."""
    return {**by_condition["paced"], **{f"back_to_back_{k}": v for k, v in by_condition["back_to_back"].items()}}


def row(what: str, s: dict[str, float]) -> list[str]:
    return [what, str(s["n"]), str(s["p50_ms"]), str(s["p99_ms"])]


def rows(what: str, by_condition: dict[str, dict[str, Any]], key: str) -> list[list[str]]:
    """One table row per condition for the figure `key`."""
    return [row(f"{what}, {LABELS[c]}", figures[key]) for c, figures in by_condition.items()]


def ratio_rows(what: str, by_condition: dict[str, dict[str, float]], key: str) -> list[list[str]]:
    return [[f"{what}, {LABELS[c]}", "", str(ratios[key]), ""] for c, ratios in by_condition.items()]


async def main() -> None:
    ns = "bench_rt_" + secrets.token_hex(3)
    tmp = Path(tempfile.mkdtemp(prefix="boost-rt-bench-"))
    env = {"BOOST_DATABASE_URL": DB, "BOOST_NATS_URL": NATS_URL, "BOOST_NAMESPACE": ns, "BOOST_DATA_DIR": str(tmp),
           "BOOST_DEMO": "0", "BOOST_LOG_LEVEL": "WARNING", "BOOST_ADMIN_EMAILS": "admin@boost.example"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        print("floor, back to back and paced…", flush=True)
        floor = {cond: with_sums({"socketio_ack": summary_ms(await floor_socketio(pause)),
                                  "nats_request": summary_ms(await floor_nats(f"{ns}.floor", pause)),
                                  "mariadb_commit": summary_ms(await asyncio.to_thread(floor_commit, f"{ns}_floor",
                                                                                       pause))})
                 for cond, pause in CONDITIONS.items()}
        okr_port, rt_ports = free_port(), [free_port(), free_port()]
        procs.append(start_service("okr", okr_port, env, tmp / "okr.log"))
        for i, port in enumerate(rt_ports):
            procs.append(start_service("realtime", port, env, tmp / f"realtime{i}.log"))
        urls = [f"http://127.0.0.1:{p}" for p in rt_ports]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{okr_port}", timeout=30) as okr:
            print("seeding…", flush=True)
            world = await seed(okr)
            await asyncio.sleep(1)  # the replicas have okr's keys by now (readyz said NATS is up)
            print(f"connecting {CLIENTS} clients…", flush=True)
            everyone, members = await connect_all(urls, world)
            # This one process stands in for 200 browsers: a full collection of its 200
            # clients would delay every receipt at once and be counted as the system's.
            gc.collect()
            gc.freeze()
            pauses = GcPauses()
            editors = [Editor(room[0], world["rooms"][i]["objective"]) for i, room in enumerate(members)]

            print("unloaded single edits, back to back and paced…", flush=True)
            # The editor of room 0 and a client of the same room on the other replica.
            other = next(r for r in members[0][1:] if r.replica != members[0][0].replica)
            objective_id, owner_id = world["rooms"][0]["objective"]["id"], world["rooms"][0]["objective"]["owner_id"]
            single: dict[str, dict[str, Any]] = {}
            for cond, pause in CONDITIONS.items():
                samples, acks = await unloaded(editors[0], other, pause)
                single[cond] = {
                    "unloaded_edit_to_other_client": summary_ms(samples), "unloaded_edit_to_ack": summary_ms(acks),
                    "unloaded_okr_cmd_edit_direct": summary_ms(await direct_okr_edits(ns, editors[0], owner_id, pause)),
                    # In a thread, so that this loop keeps answering the replicas' pings meanwhile.
                    "floor_edit_transaction_sql": summary_ms(await asyncio.to_thread(
                        floor_edit_sql, ns, objective_id, owner_id, world["cycle"], pause))}
            print("the same hops bare…", flush=True)
            bare = await bare_pipeline(ns, NATS_URL, DB, objective_id, owner_id, world["cycle"], FLOOR_N,
                                       list(CONDITIONS.values()))
            for cond, pause in CONDITIONS.items():
                single[cond]["floor_bare_pipeline"] = summary_ms(bare[pause])

            print(f"load: {ROOMS} editors × {RATE}/s for {SECONDS}s…", flush=True)
            watched = {"okr": procs[0].pid, "realtime_1": procs[1].pid, "realtime_2": procs[2].pid,
                       "load_generator": os.getpid()}
            cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
            # 200 browsers do not share one garbage collector: this process's collections
            # (10–17 ms each, of the receipts it records) would be counted as the system's.
            gc.collect()
            gc.freeze()
            gc.disable()
            wall = time.perf_counter()
            with pauses.counting():
                load = await loaded(editors, members, ns, world)
            wall = time.perf_counter() - wall
            gc.enable()
            load["load_generator_gc_pauses_over_10ms"] = pauses.seen
            load["cpu_share_of_one_core"] = {name: round((cpu_seconds(pid) - cpu_before[name]) / wall, 2)
                                             for name, pid in watched.items()}
            load["load_average_after"] = load_average()
            for r in everyone:
                with contextlib.suppress(Exception):
                    await r.sio.disconnect()
            print(f"okr alone, {ROOMS} editors at once…", flush=True)
            contended = await contended_okr_edits(ns, editors, [room["objective"]["owner_id"] for room in world["rooms"]])

        ratios: dict[str, dict[str, float]] = {}
        for cond, figures in single.items():
            edit_p50, hops = figures["unloaded_edit_to_other_client"]["p50_ms"], floor[cond]
            # The same floor with the edit's own SQL in place of a one-row commit.
            with_edit_sql = (hops["socketio_ack"]["p50_ms"] + hops["nats_request"]["p50_ms"]
                             + figures["floor_edit_transaction_sql"]["p50_ms"])
            ratios[cond] = {"unloaded_p50_over_floor_p50": round(edit_p50 / hops["sum_p50_ms"], 2),
                            "unloaded_p50_over_floor_with_edit_sql_p50": round(edit_p50 / with_edit_sql, 2),
                            "unloaded_p50_over_bare_pipeline_p50":
                                round(edit_p50 / figures["floor_bare_pipeline"]["p50_ms"], 2),
                            "loaded_p99_over_floor_p99": round(load["latency"]["p99_ms"] / hops["sum_p99_ms"], 2)}
        results: dict[str, Any] = {
            "setup": {"clients": CLIENTS, "rooms": ROOMS, "editors": ROOMS, "rate_per_editor": RATE,
                      "seconds": SECONDS, "replicas": 2, "pace_s": PACE},
            "floor": floor,
            **by_name(single),
            "contended_okr_cmd_edit": contended,
            "loaded_edit_to_other_clients": load,
            "ratios": by_name(ratios),
            "goals": {"loaded_p99_le_50ms": load["latency"]["p99_ms"] <= 50,
                      **{f"unloaded_p50_le_3x_floor_{cond}":
                         figures["unloaded_edit_to_other_client"]["p50_ms"] <= 3 * floor[cond]["sum_p50_ms"]
                         for cond, figures in single.items()},
                      "no_lost_or_duplicated": load["lost"] == 0 and load["duplicated"] == 0},
        }
        table = [
            ["what", "n", "p50 ms", "p99 ms"],
            *rows("floor: Socket.IO ack round trip", floor, "socketio_ack"),
            *rows("floor: NATS request/reply", floor, "nats_request"),
            *rows("floor: MariaDB INSERT+COMMIT", floor, "mariadb_commit"),
            *([f"floor: sum, {LABELS[c]}", "", f"{hops['sum_p50_ms']:.3f}", f"{hops['sum_p99_ms']:.3f}"]
              for c, hops in floor.items()),
            *rows("unloaded edit → client on the other replica", single, "unloaded_edit_to_other_client"),
            *rows("unloaded edit → ack (editor)", single, "unloaded_edit_to_ack"),
            *rows("unloaded okr.cmd.edit straight over NATS (no realtime)", single, "unloaded_okr_cmd_edit_direct"),
            row(f"loaded ({CLIENTS} clients, {ROOMS} editors × {RATE}/s) edit → other clients", load["latency"]),
            row("loaded: edit → ack (editor)", load["ack"]),
            row("loaded: realtime alone (bus publish → clients)", load["fanout_only"]),
            *ratio_rows("ratio unloaded p50 / floor p50", ratios, "unloaded_p50_over_floor_p50"),
            *rows("floor: the edit transaction's own SQL, raw (its 2 batches)", single,
                  "floor_edit_transaction_sql"),
            *ratio_rows("ratio unloaded p50 / (Socket.IO + NATS + the edit's SQL) p50", ratios,
                        "unloaded_p50_over_floor_with_edit_sql_p50"),
            *rows("floor: the same hops bare (SIO → NATS → 2 SQL batches → JetStream → SIO), no Boost code", single,
                  "floor_bare_pipeline"),
            *ratio_rows("ratio unloaded p50 / bare pipeline p50", ratios, "unloaded_p50_over_bare_pipeline_p50"),
            [f"okr alone, {contended['editors']} editors of one quarter at once, back to back: "
             f"{contended['edits_per_s']} edits/s, row-lock waits per edit {contended['row_lock_waits_per_edit']} "
             f"({contended['row_lock_wait_ms_per_edit']} ms)", str(contended["n"]), str(contended["p50_ms"]),
             str(contended["p99_ms"])],
            ["lost / duplicated / failed acks", "", f"{load['lost']} / {load['duplicated']} / {load['failed_acks']}", ""],
            ["CPU under load (share of one core)", "",
             ", ".join(f"{k} {v}" for k, v in load["cpu_share_of_one_core"].items()), ""],
            ["machine load average after the run (2 cores, shared)", "", str(load["load_average_after"]), ""],
            ["load generator's own GC pauses over 10 ms during the load (ms)", "",
             str(load["load_generator_gc_pauses_over_10ms"] or "none"), ""],
        ]
        print(write_results("realtime", results, table))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)
        await cleanup(ns)


async def cleanup(ns: str) -> None:
    engine = sa.create_engine(DB, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        for (schema,) in c.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": ns + "\\_%"}):
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS `{schema}`")
    engine.dispose()
    with contextlib.suppress(Exception):
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(ns + "_"):
                await js.delete_stream(info.config.name)
        await nc.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--echo-server":
        echo_server(int(sys.argv[2]))
    else:
        # uvloop, as the services under uvicorn: the clients standing in for 200 browsers
        # take less of the machine they share with the system.
        uvloop.run(main())
