"""The whole system under a mixed load, through the gateway, until it gives.

Run: .venv/bin/python -m bench.load_bench   (needs MariaDB at 127.0.0.1:3306, nginx and the built web app)
Quick smoke run: .venv/bin/python -m bench.load_bench --quick   (or BENCH_QUICK=1; writes to a temporary
directory, not over bench/results, unless BENCH_RESULTS_DIR says where)

Boost is started the `make run` way (scripts/boost.py's Stack: the bundled NATS, the five services,
nginx) on MariaDB in a namespace of its own, dropped at the end. The demo company is scaled to
2,000 people in 200 teams with 2,000 objectives, 8,000 key results and 100,000 check-ins (straight
into okr's tables; okr is then restarted and feedback rebuilds its read model from okr's queries).

A second process (the load generator) drives, through nginx on loopback, open-loop Poisson arrivals
at a target total rate with a fixed mix: the dashboard (company and team), title edits over
Socket.IO (other clients in the objective's room and in the cycle's room receive them), one-click
check-ins, and chat messages in objectives' threads. The rate ramps in steps until the p99 of an
operation passes 100 ms, or anything fails (an error, a lost delivery, a socket dropped as too
slow, the generator falling behind); the sustained rate is the last step that held. A delivery a
client missed because realtime had dropped its socket (back-pressure: the web app reconnects and
refetches, these clients do not) is counted apart from a lost one. Per step: p50/p99 per operation, errors,
the achieved rate, and CPU per process (each service, nginx, NATS, MariaDB, the generator) as a
share of one core, beside the floors measured in the same run by the same process: a NATS
request/reply, a Socket.IO ack round trip, a MariaDB primary-key SELECT and a one-row commit, and
a static file through nginx.

The machine may be shared: each step also reports the machine's CPU use and pressure, and probes the
SQL and static-file floors beside the load; a step that fails while other jobs took more than half a
core is run again once (--retry-busy), and --quiet-wait waits for a calmer moment before each step.

--hog runs a CPU hog beside the load for the whole run (a process busy for half of every 10 ms: half a
core taken, the shared machine made reproducible); the results say so and go to load_hog.json/.md.

Each step also gives the CPU per request: the CPU seconds of each process (from /proc, before and after
the step) divided by the requests completed in it, for each service, nginx, NATS, MariaDB, the load
generator, all of Boost together, and the whole machine (/proc/stat, neighbours and hog included).

Knobs: --rates 5,10,20,… --step-seconds 25 --max-p99-ms 100 --stop-after 2 --retry-busy 1 --quiet-wait 0
--hog --replicas okr=2,realtime=2 --nats nats://… (default: the bundled server, so its CPU is ours alone)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvloop

from bench.common import (
    NOT_BOOST,
    ROOT,
    Hog,
    Timeline,
    Watch,
    free_port,
    machine,
    mariadb_pids,
    ms_cpu_per_request,
    results_dir,
    summary_ms,
    wait_for_quiet,
    with_children,
    write_results,
)

sys.path.insert(0, str(ROOT / "scripts"))

DB = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
NOW = "2027-02-20T01:00:00+00:00"  # 2027-Q1 is running
CYCLE = "2027-Q1"
OP_PREFIX = "load-"
# Share of the arrivals per operation (the brief's 40/30/20/10, the dashboard split evenly).
MIX = {"dashboard_company": 0.2, "dashboard_team": 0.2, "edit": 0.3, "check_in": 0.2, "chat": 0.1}
WORDS = "we shipped the beta to ten customers churn is down let us pair on the funnel tomorrow".split()


@dataclass(frozen=True)
class Scale:
    people: int
    teams: int
    objectives: int
    krs_per_objective: int
    check_ins: int
    editors: int  # people typing titles, each on an objective of their own team
    watchers_per_objective: int  # other clients in each edited objective's room
    cycle_viewers: int  # clients on the quarter's page (the cycle room: every event)
    floor_n: int


FULL = Scale(people=2000, teams=200, objectives=2000, krs_per_objective=4, check_ins=100_000,
             editors=20, watchers_per_objective=2, cycle_viewers=5, floor_n=300)
QUICK = Scale(people=200, teams=20, objectives=200, krs_per_objective=4, check_ins=5_000,
              editors=4, watchers_per_objective=1, cycle_viewers=1, floor_n=100)


# ---------------------------------------------------------------------- seeding

def seed(engine: sa.Engine, scale: Scale) -> dict[str, Any]:
    """Scale the demo company up to `scale.people` people and `scale.teams` teams, with this
    quarter's objectives, key results and their check-in history."""
    rng = random.Random(7)
    now = datetime(2027, 2, 20, 1, tzinfo=UTC)
    with engine.begin() as c:
        root = c.execute(sa.text("SELECT id FROM teams WHERE parent_id IS NULL")).scalar_one()
        existing_teams = c.execute(sa.text("SELECT COUNT(*) FROM teams")).scalar_one()
        existing_people = c.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one()
        new_teams = scale.teams - existing_teams
        c.execute(sa.text("INSERT INTO teams (name, parent_id) VALUES (:n, :p)"),
                  [{"n": f"Load team {i}", "p": root} for i in range(new_teams)])
        team_ids = list(c.execute(sa.text("SELECT id FROM teams WHERE name LIKE 'Load team %' ORDER BY id")).scalars())
        c.execute(sa.text("INSERT INTO users (email, name, role, active, muted_reminders, created_at) "
                          "VALUES (:e, :n, 'member', 1, '[]', :t)"),
                  [{"e": f"p{i}@load.example", "n": f"Person {i}", "t": now}
                   for i in range(scale.people - existing_people)])
        user_ids = list(c.execute(sa.text("SELECT id FROM users WHERE email LIKE '%@load.example' ORDER BY id")).scalars())
        members: dict[int, list[int]] = defaultdict(list)
        for i, u in enumerate(user_ids):
            members[team_ids[i % len(team_ids)]].append(u)
        c.execute(sa.text("INSERT INTO memberships (team_id, user_id, role) VALUES (:t, :u, :r)"),
                  [{"t": t, "u": u, "r": "lead" if k == 0 else "member"}
                   for t, us in members.items() for k, u in enumerate(us)])
        c.execute(sa.text("INSERT INTO objectives (cycle, team_id, owner_id, title, description, status, version, "
                          "field_versions, position, created_at, updated_at) VALUES (:c, :t, :o, :ti, '', 'approved', "
                          "1, '{}', :p, :n, :n)"),
                  [{"c": CYCLE, "t": team_ids[i % len(team_ids)], "o": _owner(members, team_ids, i),
                    "ti": f"Objective {i}", "p": i, "n": now} for i in range(scale.objectives)])
        objectives = list(c.execute(sa.text("SELECT id, team_id FROM objectives WHERE title LIKE 'Objective %' "
                                            "AND cycle = :c ORDER BY id"), {"c": CYCLE}))
        krs = []
        for i, (oid, team_id) in enumerate(objectives):
            for j in range(scale.krs_per_objective):
                target = rng.choice([10, 100, 1000])
                krs.append({"o": oid, "ti": f"KR {i}.{j}", "ow": rng.choice(members[team_id]), "t": target,
                            "cur": round(target * rng.random(), 2), "w": rng.choice([1, 1, 2]),
                            "conf": rng.randint(0, 10), "last": now - timedelta(days=rng.randint(0, 20)), "n": now})
        c.execute(sa.text("INSERT INTO key_results (objective_id, title, owner_id, kind, start, target, current, unit, "
                          "weight, confidence, last_check_in_at, version, field_versions, position, created_at) VALUES "
                          "(:o, :ti, :ow, 'number', 0, :t, :cur, '', :w, :conf, :last, 1, '{}', 0, :n)"), krs)
        kr_rows = list(c.execute(sa.text("SELECT k.id, k.objective_id FROM key_results k JOIN objectives o "
                                         "ON o.id = k.objective_id WHERE o.title LIKE 'Objective %' ORDER BY k.id")))
        batch = []
        for i in range(scale.check_ins):
            batch.append({"k": kr_rows[i % len(kr_rows)][0], "v": rng.random() * 100, "c": rng.randint(0, 10),
                          "a": user_ids[i % len(user_ids)], "t": now - timedelta(hours=i % 1200)})
            if len(batch) == 10_000 or i == scale.check_ins - 1:
                c.execute(sa.text("INSERT INTO check_ins (key_result_id, value, confidence, note, author_id, created_at) "
                                  "VALUES (:k, :v, :c, '', :a, :t)"), batch)
                batch = []
    krs_of: dict[int, list[int]] = defaultdict(list)
    for kr_id, oid in kr_rows:
        krs_of[oid].append(kr_id)
    # Editor k: the lead of team k, typing the title of objective k (of team k).
    actors = [{"email": f"p{k}@load.example", "team_id": team_ids[k], "objective_id": objectives[k][0],
               "kr_ids": krs_of[objectives[k][0]]} for k in range(scale.editors)]
    return {"team_ids": team_ids, "actors": actors}


