"""The bare pipeline: the least the edit's hops cost in Python with these libraries,
nothing of Boost's code. A client's `edit` goes to a bare python-socketio server
("front"), which asks over NATS a bare responder ("okr"); that one sends the edit's SQL
to copies of okr's tables in okr's two batches with asyncmy, publishes the event to a
JetStream stream and answers; a second bare python-socketio server ("back"), subscribed
to the events, emits each one to its sockets, where another client receives it.

The bench starts the three processes (`python -m bench.bare_pipeline --front PORT …`,
`--okr …`, `--back PORT …`; each on uvloop, as the services under uvicorn) and measures one
client's emit → the other client's receipt, once per pause between edits.
The edit's statements and the scratch copy of okr's schema are here, shared with
`realtime_bench.floor_edit_sql`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import asyncmy
import nats
import pymysql
import socketio
import sqlalchemy as sa
import uvloop
from asyncmy.constants import CLIENT
from nats.aio.msg import Msg
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from bench.common import ROOT, free_port

T = TypeVar("T")


# ---------------------------------------------------------------------- the edit's SQL

def mysql_params(db_url: str) -> dict[str, Any]:
    url = sa.engine.make_url(db_url)
    return {"host": url.host or "127.0.0.1", "port": url.port or 3306, "user": url.username or "root",
            "password": url.password or ""}


@contextlib.contextmanager
def scratch_schema(db_url: str, ns: str, name: str) -> Iterator[str]:
    """A schema `<ns>_<name>` with copies of okr's tables (and the rows the edit reads),
    dropped afterwards: the edit's SQL, sent raw, changes nothing of okr's."""
    okr, scratch = f"{ns}_boost_okr", f"{ns}_{name}"
    conn = pymysql.connect(**mysql_params(db_url), autocommit=True)
    cur = conn.cursor()
    try:
        cur.execute(f"CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")  # as okr's
        for table in ("users", "memberships", "objectives", "key_results", "milestone_items", "edit_receipts",
                      "history", "cycle_revisions", "outbox"):
            cur.execute(f"CREATE TABLE `{scratch}`.`{table}` LIKE `{okr}`.`{table}`")
            if table in ("users", "memberships", "objectives", "key_results", "milestone_items", "cycle_revisions"):
                cur.execute(f"INSERT INTO `{scratch}`.`{table}` SELECT * FROM `{okr}`.`{table}`")
        yield scratch
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
        conn.close()


def edit_batches(mogrify: Callable[[str, tuple[Any, ...]], str], objective_id: int, user_id: int, cycle: str,
                 version: int, op_id: str, text: str, event: bytes) -> tuple[str, str]:
    """The statements okr's edit sends (`okr_service.objectives.live`), in its two batches:
    the objective FOR UPDATE with the editor's rights, its key results and their milestone
    items; then the UPDATE, the op_id receipt, the history row, the outbox row and the
    quarter's revision bump, the row's stamp with it and COMMIT. Values escaped by the driver (`mogrify`); `event` is
    the outbox row's payload."""
    read = ";\n".join((
        mogrify("SELECT objectives.*, (SELECT role FROM users WHERE id = %s) AS actor_role, "
                "(SELECT active FROM users WHERE id = %s) AS actor_active, "
                "(SELECT role FROM memberships WHERE user_id = %s AND team_id = objectives.team_id) "
                "AS actor_team_role FROM objectives WHERE id = %s FOR UPDATE",
                (user_id, user_id, user_id, objective_id)),
        mogrify("SELECT * FROM key_results WHERE objective_id = %s AND deleted_at IS NULL "
                "ORDER BY position, id", (objective_id,)),
        mogrify("SELECT milestone_items.* FROM milestone_items JOIN key_results ON key_results.id = "
                "milestone_items.key_result_id WHERE key_results.objective_id = %s AND "
                "key_results.deleted_at IS NULL AND key_results.kind = 'milestone' "
                "ORDER BY milestone_items.position, milestone_items.id", (objective_id,))))
    write = ";\n".join((
        mogrify("UPDATE objectives SET description = %s, version = version + 1, field_versions = %s, "
                "updated_at = NOW() WHERE id = %s", (text, json.dumps({"description": version}), objective_id)),
        mogrify("INSERT INTO edit_receipts (op_id, reply, created_at) VALUES (%s, %s, NOW())",
                (op_id, json.dumps({"ok": True, "version": version}))),
        mogrify("INSERT INTO history (objective_id, entity, entity_id, action, actor_id, at, changes) "
                "VALUES (%s, 'objective', %s, 'updated', %s, NOW(), '[]')", (objective_id, objective_id, user_id)),
        mogrify("INSERT INTO outbox (id, subject, payload, created_at) VALUES (%s, %s, %s, NOW())",
                (secrets.token_hex(13), "floor", event)),
        mogrify("INSERT INTO cycle_revisions (cycle, revision) VALUES (%s, LAST_INSERT_ID(1)) "
                "ON DUPLICATE KEY UPDATE revision = LAST_INSERT_ID(cycle_revisions.revision + 1)", (cycle,)),
        mogrify("UPDATE objectives SET rev = LAST_INSERT_ID() WHERE objectives.id = %s", (objective_id,)),
        "COMMIT"))
    return read, write


