"""Bench (issue 6): the weekly check-in reminder to N people (10,000 by default) through the
fake Slack Web API, which enforces a rate limit on chat.postMessage with 429s.

The occurrence is published as the scheduler does it, when Monday 10:00 comes in UTC+14
(05:00 in Seoul); the notifier plans every row, `scheduled` for 10:00 in Seoul. The clock
then moves to 10:00 and the bench reports total time from then to the last delivery
finished, against the floor that limit allows (N / rate), and duplicates, losses and
unknowns (and, apart, how long planning the N rows took). Goal: ≤ 1.1× the floor, zero of
each.

Real MariaDB and NATS (BOOST_TEST_DATABASE_URL / BOOST_TEST_NATS_URL, else the local ones),
an isolated namespace dropped at the end. okr is stubbed on the bus (its reminder_targets,
key_results and teams answers for N people), so the bench measures the notifier and Slack's
limit, not okr's queries.

    .venv/bin/python -m bench.notifier_bench [--people 10000] [--rate 100] [--pace 0.99] [--overpaced 3000]

Results: bench/results/notifier.json and notifier.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nats  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from boost_contracts.envelope import Envelope, Scope  # noqa: E402
from boost_platform.clock import OffsetClock  # noqa: E402
from boost_platform.settings import BoostSettings  # noqa: E402
from notifier_service.main import create_app  # noqa: E402
from notifier_service.models import Delivery  # noqa: E402
from notifier_service.settings import NotifierSettings  # noqa: E402

from bench.common import write_results  # noqa: E402
from services.notifier.tests.fake_slack import SIGNING_SECRET, TOKEN  # noqa: E402

PUBLISHED = datetime(2027, 1, 10, 20, 0, tzinfo=UTC)  # Monday 10:00 in UTC+14: the scheduler publishes
DUE = datetime(2027, 1, 11, 1, 0, tzinfo=UTC)  # Monday 10:00 in Seoul: everyone's rows are due
FINAL = ("sent", "failed", "unknown", "recorded")


def slack_id(uid: int) -> str:
    return f"U{uid:08d}"


async def stub_okr(nc: Any, settings: BoostSettings, people: int) -> None:
    names = settings.names

    async def targets(msg: Any) -> None:
        body = json.loads(msg.data)
        after = int(body.get("after") or 0)
        limit = int(body.get("limit") or 500)
        ids = list(range(after + 1, min(people, after + limit) + 1))
        items = [{"user_id": i, "slack_user_id": slack_id(i), "name": f"Person {i}", "locale": "ko" if i % 2 else "en",
                  "timezone": "Asia/Seoul", "muted": False, "team_ids": [1], "key_result_ids": [i],
                  "objective_ids": [i]} for i in ids]
        nxt = ids[-1] if ids and ids[-1] < people else None
        await msg.respond(json.dumps({"items": items, "next": nxt}).encode())

    async def key_results(msg: Any) -> None:
        body = json.loads(msg.data)
        krs = [{"id": i, "title": f"Key result {i}", "kind": "number", "start": 0, "current": 30, "target": 100,
                "unit": "%", "progress": 0.3, "health": "at_risk", "confidence": 5, "owner_id": i,
                "objective": {"id": i, "title": f"Objective {i}", "cycle": "2027-Q1", "team_id": 1, "status": "approved"}}
               for i in body.get("ids") or []]
        await msg.respond(json.dumps(krs).encode())

    async def teams(msg: Any) -> None:
        await msg.respond(json.dumps([{"id": 1, "name": "Company", "parent_id": None, "members": []}]).encode())

    await nc.subscribe(names.query("okr", "reminder_targets"), cb=targets)
    await nc.subscribe(names.query("okr", "key_results"), cb=key_results)
    await nc.subscribe(names.query("okr", "teams"), cb=teams)


async def statuses(app: Any) -> Counter[str]:
    async with app.state.container.runtime.maker() as session:
        rows = (await session.execute(sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status))).all()
    return Counter({s: int(n) for s, n in rows})


async def run(people: int, rate: float, pace: float, senders: int) -> dict[str, Any]:
    from asgi_lifespan import LifespanManager

    ns = "bench_" + secrets.token_hex(3)
    db = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
    nats_url = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
    # Slack is another machine: the fake runs in its own process, enforcing the limit.
    port = _free_port()
    fake = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.notifier.tests.fake_slack", "--port",
                                                str(port), "--rate", str(rate), "--burst", str(max(1.0, rate * 0.1)),
                                                cwd=ROOT)
    slack_url = f"http://127.0.0.1:{port}/api/"
    await _wait_for(port)
    settings = BoostSettings(_env_file=None, database_url=db, nats_url=nats_url, namespace=ns,  # type: ignore[call-arg]
                             data_dir=Path(tempfile.mkdtemp()), demo=False, log_level=os.environ.get("BENCH_LOG_LEVEL", "ERROR"), log_json=True,
                             slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=slack_url,
                             public_url="https://boost.example", outbox_sweep_seconds=1.0)
    knobs = NotifierSettings(_env_file=None, send_rate=rate * pace, send_burst=max(1.0, rate * 0.05),  # type: ignore[call-arg]
                             channel_interval=1.0,
                             senders=senders, poll_seconds=0.2, directory_sync_daily=False)
    nc = await nats.connect(nats_url)
    clock = OffsetClock(PUBLISHED - datetime.now(UTC))
    app = create_app(settings, clock, knobs)
    result: dict[str, Any] = {}
    try:
        await stub_okr(nc, settings, people)
        async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
            await app.state.container.runtime.bus.wait_connected(15)
            occurrence = "reminder:weekly_check_in:2027-Q1:2027-01-11"
            env = Envelope(id=occurrence, type="reminder.due", source="scheduler", actor_id="service:scheduler",
                           subject_id=occurrence, scope=Scope(cycle="2027-Q1"),
                           data={"occurrence_id": occurrence, "kind": "weekly_check_in", "cycle": "2027-Q1",
                                 "date": "2027-01-11", "local_time": "10:00", "due_now": False})
            planning = time.monotonic()
            await nc.jetstream().publish(settings.names.event("scheduler", "reminder.due"), env.to_json(),
                                         headers={"Nats-Msg-Id": env.id})
            while sum((await statuses(app)).values()) < people:
                await asyncio.sleep(0.25)
                if time.monotonic() - planning > 600:
                    raise RuntimeError("planning the rows took over 10 minutes")
            planning = time.monotonic() - planning
            # 10:00 in Seoul: every row is due now.
            clock.offset += DUE - clock.now()
            app.state.container.sender.wake()
            started = time.monotonic()
            started_wall = time.time()
            last_report = 0.0
            while True:
                await asyncio.sleep(0.25)
                counts = await statuses(app)
                done = sum(counts[s] for s in FINAL)
                if time.monotonic() - last_report > 10:
                    last_report = time.monotonic()
                    print(f"  {time.monotonic() - started:6.1f}s  {dict(counts)}", flush=True)
                if done >= people and sum(counts.values()) >= people:
                    break
                if time.monotonic() - started > people / rate * 3 + 120:
                    print("  giving up: too slow", flush=True)
                    break
            total = time.monotonic() - started
            counts = await statuses(app)
        stats = await _stats(port)
        posted = Counter(stats["posted"])
        first_post = (stats["first_post_at"] or started_wall) - started_wall
        floor = people / rate
        result = {
            "people": people, "rate_limit_per_s": rate, "pace": round(rate * pace, 2), "senders": senders,
            "planning_seconds": round(planning, 2),
            "floor_seconds": round(floor, 2), "total_seconds": round(total, 2), "ratio": round(total / floor, 3),
            "first_post_after_seconds": round(first_post, 2),
            "duplicates": sum(n - 1 for n in posted.values() if n > 1),
            "losses": sum(1 for i in range(1, people + 1) if posted.get(slack_id(i), 0) == 0),
            "unknowns": counts.get("unknown", 0), "failed": counts.get("failed", 0),
            "slack_429s": stats["rejected"], "statuses": dict(counts),
            # Everything shares this machine (other work included): its load during the run.
            "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    finally:
        await _drop(nc, settings, db)
        await nc.close()
        fake.terminate()
        await fake.wait()
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            await _stats(port)
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the fake Slack did not start")


async def _stats(port: int) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/_stats") as resp:
        return await resp.json()  # type: ignore[no-any-return]


async def _drop(nc: Any, settings: BoostSettings, db: str) -> None:
    js = nc.jetstream()
    for info in await js.streams_info():
        if info.config.name and info.config.name.startswith(settings.namespace + "_"):
            await js.delete_stream(info.config.name)
    engine = sa.create_engine(db, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{settings.names.schema('notifier')}`")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="the fake Slack's chat.postMessage limit, per second")
    parser.add_argument("--pace", type=float, default=0.99, help="the notifier's pace as a share of that limit")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--overpaced", type=int, default=0, metavar="PEOPLE",
                        help="also run PEOPLE with the pace set 30%% above the limit (the 429 path)")
    args = parser.parse_args()
    runs = []
    scenarios = [("paced under the limit", args.people, args.pace)]
    if args.overpaced:
        scenarios.append(("paced 30% over the limit", args.overpaced, 1.3))
    for name, people, pace in scenarios:
        print(f"notifier bench, {name}: {people} people, Slack limit {args.rate}/s, pace {pace:.0%}", flush=True)
        result = asyncio.run(run(people, args.rate, pace, args.senders))
        print(json.dumps(result, indent=2), flush=True)
        runs.append({"scenario": name, **result})
    main_run = runs[0]
    met = main_run["ratio"] <= 1.1 and not (main_run["duplicates"] or main_run["losses"] or main_run["unknowns"])
    table = [["scenario", "people", "planning (before 10:00)", "Slack limit", "pace", "floor", "total from 10:00",
              "× floor", "first post", "duplicates", "losses", "unknowns", "429s", "machine load (1 min)"]]
    table += [[r["scenario"], str(r["people"]), f"{r['planning_seconds']:g} s", f"{r['rate_limit_per_s']:g}/s",
               f"{r['pace']:g}/s",
               f"{r['floor_seconds']:g} s", f"{r['total_seconds']:g} s", f"{r['ratio']:.3f}×",
               f"{r['first_post_after_seconds']:g} s", str(r["duplicates"]), str(r["losses"]), str(r["unknowns"]),
               str(r["slack_429s"]), f"{r['load_average_1m']:g} on {r['cpus']} CPUs"] for r in runs]
    md = write_results("notifier", {"goal": "≤ 1.1× the floor; no duplicates, losses or unknowns", "goal_met": met,
                                    "runs": runs}, table)
    print(md)
    print("GOAL MET" if met else "GOAL MISSED", "(≤ 1.1× the floor, no duplicates, losses or unknowns)")


if __name__ == "__main__":
    main()