def _owner(members: dict[int, list[int]], team_ids: list[int], i: int) -> int:
    team = members[team_ids[i % len(team_ids)]]
    return team[(i // len(team_ids)) % len(team)]


# ---------------------------------------------------------------------- the load generator (its own process)

class Receiver:
    """A connected client: when each of our edits (by op_id) and chat messages (by id) reached it."""

    def __init__(self, name: str) -> None:
        import socketio

        self.name = name
        self.sio = socketio.AsyncClient(reconnection=False)
        self.edits: dict[str, float] = {}
        self.messages: dict[int, float] = {}
        self.repeats = 0
        # When the server dropped this socket (realtime drops one that does not read fast enough,
        # throwing away what it had queued for it: the web app then reconnects and refetches).
        # What it missed is counted as `dropped`, not lost: this client does not reconnect.
        self.dropped_at: float | None = None
        self.closing = False
        self.sio.on("okr.event", self._okr)
        self.sio.on("feedback.event", self._feedback)
        self.sio.on("disconnect", self._gone)

    async def _gone(self, *_: Any) -> None:
        if not self.closing and self.dropped_at is None:
            self.dropped_at = time.perf_counter()

    def missed(self, seen: dict[Any, float], key: Any) -> str | None:
        """None when `key` arrived; else `dropped` when realtime dropped this socket at any time
        (what was queued for it is thrown away with it, `boost_realtime_discarded_messages_total`;
        on an overloaded machine that queue spans many seconds, so when the drop came does not
        tell a discarded message from a lost one), or `lost`."""
        if key in seen:
            return None
        return "dropped" if self.dropped_at is not None else "lost"

    async def _okr(self, envelope: dict[str, Any]) -> None:
        op_id = envelope.get("op_id") or ""
        if op_id.startswith(OP_PREFIX) and envelope.get("type") == "objective.updated":
            self._arrived(self.edits, op_id)

    async def _feedback(self, envelope: dict[str, Any]) -> None:
        if str(envelope.get("type", "")).endswith("message.created"):
            self._arrived(self.messages, int(envelope.get("subject_id") or 0))

    def _arrived(self, seen: dict[Any, float], key: Any) -> None:
        if key in seen:
            self.repeats += 1
        else:
            seen[key] = time.perf_counter()


@dataclass
class Editor:
    receiver: Receiver
    objective_id: int
    title: str = ""
    version: int = 0
    busy: bool = False
    typed: int = 0


class ClientPauses:
    """The load generator's own pauses during a step: its garbage collections and its event
    loop running late. A pause here delays every answer being read at that moment, so a
    burst of slow requests at one instant is only the server's if the client did not pause."""

    TICK = 0.01

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.gc: list[tuple[float, int, float]] = []  # (at s, generation, ms)
        self.late: list[tuple[float, float]] = []  # (at s, ms the loop ran late)
        self._gc_at = 0.0
        self._task: asyncio.Task[None] | None = None

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_at = now
        elif (now - self._gc_at) * 1000 >= 5:
            self.gc.append((round(self._gc_at - self.started, 2), info["generation"], round((now - self._gc_at) * 1000, 1)))

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.TICK)
            late = (time.perf_counter() - before - self.TICK) * 1000
            if late >= 20:
                self.late.append((round(before - self.started, 2), round(late, 1)))

    def start(self) -> None:
        self.started = time.perf_counter()
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._tick())

    def stop(self) -> dict[str, Any]:
        gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
        return {"gc_pauses": self.gc, "loop_late": self.late,
                "max_gc_ms": max((ms for *_, ms in self.gc), default=0.0),
                "max_late_ms": max((ms for _, ms in self.late), default=0.0)}


@dataclass
class Record:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    shed: Counter[str] = field(default_factory=Counter)  # 503 + Retry-After answers, retried as the web app does
    examples: list[str] = field(default_factory=list)
    edits: list[tuple[str, int, float, int]] = field(default_factory=list)  # op_id, objective, sent at, version acked
    messages: list[tuple[int, int, float]] = field(default_factory=list)  # message id, objective, sent at

    started: float = field(default_factory=time.perf_counter)
    timeline: list[tuple[float, str, float]] = field(default_factory=list)  # (sent at, op, seconds)

    def took(self, op: str, sent_at: float) -> None:
        seconds = time.perf_counter() - sent_at
        self.samples[op].append(seconds)
        self.timeline.append((sent_at - self.started, op, seconds))

    def fail(self, op: str, what: str) -> None:
        self.errors[op] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{op}: {what}"[:300])