# ---------------------------------------------------------------------- the three processes

def serve(sio: socketio.AsyncServer, port: int, startup: Callable[[], Awaitable[None]]) -> None:
    import uvicorn

    uvicorn.run(socketio.ASGIApp(sio, on_startup=startup), host="127.0.0.1", port=port, log_level="warning",
                lifespan="on")


def front(port: int, nats_url: str, ns: str) -> None:
    """`edit` → a NATS request to okr; its answer is the ack."""
    sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"])
    nc = nats.NATS()

    async def startup() -> None:
        await nc.connect(nats_url)

    @sio.on("edit")
    async def edit(sid: str, data: Any) -> Any:
        reply = await nc.request(f"{ns}.bare.edit", json.dumps(data).encode(), timeout=5)
        return json.loads(reply.data)

    serve(sio, port, startup)


def back(port: int, nats_url: str, ns: str) -> None:
    """Every event on the bus (a core subscription, as realtime's) → every socket."""
    sio = socketio.AsyncServer(async_mode="asgi", transports=["websocket"])

    async def forward(msg: Msg) -> None:
        await sio.emit("okr.event", json.loads(msg.data))

    async def startup() -> None:
        nc = await nats.connect(nats_url)
        await nc.subscribe(f"{ns}.bare.events.>", cb=forward)
        await nc.flush()  # subscribed before uvicorn listens, so before the client connects

    serve(sio, port, startup)


async def okr(args: argparse.Namespace) -> None:
    """Each edit: its two SQL batches, the event published to JetStream, the answer."""
    db = await asyncmy.connect(**mysql_params(args.db), database=args.scratch, autocommit=False,
                               client_flag=CLIENT.MULTI_STATEMENTS)
    nc = await nats.connect(args.nats)
    js = nc.jetstream()
    version = 0

    async def edit(msg: Msg) -> None:
        nonlocal version
        version += 1
        body = json.loads(msg.data)
        text, event_id = body["changes"]["description"], secrets.token_hex(13)
        # An envelope the size of okr's objective.updated, the objective's data included.
        event = json.dumps({
            "id": event_id, "type": "objective.updated", "source": "okr", "op_id": body["op_id"],
            "subject_id": args.objective, "version": version, "scope": {"cycle": args.cycle, "team_id": None},
            "changes": ["description"], "actor_id": args.user, "trace_id": None,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {"id": args.objective, "cycle": args.cycle, "team_id": None, "owner_id": args.user,
                     "parent_id": None, "title": "Goal", "description": text, "status": "draft", "review": None,
                     "version": version, "progress": 0.0, "expected_progress": 0.5, "health": None,
                     "score": None, "closing_note": None, "carried_from_id": None, "deleted": False}}).encode()
        async with db.cursor() as cur:
            # The second batch ends with COMMIT: okr sends nothing more.
            for batch in edit_batches(cur.mogrify, args.objective, args.user, args.cycle, version, body["op_id"],
                                      text, event):
                await cur.execute(batch)
                while await cur.nextset():
                    pass
        ack = await js.publish_async(f"{args.ns}.bare.events.x", event, headers={"Nats-Msg-Id": event_id})
        await msg.respond(json.dumps({"ok": True, "version": version}).encode())
        await ack  # after the answer, as okr's relay collects its acks

    await nc.subscribe(f"{args.ns}.bare.edit", cb=edit)
    await asyncio.Event().wait()