class SqlFloor:
    """The SQL no write or read can avoid: a primary-key SELECT of an objective, and a one-row
    INSERT + COMMIT into a table of its own (pymysql, one connection each)."""

    def __init__(self, ns: str, objective_ids: list[int]) -> None:
        schema = f"{ns}_floor"
        engine = sa.create_engine(DB, isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
            c.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS `{schema}`.commits "
                              "(id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))")
        engine.dispose()
        self.engines = [sa.create_engine(sa.engine.make_url(DB).set(database=f"{ns}_boost_okr")),
                        sa.create_engine(sa.engine.make_url(DB).set(database=schema))]
        self.okr, self.own = (e.connect() for e in self.engines)
        self.ids = objective_ids

    def select(self, i: int) -> float:
        started = time.perf_counter()
        self.okr.execute(sa.text("SELECT id, title, version FROM objectives WHERE id = :i"),
                         {"i": self.ids[i % len(self.ids)]}).one()
        return time.perf_counter() - started

    def commit(self, i: int) -> float:
        started = time.perf_counter()
        self.own.execute(sa.text("INSERT INTO commits (v) VALUES (:v)"), {"v": f"row {i}"})
        self.own.commit()
        return time.perf_counter() - started

    def close(self) -> None:
        self.okr.close()
        self.own.close()
        for e in self.engines:
            e.dispose()


class FloorProbe(threading.Thread):
    """The floors again, beside the load, five times a second from a thread of their own: when the
    machine or MariaDB stalls, it shows here too and is not blamed on Boost."""

    def __init__(self, sql: SqlFloor, static_url: str) -> None:
        super().__init__(daemon=True)
        self.sql, self.static_url = sql, static_url
        self.halt = threading.Event()
        self.samples: dict[str, list[tuple[float, float]]] = defaultdict(list)  # floor → (sent at, seconds)

    def static(self) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(self.static_url, timeout=10) as r:
            r.read()
        return time.perf_counter() - started

    def run(self) -> None:
        t0, i = time.perf_counter(), 0
        while not self.halt.wait(0.2):
            i += 1
            for name, probe in (("sql_pk_select", self.sql.select), ("sql_commit", self.sql.commit),
                                ("nginx_static", lambda _i: self.static())):
                at = time.perf_counter() - t0
                with contextlib.suppress(Exception):
                    self.samples[name].append((at, probe(i)))

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: summary_ms([sec for _, sec in v]) for name, v in self.samples.items()}
        out["slowest"] = [{"at_s": round(at, 2), "floor": name, "ms": round(sec * 1000, 1)}
                          for name, at, sec in sorted(((n, at, sec) for n, v in self.samples.items() for at, sec in v),
                                                      key=lambda x: -x[2])[:5]]
        return out