# ---------------------------------------------------------------------- the measurement

async def retried(attempt: Callable[[], Awaitable[T]], *errors: type[Exception]) -> T:
    """`attempt` again while it fails with `errors` (a process still starting), up to 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return await attempt()
        except errors:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def bare_pipeline(ns: str, nats_url: str, db_url: str, objective_id: int, user_id: int, cycle: str,
                        n: int, pauses: list[float], warmup: int = 20) -> dict[float, list[float]]:
    """The three processes on a scratch stream and schema, then `edits` once per pause:
    pause → samples."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    stream = f"{ns}_bare"
    front_port, back_port = free_port(), free_port()
    try:
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{ns}.bare.events.>"], storage=StorageType.FILE,
                                         duplicate_window=120.0))  # as okr's events stream
        with scratch_schema(db_url, ns, "bare") as scratch:
            okr_args = ["--okr", "--db", db_url, "--scratch", scratch, "--objective", str(objective_id),
                        "--user", str(user_id), "--cycle", cycle]
            procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.bare_pipeline", *role,
                                                          "--nats", nats_url, "--ns", ns, cwd=ROOT,
                                                          stdout=subprocess.DEVNULL)
                     for role in (okr_args, ["--front", str(front_port)], ["--back", str(back_port)])]
            try:
                # Bare okr is up. Asked once: the ping is an edit, and its op_id is stored once only.
                await retried(partial(nc.request, f"{ns}.bare.edit",
                                      b'{"op_id": "ready", "changes": {"description": ""}}', timeout=5),
                              nats.errors.NoRespondersError)
                return {pause: await edits(front_port, back_port, objective_id, n, warmup, pause) for pause in pauses}
            finally:
                for proc in procs:
                    with contextlib.suppress(ProcessLookupError):
                        proc.terminate()
                for proc in procs:
                    await proc.wait()
    finally:
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream)
        await nc.close()


async def edits(front_port: int, back_port: int, objective_id: int, n: int, warmup: int,
                pause: float) -> list[float]:
    """One edit at a time, `pause` seconds apart, as `realtime_bench.unloaded`: client 1's
    `edit` emit to front → client 2's receipt of its event from back."""
    sender, receiver = socketio.AsyncClient(reconnection=False), socketio.AsyncClient(reconnection=False)
    waiters: dict[str, asyncio.Future[float]] = {}

    async def received(event: dict[str, Any]) -> None:
        now = time.perf_counter()
        waiter = waiters.pop(event["op_id"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)

    receiver.on("okr.event", received)
    try:
        for client, port in ((sender, front_port), (receiver, back_port)):
            await retried(partial(client.connect, f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=5),
                          socketio.exceptions.ConnectionError)
        loop = asyncio.get_running_loop()
        samples: list[float] = []
        text, version = "", 0
        for i in range(warmup + n):
            op_id, base, text = secrets.token_hex(8), text, text + "x"
            arrival: asyncio.Future[float] = loop.create_future()
            waiters[op_id] = arrival
            payload = {"entity": "objective", "id": objective_id, "changes": {"description": text},
                       "base": {"description": base}, "version": version, "op_id": op_id}
            started = time.perf_counter()
            ack = asyncio.ensure_future(sender.call("edit", payload, timeout=10))
            arrived = await asyncio.wait_for(arrival, 10)
            version = (await ack)["version"]
            if i >= warmup:
                samples.append(arrived - started)
            await asyncio.sleep(pause)
        return samples
    finally:
        for client in (sender, receiver):
            with contextlib.suppress(Exception):
                await client.disconnect()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="one process of the bare pipeline")
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--front", type=int, metavar="PORT")
    role.add_argument("--back", type=int, metavar="PORT")
    role.add_argument("--okr", action="store_true")
    parser.add_argument("--nats", required=True)
    parser.add_argument("--ns", required=True)
    parser.add_argument("--db")
    parser.add_argument("--scratch")
    parser.add_argument("--objective", type=int)
    parser.add_argument("--user", type=int)
    parser.add_argument("--cycle")
    args = parser.parse_args()
    if args.front is not None:
        front(args.front, args.nats, args.ns)
    elif args.back is not None:
        back(args.back, args.nats, args.ns)
    else:
        uvloop.run(okr(args))