def around(timeline: list[tuple[float, str, float]], half: float = 0.5) -> dict[str, dict[str, float]]:
    if not timeline:
        return {}
    at = max(timeline, key=lambda t: t[2])[0]
    near: dict[str, list[float]] = defaultdict(list)
    for sent, op, sec in timeline:
        if abs(sent - at) <= half:
            near[op].append(sec * 1000)
    return {op: {"n": len(ms), "max_ms": round(max(ms), 1), "median_ms": round(sorted(ms)[len(ms) // 2], 1)}
            for op, ms in sorted(near.items())}


def per_second(timeline: list[tuple[float, str, float]], seconds: float) -> list[dict[str, Any]]:
    """Requests sent in each second of the step and their slowest answer: a queue building up
    climbs through the step, a stall is one bad second."""
    out = []
    for second in range(int(seconds)):
        took = [sec for at, _, sec in timeline if second <= at < second + 1]
        out.append({"s": second, "n": len(took), "max_ms": round(max(took, default=0.0) * 1000, 1)})
    return out


class LoadGenerator:
    def __init__(self, world: dict[str, Any]) -> None:
        self.world = world
        self.base = world["base_url"]
        self.scale = Scale(**world["scale"])
        self.actors: list[dict[str, Any]] = world["actors"]
        self.rng = random.Random(11)
        self.record = Record()
        self.editors: list[Editor] = []
        self.watchers: dict[int, list[Receiver]] = defaultdict(list)  # objective id → clients in its room
        self.viewers: list[Receiver] = []  # clients in the cycle's room

    async def start(self) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession(base_url=self.base, timeout=aiohttp.ClientTimeout(total=10),
                                          connector=aiohttp.TCPConnector(limit=256))
        for a in self.actors:
            a["auth"] = {"Authorization": f"Bearer {a['token']}"}
        n = len(self.actors)
        for k, a in enumerate(self.actors):
            editor = Editor(await self._client(f"editor{k}", a["token"], f"objective:{a['objective_id']}"),
                            a["objective_id"])
            async with self.http.get(f"/api/okr/objectives/{editor.objective_id}", headers=a["auth"]) as r:
                body = await r.json()
            editor.title, editor.version = body["title"], body["version"]
            self.editors.append(editor)
            for w in range(self.scale.watchers_per_objective):
                watcher = self.actors[(k + 1 + w) % n]
                self.watchers[a["objective_id"]].append(
                    await self._client(f"watcher{k}.{w}", watcher["token"], f"objective:{a['objective_id']}"))
        for v in range(self.scale.cycle_viewers):
            self.viewers.append(await self._client(f"viewer{v}", self.actors[v % n]["token"], f"cycle:{CYCLE}"))

    async def _client(self, name: str, token: str, room: str) -> Receiver:
        r = Receiver(name)
        await r.sio.connect(self.base, transports=["websocket"], auth={"token": token}, wait_timeout=10)
        ack = await r.sio.call("subscribe", {"room": room}, timeout=10)
        if ack != {"ok": True}:
            raise RuntimeError(f"subscribe {room}: {ack}")
        return r

    async def close(self) -> None:
        for r in [e.receiver for e in self.editors] + [w for ws in self.watchers.values() for w in ws] + self.viewers:
            r.closing = True
            with contextlib.suppress(Exception):
                await r.sio.disconnect()
        await self.http.close()

    # ---------------------------------------------------------------- the operations
    async def dashboard_company(self) -> None:
        await self._get("dashboard_company", "/api/okr/dashboard", {"cycle": CYCLE})

    async def dashboard_team(self) -> None:
        team_id = self.rng.choice(self.world["team_ids"])
        await self._get("dashboard_team", "/api/okr/dashboard", {"cycle": CYCLE, "team_id": str(team_id)})

    async def _send(self, op: str, method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
        """One request the way the web app sends it: a 503 with Retry-After (a saturated service
        that did nothing) is sent again after the wait, up to three tries; the latency the
        caller records runs from the first try, so a shed request's wait counts."""
        for attempt in range(3):
            async with self.http.request(method, path, **kwargs) as r:
                body = await r.read()
                retry_after = r.headers.get("Retry-After")
            if r.status != 503 or retry_after is None or attempt == 2:
                return r.status, body
            self.record.shed[op] += 1
            await asyncio.sleep(min(float(retry_after), 5.0) * (0.8 + 0.4 * self.rng.random()))
        raise AssertionError("unreachable")

    async def _get(self, op: str, path: str, params: dict[str, str]) -> None:
        actor = self.rng.choice(self.actors)
        started = time.perf_counter()
        status, body = await self._send(op, "GET", path, params=params, headers=actor["auth"])
        if status != 200:
            self.record.fail(op, f"{status} {body[:200]!r}")
        else:
            self.record.took(op, started)

    async def check_in(self) -> None:
        actor = self.rng.choice(self.actors)
        kr_id = self.rng.choice(actor["kr_ids"])
        payload = {"value": round(self.rng.random() * 100, 2), "confidence": self.rng.randint(3, 10)}
        started = time.perf_counter()
        status, body = await self._send("check_in", "POST", f"/api/okr/key-results/{kr_id}/check-ins", json=payload,
                                        headers=actor["auth"])
        if status != 201:
            self.record.fail("check_in", f"{status} {body[:200]!r}")
        else:
            self.record.took("check_in", started)

    async def chat(self) -> None:
        actor = self.rng.choice(self.actors)
        objective_id = self.rng.choice(self.actors)["objective_id"]
        text = " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(4, 20)))
        started = time.perf_counter()
        status, body = await self._send("chat", "POST", f"/api/feedback/threads/objective:{objective_id}/messages",
                                        json={"body": text}, headers=actor["auth"])
        if status != 201:
            self.record.fail("chat", f"{status} {body[:200]!r}")
            return
        self.record.took("chat", started)
        self.record.messages.append((int(json.loads(body)["id"]), objective_id, started))

    async def edit(self) -> None:
        idle = [e for e in self.editors if not e.busy]
        editor = self.rng.choice(idle or self.editors)
        editor.busy = True
        try:
            editor.typed += 1
            # Typing at the end of the title; now and then the person retypes it.
            base = editor.title
            new_title = f"Objective {editor.objective_id}" if len(base) > 120 else base + self.rng.choice("abcdefgh ")
            op_id = OP_PREFIX + secrets.token_hex(8)
            payload = {"entity": "objective", "id": editor.objective_id, "changes": {"title": new_title},
                       "base": {"title": base}, "version": editor.version, "op_id": op_id}
            started = time.perf_counter()
            ack = await editor.receiver.sio.call("edit", payload, timeout=10)
            if not ack.get("ok"):
                self.record.fail("edit", json.dumps(ack))
                return
            self.record.took("edit", started)
            self.record.edits.append((op_id, editor.objective_id, started, int(ack["version"])))
            editor.version = ack["version"]
            editor.title = (ack.get("value") or {}).get("title", new_title)
        finally:
            editor.busy = False

    async def _run(self, op: str) -> None:
        try:
            await getattr(self, op)()
        except Exception as exc:  # a timeout, a refused connection: the user saw it fail
            self.record.fail(op, repr(exc))

    # ---------------------------------------------------------------- one step of the ramp
    async def step(self, rate: float, seconds: float) -> dict[str, Any]:
        self.record = Record()
        for r in self._receivers():
            r.edits.clear()
            r.messages.clear()
            r.repeats = 0
        ops, weights = list(MIX), list(MIX.values())
        tasks: set[asyncio.Task[None]] = set()
        lag: list[float] = []
        probe = FloorProbe(SqlFloor(self.world["ns"], [a["objective_id"] for a in self.actors]),
                           f"{self.base}/favicon.svg")
        pauses = ClientPauses()
        started = next_at = self.record.started = time.perf_counter()
        probe.start()
        pauses.start()
        while True:
            next_at += self.rng.expovariate(rate)
            if next_at - started >= seconds:
                break
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lag.append(max(0.0, time.perf_counter() - next_at))
            task = asyncio.create_task(self._run(self.rng.choices(ops, weights)[0]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        sent = len(lag)
        if tasks:
            _, pending = await asyncio.wait(set(tasks), timeout=15)
            for task in pending:
                task.cancel()
                self.record.fail("unfinished", "no answer 15 s after the step ended")
        window = time.perf_counter() - started
        client = pauses.stop()
        probe.halt.set()
        await asyncio.sleep(2)  # the last events reach the clients
        late = await self._late_deliveries(10)
        probe.join()
        probe.sql.close()
        return {**self._report(rate, seconds, sent, window, lag), "floors_under_load": probe.report(),
                "client_pauses": client, "late_deliveries": late, "started_perf": started}

    def _deliveries(self) -> tuple[list[float], dict[str, int], dict[str, int]]:
        """Every acknowledged edit and every posted message must reach each client in its rooms:
        how long each took, and what has not arrived (lost, or missed by a dropped socket)."""
        rec = self.record
        fanout: list[float] = []
        lost = {"edit": 0, "chat": 0}
        dropped = {"edit": 0, "chat": 0}
        missing = {"lost": lost, "dropped": dropped}
        # An edit that changed nothing (two sent at once by the same editor, when every editor is
        # busy, the second merging to the same title) is acknowledged with the version the other
        # made, and has no event of its own: one event per objective and version is expected.
        versions: dict[tuple[int, int], list[tuple[str, float]]] = defaultdict(list)
        for op_id, objective_id, sent_at, version in rec.edits:
            versions[(objective_id, version)].append((op_id, sent_at))
        for (objective_id, _), edits in versions.items():
            for receiver in self.watchers[objective_id] + self.viewers:
                came = next(((op_id, sent_at) for op_id, sent_at in edits if op_id in receiver.edits), None)
                if came is not None:
                    fanout.append(receiver.edits[came[0]] - came[1])
                elif (why := receiver.missed(receiver.edits, edits[0][0])) is not None:
                    missing[why]["edit"] += 1
        for message_id, objective_id, _ in rec.messages:
            for receiver in self.watchers[objective_id] + self.viewers:
                why = receiver.missed(receiver.messages, message_id)
                if why is not None:
                    missing[why]["chat"] += 1
        return fanout, lost, dropped

    async def _late_deliveries(self, wait: float) -> dict[str, Any]:
        """What had not arrived 2 s after the step may be late rather than lost (an overloaded
        step leaves a backlog): wait up to `wait` s more and count what came meanwhile."""
        _, before, _ = self._deliveries()
        if not sum(before.values()):
            return {"count": 0, "waited_s": 0.0}
        started = time.perf_counter()
        while time.perf_counter() - started < wait:
            await asyncio.sleep(0.5)
            _, now, _ = self._deliveries()
            if not sum(now.values()):
                break
        _, after, _ = self._deliveries()
        return {"count": sum(before.values()) - sum(after.values()), "waited_s": round(time.perf_counter() - started, 1)}

    def _receivers(self) -> list[Receiver]:
        return [e.receiver for e in self.editors] + [w for ws in self.watchers.values() for w in ws] + self.viewers

    def _report(self, rate: float, seconds: float, sent: int, window: float, lag: list[float]) -> dict[str, Any]:
        rec = self.record
        fanout, lost, dropped = self._deliveries()
        sockets_dropped = sum(r.dropped_at is not None for r in self._receivers())
        done = sum(len(v) for v in rec.samples.values())
        ops = {op: summary_ms(rec.samples[op]) for op in MIX}
        ops["edit_to_others"] = summary_ms(fanout)
        return {"target_rate": rate, "seconds": seconds, "sent": sent, "completed": done,
                "offered_rate": round(sent / seconds, 1), "achieved_rate": round(done / seconds, 1),
                "window_seconds": round(window, 2),
                "ops": ops, "errors": dict(rec.errors), "shed": dict(rec.shed), "error_examples": rec.examples, "lost": lost,
                "dropped": {"sockets": sockets_dropped, "deliveries": dropped},
                "duplicated": sum(r.repeats for r in self._receivers()),
                "schedule_lag": summary_ms(lag),
                "per_second": per_second(rec.timeline, seconds),
                # When the slowest requests were sent: together at one moment (a stall of a process or of
                # the machine) or spread out (the operation itself).
                "slowest": [{"at_s": round(at, 2), "op": op, "ms": round(sec * 1000, 1)}
                            for at, op, sec in sorted(rec.timeline, key=lambda t: -t[2])[:10]],
                # Every operation sent within half a second of the slowest one: did all of them wait
                # (a process or the machine stalled) or only some (a lock or a queue of their own)?
                "around_slowest": around(rec.timeline)}

    # ---------------------------------------------------------------- floors, by this same process
    async def floors(self) -> dict[str, Any]:
        from bench.realtime_bench import floor_socketio

        n = self.scale.floor_n
        out = {"nginx_static": summary_ms(await self._floor_static(n)),
               "socketio_ack": summary_ms(await floor_socketio()),
               "nats_request": summary_ms(await self._floor_nats(n))}
        out.update({k: summary_ms(v) for k, v in self._floor_sql(n).items()})
        return out

    async def _floor_static(self, n: int) -> list[float]:
        samples = []
        for i in range(n + 20):
            started = time.perf_counter()
            async with self.http.get("/favicon.svg") as r:
                await r.read()
                r.raise_for_status()
            if i >= 20:
                samples.append(time.perf_counter() - started)
        return samples

    async def _floor_nats(self, n: int) -> list[float]:
        from bench.floors import nats_request_reply

        return await nats_request_reply(self.world["nats_url"], f"{self.world['ns']}.floor", n)

    def _floor_sql(self, n: int) -> dict[str, list[float]]:
        sql = SqlFloor(self.world["ns"], [a["objective_id"] for a in self.actors])
        try:
            for i in range(20):
                sql.select(i)
                sql.commit(i)
            return {"sql_pk_select": [sql.select(i) for i in range(n)], "sql_commit": [sql.commit(i) for i in range(n)]}
        finally:
            sql.close()

    async def warm_up(self) -> None:
        """okr was just restarted: its first dashboard reads the whole quarter. Not measured."""
        for op in ("dashboard_company", "dashboard_team", "edit", "check_in", "chat") * 3:
            await getattr(self, op)()
        self.record = Record()


def generator_main(conn: Connection, world: dict[str, Any]) -> None:
    """The load generator's process: waits for orders from the conductor on the pipe."""

    async def serve() -> None:
        gen = LoadGenerator(world)
        await gen.start()
        # This one process stands in for every browser: a full collection of its clients would
        # delay every answer being read at once and be counted as the system's.
        gc.collect()
        gc.freeze()
        loop = asyncio.get_running_loop()
        conn.send({"ready": True})
        try:
            while True:
                order = await loop.run_in_executor(None, conn.recv)
                if order[0] == "floors":
                    conn.send(await gen.floors())
                elif order[0] == "warm_up":
                    await gen.warm_up()
                    conn.send({"ok": True})
                elif order[0] == "step":
                    conn.send(await gen.step(order[1], order[2]))
                else:
                    break
        finally:
            await gen.close()

    try:
        # uvloop, as the services under uvicorn: the clients take less of the machine they
        # share with the system, and their own loop runs late less often.
        uvloop.run(serve())
    except Exception as exc:
        conn.send({"crashed": repr(exc)})
        raise


# ---------------------------------------------------------------------- the conductor

def login(okr_url: str, email: str) -> str:
    request = urllib.request.Request(f"{okr_url}/api/auth/dev-login", data=json.dumps({"email": email}).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["token"])


def wait_for_chat(base_url: str, token: str, objective_id: int, timeout: float = 60) -> None:
    """feedback rebuilds its read model after the restart; until then a seeded objective is unknown."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(f"{base_url}/api/feedback/threads/objective:{objective_id}/messages",
                                         data=b'{"body": "ready?"}', method="POST",
                                         headers={"content-type": "application/json", "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def restart_afresh(stack: Any, ns: str) -> None:
    """Stop okr and feedback together, empty feedback's database, start them again."""
    names = [n for n in stack.children if n.split(".")[0] in ("okr", "feedback")]
    for name in names:
        os.killpg(stack.children[name].pid, signal.SIGTERM)
    for name in names:
        stack.children[name].wait(30)
    engine = sa.create_engine(DB, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS `{ns}_boost_feedback`")
    engine.dispose()
    for name in names:
        stack.start_one(name)


def drop_namespace(ns: str, nats_url: str | None) -> None:
    engine = sa.create_engine(DB, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        for (schema,) in c.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": ns + "\\_%"}):
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS `{schema}`")
    engine.dispose()
    if nats_url:  # a shared NATS keeps our streams and KV buckets unless we drop them
        async def drop_streams() -> None:
            import nats

            nc = await nats.connect(nats_url)
            js = nc.jetstream()
            for info in await js.streams_info():
                name = info.config.name or ""
                if name.startswith(ns + "_") or name.startswith(f"KV_{ns}_"):
                    await js.delete_stream(name)
            await nc.close()

        with contextlib.suppress(Exception):
            asyncio.run(drop_streams())


def log_sizes(data_dir: Path) -> dict[str, int]:
    return {log.name: log.stat().st_size for log in data_dir.glob("*.log")}


def logged_since(data_dir: Path, sizes: dict[str, int], keep: int = 5) -> dict[str, Any]:
    """What each process logged under load (the stack runs at WARNING; NATS logs its notices too,
    so only its [WRN] and [ERR] lines count)."""
    out = {}
    for log in sorted(data_dir.glob("*.log")):
        with log.open("rb") as f:
            f.seek(sizes.get(log.name, 0))
            lines = [line for line in f.read().decode(errors="replace").splitlines()
                     if line.strip() and ("[INF]" not in line and "[DBG]" not in line)]
        if lines:
            out[log.stem] = {"lines": len(lines), "first": [line[:400] for line in lines[:keep]]}
    return out


def held(step: dict[str, Any], max_p99_ms: float) -> tuple[bool, str]:
    worst = max(step["ops"].items(), key=lambda kv: kv[1]["p99_ms"] if kv[1]["n"] else 0)
    if sum(step["errors"].values()):
        return False, f"errors {step['errors']}"
    if sum(step["lost"].values()) or step["duplicated"]:
        return False, f"lost {step['lost']}, duplicated {step['duplicated']}"
    if step.get("late_deliveries", {}).get("count"):
        return False, f"{step['late_deliveries']['count']} deliveries came over 2 s after the step ended"
    if step.get("dropped", {}).get("sockets"):
        return False, f"{step['dropped']['sockets']} sockets dropped as too slow (they reconnect and refetch)"
    if worst[1]["p99_ms"] > max_p99_ms:
        return False, f"{worst[0]} p99 {worst[1]['p99_ms']:.0f} ms"
    if step["schedule_lag"]["p99_ms"] > GENERATOR_LAG_MS:
        # The generator could not send on time: the rate offered was not the rate asked for.
        return False, f"the load generator fell behind (lag p99 {step['schedule_lag']['p99_ms']:.0f} ms)"
    return True, f"worst p99: {worst[0]} {worst[1]['p99_ms']:.0f} ms"


GENERATOR_LAG_MS = 20.0
BUSY_OTHERS_PERCENT = 50  # other jobs on the machine took more than half a core during the step
FLOOR_OF = {  # what each operation cannot avoid: its transport and its one database touch
    "dashboard_company": ("nginx_static", "sql_pk_select"),
    "dashboard_team": ("nginx_static", "sql_pk_select"),
    "check_in": ("nginx_static", "sql_commit"),
    "chat": ("nginx_static", "sql_commit"),
    "edit": ("socketio_ack", "nats_request", "sql_commit"),
    "edit_to_others": ("socketio_ack", "nats_request", "sql_commit"),
}
LABEL = {"dashboard_company": "dashboard, company", "dashboard_team": "dashboard, one team",
         "edit": "title edit over Socket.IO → ack", "edit_to_others": "title edit → other clients in the room",
         "check_in": "one-click check-in", "chat": "chat message"}
FLOOR_LABEL = {"nginx_static": "static file through nginx", "socketio_ack": "Socket.IO ack round trip",
               "nats_request": "NATS request/reply", "sql_pk_select": "MariaDB primary-key SELECT",
               "sql_commit": "MariaDB one-row INSERT + COMMIT"}


def tables(result: dict[str, Any]) -> tuple[list[list[str]], str]:
    floors, steps = result["floors"], result["steps"]
    best = steps[result["sustained_step"]]
    first_row = f"at {best['target_rate']:g} req/s" + ("" if best["held"] else " (did not hold)")
    ops = [["operation (" + first_row + ")", "n", "p50", "p99", "floor p50", "p50 / floor"]]
    for op, parts in FLOOR_OF.items():
        s = best["ops"][op]
        floor = sum(floors[p]["p50_ms"] for p in parts)
        ops.append([LABEL[op], str(s["n"]), f"{s['p50_ms']:.1f} ms", f"{s['p99_ms']:.1f} ms",
                    f"{floor:.2f} ms ({' + '.join(parts)})", f"{s['p50_ms'] / floor:.1f}×"])
    services = list(steps[0]["cpu"]["percent_of_one_core"])
    ramp = [["target req/s", "offered / achieved", "worst p99", "floors beside the load, p99: SQL commit / static file",
             "errors", "shed (503, retried)", "lost", "sockets dropped", *[f"CPU {s}" for s in services],
             "machine busy (of 200%)", "CPU pressure", "load avg", "held"]]
    for s in steps:
        worst = max(s["ops"].items(), key=lambda kv: kv[1]["p99_ms"] if kv[1]["n"] else 0)
        beside = s["floors_under_load"]
        ramp.append([f"{s['target_rate']:g}", f"{s['offered_rate']:g} / {s['achieved_rate']:g}",
                     f"{worst[1]['p99_ms']:.0f} ms ({worst[0]})",
                     f"{beside['sql_commit']['p99_ms']:.1f} ms / {beside['nginx_static']['p99_ms']:.1f} ms",
                     str(sum(s["errors"].values())), str(sum(s.get("shed", {}).values())),
                     str(sum(s["lost"].values())), str(s.get("dropped", {}).get("sockets", 0)),
                     *[f"{s['cpu']['percent_of_one_core'][k]:.0f}%" for k in services],
                     f"{s['cpu']['machine_busy_percent']:.0f}%", f"{s['cpu']['cpu_pressure_percent']:.0f}%",
                     f"{s['cpu']['load_average'][0]:.2f}",
                     "yes" if s["held"] else f"no: {s['verdict']}" + (f" (retried: {s['retried']})" if s.get("retried") else "")])
    per_request = list(steps[0]["ms_cpu_per_request"])
    cost = [["target req/s", "completed", *[f"{k} ms" for k in per_request]]]
    cost += [[f"{s['target_rate']:g}" + ("" if s["held"] else " (did not hold)"), str(s["completed"]),
              *[f"{s['ms_cpu_per_request'][k]:.2f}" for k in per_request]] for s in steps]
    floor_rows = [["floor (same run, same client process)", "n", "p50", "p99"]]
    floor_rows += [[FLOOR_LABEL[k], str(v["n"]), f"{v['p50_ms']:.2f} ms", f"{v['p99_ms']:.2f} ms"]
                   for k, v in floors.items()]
    extra = "\n\n".join(_md(t) for t in (ramp, cost, floor_rows))
    return ops, extra


def around_table(step: dict[str, Any]) -> str:
    """Each process's CPU and its wait for a core (as shares of one core) in the intervals
    around the step's slowest request: a process starved of a core waits; a stalled one
    neither runs nor waits."""
    rows = step.get("processes_around_slowest") or []
    if not rows:
        return ""
    names = [k for k in rows[0] if k != "t_s" and not k.endswith(" gauges")]
    gauges = [k for k in rows[0] if k.endswith(" gauges")]
    table = [["interval ending (s from the slowest answer's midpoint)", *names, *gauges]]
    for row in rows:
        table.append([f"{row['t_s']:+.2f}", *(row.get(n, "?").replace(" ran, ", " / ").replace(" waited", "") for n in names),
                      *(", ".join(f"{k} {v}" for k, v in row.get(g, {}).items()) for g in gauges)])
    return ("Around its slowest request, each process's CPU / its wait for a core, in % of one core "
            "(the kernel's schedstat, every thread; 100 % waited = one thread runnable all the time "
            "without a core):\n\n" + _md(table))


def _md(table: list[list[str]]) -> str:
    header, *rows = table
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                      *("| " + " | ".join(r) + " |" for r in rows)])


def main() -> None:
    from boost import Stack, free_internal_port_base, parse_replicas, service_ports, wait_ready

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help="a small company and two short steps (a smoke test)")
    parser.add_argument("--rates", help="comma-separated target rates, req/s")
    parser.add_argument("--step-seconds", type=float)
    parser.add_argument("--max-p99-ms", type=float, default=100.0)
    parser.add_argument("--quiet-wait", type=float, default=0.0, metavar="SECONDS",
                        help="before each step, wait up to this long for the machine's CPU pressure to drop "
                             "under 25%% (for shared machines; default 0: no wait)")
    parser.add_argument("--retry-busy", type=int, default=1, metavar="N",
                        help="run a step that did not hold again (up to N times) when other jobs used more than "
                             f"{BUSY_OTHERS_PERCENT}%% of a core during it; every attempt is reported (default 1)")
    parser.add_argument("--stop-after", type=int, default=2, metavar="N",
                        help="stop when N rates in a row did not hold (default 2)")
    parser.add_argument("--hog", action="store_true",
                        help="run a CPU hog taking half a core (busy 5 ms of every 10 ms) beside the load for the whole "
                             "run; results go to load_hog.json/.md")
    parser.add_argument("--gauges", action="store_true",
                        help="also scrape okr's, feedback's and realtime's /metrics ten times a second (admission "
                             "queue, connections out, GC pauses, loop lateness) for the moments around the slowest "
                             "request; it costs them enough to move the tail")
    parser.add_argument("--replicas", default="", help="e.g. okr=2,realtime=2 (default: one of each, as make run)")
    parser.add_argument("--nats", default=os.environ.get("BENCH_NATS_URL"), help="a NATS to use instead of the bundled one")
    parser.add_argument("--cluster", type=int, default=0,
                        help="BOOST_NATS_CLUSTER: a local JetStream cluster of N servers instead of the bundled one")
    args = parser.parse_args()
    scale = QUICK if args.quick else FULL
    rates = [float(r) for r in args.rates.split(",")] if args.rates else (
        [10, 20] if args.quick else [5, 10, 20, 30, 40, 60, 80, 100, 120, 150, 200, 250, 300])
    seconds = args.step_seconds or (5.0 if args.quick else 25.0)
    if args.quick and not os.environ.get("BENCH_RESULTS_DIR"):
        os.environ["BENCH_RESULTS_DIR"] = tempfile.mkdtemp(prefix="boost-load-quick-")
    replicas = parse_replicas(args.replicas)

    ns = "load_" + secrets.token_hex(3)
    data_dir = Path(tempfile.mkdtemp(prefix="boost-load-"))
    port = free_port()
    env = {"BOOST_PORT": str(port), "BOOST_DATA_DIR": str(data_dir), "BOOST_DATABASE_URL": DB, "BOOST_NAMESPACE": ns,
           "BOOST_INTERNAL_PORT_BASE": str(free_internal_port_base()), "BOOST_NOW": NOW, "BOOST_DEMO": "1",
           "BOOST_PUBLIC_URL": f"http://127.0.0.1:{port}", "BOOST_LOG_LEVEL": "WARNING",
           "BOOST_ADMIN_EMAILS": "admin@boost.example"}
    if args.cluster:
        env["BOOST_NATS_CLUSTER"] = str(args.cluster)
    if args.nats:
        env["BOOST_NATS_URL"] = args.nats
    else:
        os.environ.pop("BOOST_NATS_URL", None)
    stack = Stack(env, replicas, log_dir=data_dir)
    generator = None
    hog = Hog() if args.hog else None
    started = time.monotonic()
    try:
        print(f"starting Boost (namespace {ns}, logs in {data_dir})…", flush=True)
        stack.start(timeout=180)
        okr_url = f"http://127.0.0.1:{stack.settings.internal_port('okr')}"
        print(f"seeding {scale.people} people, {scale.teams} teams, {scale.objectives} objectives, "
              f"{scale.check_ins} check-ins…", flush=True)
        engine = sa.create_engine(sa.engine.make_url(DB).set(database=f"{ns}_boost_okr"))
        world = seed(engine, scale)
        engine.dispose()
        # okr reads the quarter afresh; feedback, on an empty database, rebuilds its read model from okr.
        restart_afresh(stack, ns)
        wait_ready(stack.base_url, 120, service_ports(stack.settings, replicas))
        for a in world["actors"]:
            a["token"] = login(okr_url, a["email"])
        wait_for_chat(stack.base_url, world["actors"][0]["token"], world["actors"][0]["objective_id"])
        print(f"ready after {time.monotonic() - started:.0f}s; starting the load generator…", flush=True)

        world.update(base_url=stack.base_url, nats_url=args.nats or stack.settings.nats_server_url(), ns=ns,
                     scale=asdict(scale))
        ctx = multiprocessing.get_context("spawn")
        conductor_end, generator_end = ctx.Pipe()
        generator = ctx.Process(target=generator_main, args=(generator_end, world), daemon=True)
        generator.start()

        def ask(*order: Any) -> dict[str, Any]:
            if order:
                conductor_end.send(order)
            answer: dict[str, Any] = conductor_end.recv()
            if "crashed" in answer:
                raise RuntimeError(f"the load generator crashed: {answer['crashed']}")
            return answer

        ask()  # connected
        floors = ask("floors")
        print("floors:", {k: (v["p50_ms"], v["p99_ms"]) for k, v in floors.items()}, flush=True)
        ask("warm_up")
        pids = {name: [child.pid] for name, child in stack.children.items()}
        pids["mariadb (shared)"] = mariadb_pids()
        pids["load generator"] = [generator.pid or 0]
        # Scraping the services' metrics ten times a second costs them (and the conductor) enough
        # to move the tail: only when asked.
        metrics_urls = {s: f"http://127.0.0.1:{stack.settings.internal_port(s)}/api/{s}/metrics"
                        for s in ("okr", "feedback", "realtime")} if args.gauges else {}
        if hog is not None:
            pids["hog"] = [hog.start()]
            print(f"the hog runs beside the load: {hog.describe()}", flush=True)
        logs_at = log_sizes(data_dir)
        steps: list[dict[str, Any]] = []  # every attempt
        final: list[dict[str, Any]] = []  # the attempt that counts, one per rate
        for rate in rates:
            for attempt in range(1 + args.retry_busy):
                quiet = wait_for_quiet(args.quiet_wait) if args.quiet_wait else None
                watch = Watch(pids)
                timeline = Timeline(with_children(pids), metrics_urls)
                watch.start()
                timeline.start()
                step = ask("step", rate, seconds)
                step["cpu"] = watch.stop()
                timeline.stop()
                if metrics_urls:
                    step["gc_percent_of_wall"] = timeline.gc_share()
                slowest = max(step["slowest"], key=lambda x: x["ms"], default=None)
                # What every process was doing around the slowest request (sent at `at_s`, answered
                # `ms` later): the interval from its sending to its answer, and a little either side.
                step["processes_around_slowest"] = [] if slowest is None else timeline.around(
                    step.pop("started_perf") + slowest["at_s"] + slowest["ms"] / 2000, half=slowest["ms"] / 2000 + 0.3)
                step["ms_cpu_per_request"] = ms_cpu_per_request(step["cpu"], step["completed"])
                step["quiet_wait"] = quiet
                step["held"], step["verdict"] = held(step, args.max_p99_ms)
                steps.append(step)
                print(f"{rate:g} req/s → offered {step['offered_rate']}/s, achieved {step['achieved_rate']}/s; "
                      f"{step['verdict']}; errors {step['errors']}; lost {step['lost']}; "
                      f"the generator paused: gc ≤ {step['client_pauses']['max_gc_ms']} ms, loop late ≤ "
                      f"{step['client_pauses']['max_late_ms']} ms; "
                      f"CPU {step['cpu']['percent_of_one_core']}; CPU ms/request: Boost "
                      f"{step['ms_cpu_per_request']['Boost total']}, machine {step['ms_cpu_per_request']['whole machine']}; machine {step['cpu']['machine_busy_percent']}%, "
                      f"others {step['cpu']['others_percent']}%, load {step['cpu']['load_average']}", flush=True)
                busy = step["cpu"]["others_percent"] > BUSY_OTHERS_PERCENT
                if step["held"] or not busy or attempt == args.retry_busy:
                    break
                step["retried"] = f"other jobs used {step['cpu']['others_percent']:.0f}% of a core"
            final.append(step)
            if len(final) >= args.stop_after and not any(s["held"] for s in final[-args.stop_after:]):
                break
        conductor_end.send(("stop",))
        generator.join(30)
        if hog is not None:
            hog.stop()

        # The highest rate that held. On a shared machine a step can fail because of the neighbours
        # and the next one hold: the ramp goes on until `stop_after` rates in a row did not hold.
        held_rates = [s for s in final if s["held"]]
        sustained = held_rates[-1]["target_rate"] if held_rates else 0
        sustained_step = steps.index(held_rates[-1] if held_rates else final[0])
        beyond = next((s for s in final if not s["held"] and s["target_rate"] > sustained), None)
        logged = logged_since(data_dir, logs_at)
        result = {"setup": {"scale": asdict(scale), "mix": MIX, "rates": rates, "step_seconds": seconds,
                            "max_p99_ms": args.max_p99_ms, "replicas": replicas or "one of each",
                            "nats": "machine's" if args.nats else (f"local cluster of {args.cluster}" if args.cluster
                                                                   else "bundled (make run's)"), "quick": args.quick,
                            "namespace": ns,
                            "hog": {**hog.describe(), "ran": True} if hog is not None else {"ran": False}},
                  "sustained_rate": sustained, "sustained_step": sustained_step, "floors": floors,
                  "steps": steps, "logged_under_load": logged}
        ops, extra = tables(result)
        name = "load_hog" if hog is not None else "load"
        where = machine()
        md = write_results(name, result, ops, where)
        lead = (f"Sustained rate: **{sustained:g} req/s** (the highest step whose every operation kept p99 ≤ "
                f"{args.max_p99_ms:g} ms with no error, loss or duplicate; the ramp stops after "
                f"{args.stop_after} rates in a row that did not), {scale.people} people, "
                f"{scale.objectives} objectives, {scale.objectives * scale.krs_per_objective} key results, "
                f"{scale.check_ins} check-ins; steps of {seconds:g} s; mix {', '.join(f'{k} {v:.0%}' for k, v in MIX.items())}. "
                f"This machine's speed at the end of the run: `python -m timeit \"sum(range(100))\"` "
                f"{where['timeit_sum_range_100_ns']:g} ns (compare runs only at like speeds).")
        if hog is not None:
            lead += (f"\n\n**With the hog**: a process busy {hog.duty:.0%} of every {hog.slice_ms:g} ms ran beside the "
                     "load for the whole run (half a core taken); its measured share is the `CPU hog` column.")
        note = ("The machine is shared: the five services, nginx, NATS, MariaDB and the load generator run on its "
                "2 cores while other jobs (other test runs) use it too. `machine busy` is all of it, `CPU pressure` "
                "the share of the time some task waited for a core (Linux PSI), `load avg` the 1-minute load "
                "average at the end of the step. MariaDB's CPU includes the other jobs' queries. A step that did "
                f"not hold while other jobs took more than {BUSY_OTHERS_PERCENT}% of a core was run again "
                f"(up to {args.retry_busy} time(s)); every attempt is listed. CPU per request: each process's CPU "
                "seconds in the step (/proc/<pid>/stat, user + system, nginx with its workers) over the requests "
                f"completed; `Boost total` leaves out {' and '.join(NOT_BOOST)}; `whole machine` is /proc/stat's busy "
                "time over the same requests, so it includes the neighbours (and the hog).")
        if beyond is not None:
            moments = sorted(x["at_s"] for x in beyond["slowest"])
            note += (f"\n\nThe step above the sustained rate ({beyond['target_rate']:g} req/s): {beyond['verdict']}; "
                     f"its 10 slowest requests ({', '.join(sorted({x['op'] for x in beyond['slowest']}))}) were "
                     f"sent between {moments[0]:.1f} s and {moments[-1]:.1f} s into the step.")
            note += "\n\n" + around_table(beyond)
        gc_rows = [f"{s['target_rate']:g} req/s: " + ", ".join(f"{k} {v:g}%" for k, v in s["gc_percent_of_wall"].items())
                   for s in steps if s.get("gc_percent_of_wall")]
        if gc_rows:
            note += ("\n\nGarbage collection, in % of each step's wall time (a collection holds the service's one "
                     "event loop): " + "; ".join(gc_rows) + ".")
        path = results_dir() / f"{name}.md"
        path.write_text(f"{lead}\n\n{md}\n\n{extra}\n\n{note}\n")
        print(path.read_text())
        for name, lines in logged.items():
            print(f"{name} logged {lines['lines']} warning/error lines under load; the first:", *lines["first"], sep="\n  ")
        print(f"results in {path.parent}; total {time.monotonic() - started:.0f}s")
    finally:
        if generator is not None and generator.is_alive():
            generator.terminate()
        if hog is not None:
            hog.stop()
        stack.stop()
        drop_namespace(ns, args.nats)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
