"""CPU per request, per operation and per service: the input of the capacity model in
docs/operations.md.

Boost is started the way `bench/load_bench.py` starts it (the `make run` processes on
MariaDB, the demo company scaled up, the same load generator and operations), then each
operation alone is sent at a modest fixed rate while the CPU seconds of every process
are read before and after (psutil, as the load bench does). What each process burns
while idle, measured just before, is taken off. Events an operation causes (feedback's
read model, the notifier, realtime's fan-out to the sockets in the room) are counted in
the services that handle them; the step waits for them to settle.

    .venv/bin/python -m bench.cpu_cost                     # one of each service, bundled NATS
    .venv/bin/python -m bench.cpu_cost --cluster 3 --replicas okr=2   # the NATS cluster, two okr

With --profile DIR, py-spy samples every Python service (100 Hz; only the thread holding the GIL,
so a thread waiting on a lock or uvloop waiting in epoll is not counted and the samples are where
the CPU went) while each operation runs: DIR/<operation>/<service>.txt in py-spy's raw
(collapsed stacks) format, which https://www.speedscope.app opens as it is, and
DIR/cpu_cost.json. `python -m bench.profile_report DIR` turns them into the cost of every
step per operation (docs/performance.md). Profile in a run of its own: py-spy pauses each
process for every sample, which costs latency and a little CPU.

    .venv/bin/python -m bench.cpu_cost --profile /tmp/profile --seconds 20

CPU time depends less than latency on what else runs on the machine, but contention (caches,
frequency, context switches) still inflates it: the load average is recorded with each row;
compare runs made side by side."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import ROOT, Watch, free_port, mariadb_pids, write_results
from bench.load_bench import (
    CYCLE,
    DB,
    FULL,
    NOW,
    QUICK,
    LoadGenerator,
    drop_namespace,
    login,
    restart_afresh,
    seed,
    wait_for_chat,
)

OPS = ("dashboard_company", "dashboard_team", "check_in", "chat", "edit", "search", "export")
# A whole quarter as CSV costs far more than the rest: sent slower, so that each one ends in time.
RATE_OF = {"export": 1.0}


class Probe(LoadGenerator):
    """The load bench's operations, plus the lag-tolerant reads (search, export)."""

    async def search(self) -> None:
        await self._get("search", "/api/okr/search", {"q": self.rng.choice(["objective 1", "kr 3", "person 7"])})

    async def export(self) -> None:
        await self._get("export", "/api/okr/export.csv", {"cycle": CYCLE})

    async def paced(self, op: str, rate: float, seconds: float) -> int:
        tasks: set[asyncio.Task[None]] = set()
        started = next_at = time.perf_counter()
        sent = 0
        while next_at - started < seconds:
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._run(op))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            next_at += 1 / rate
        if tasks:
            await asyncio.wait(set(tasks), timeout=15)
        return sent


def group(pids: dict[str, list[int]]) -> dict[str, list[int]]:
    """okr.2 counts as okr; nats-0..2 as nats."""
    out: dict[str, list[int]] = {}
    for name, plist in pids.items():
        key = "nats" if name.startswith("nats") else name.split(".")[0]
        out.setdefault(key, []).extend(plist)
    return out


PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
NOT_PYTHON = ("nats", "gateway", "mariadb (shared)")


def start_profilers(pids: dict[str, list[int]], into: Path, seconds: float) -> list[subprocess.Popen[bytes]]:
    """py-spy on every Python service for `seconds`: collapsed stacks (speedscope.app opens them too)."""
    into.mkdir(parents=True, exist_ok=True)
    procs = []
    for name, plist in pids.items():
        if name in NOT_PYTHON:
            continue
        procs.append(subprocess.Popen(
            [str(PY_SPY), "record", "--pid", str(plist[0]), "--rate", "100", "--duration", str(int(seconds)),
             "--format", "raw", "--output", str(into / f"{name}.txt"), "--full-filenames", "--gil"],
            stdout=subprocess.DEVNULL, stderr=(into / f"{name}.log").open("wb")))
    return procs


async def measure(probe: Probe, pids: dict[str, list[int]], ops: list[str], rate: float, seconds: float,
                  idle_seconds: float, profile: Path | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for op in ops:
        op_rate = min(rate, RATE_OF.get(op, rate))
        watch = Watch(pids)
        watch.start()
        await asyncio.sleep(idle_seconds)
        quiet = watch.stop()
        idle_rate = {k: v / quiet["wall_seconds"] for k, v in quiet["cpu_seconds"].items()}
        probe.record = type(probe.record)()
        watch = Watch(pids)
        watch.start()
        profilers = start_profilers(pids, profile / op, seconds + 2) if profile else []
        sent = await probe.paced(op, op_rate, seconds)
        await asyncio.sleep(2.0)  # the events it caused reach their consumers and sockets
        stop = watch.stop()
        for spy in profilers:
            await asyncio.to_thread(spy.wait, 60)
        wall, used = stop["wall_seconds"], stop["cpu_seconds"]
        failures = sum(probe.record.errors.values())
        done = sent - failures
        per_request = {k: max(0.0, (used[k] - idle_rate.get(k, 0.0) * wall)) * 1000 / max(done, 1) for k in used}
        results[op] = {"rate": op_rate, "sent": sent, "failed": failures, "failed_examples": probe.record.examples[:3], "ms_cpu_per_request": {k: round(v, 2) for k, v in per_request.items()},
                       "total_ms": round(sum(v for k, v in per_request.items() if k != "mariadb (shared)"), 2),
                       "load_average": stop["load_average"], "machine_busy_percent": stop["machine_busy_percent"]}
        print(op, results[op], flush=True)
    return results


def main() -> None:
    from boost import Stack, free_internal_port_base, parse_replicas, service_ports, wait_ready

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the small company (a smoke test)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second of each operation")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--ops", default=",".join(OPS), help="which operations (default: all)")
    parser.add_argument("--replicas", default="", help="e.g. okr=2")
    parser.add_argument("--cluster", type=int, default=0, help="BOOST_NATS_CLUSTER: a local JetStream cluster")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy every Python service while each operation runs; stacks and results go to DIR")
    args = parser.parse_args()
    scale = QUICK if args.quick else FULL
    replicas = parse_replicas(args.replicas)
    ns = "cpu_" + secrets.token_hex(3)
    data_dir = Path(tempfile.mkdtemp(prefix="boost-cpu-"))
    port = free_port()
    env = {"BOOST_PORT": str(port), "BOOST_DATA_DIR": str(data_dir), "BOOST_DATABASE_URL": DB, "BOOST_NAMESPACE": ns,
           "BOOST_INTERNAL_PORT_BASE": str(free_internal_port_base()), "BOOST_NOW": NOW, "BOOST_DEMO": "1",
           "BOOST_PUBLIC_URL": f"http://127.0.0.1:{port}", "BOOST_LOG_LEVEL": "WARNING",
           "BOOST_ADMIN_EMAILS": "admin@boost.example"}
    os.environ.pop("BOOST_NATS_URL", None)
    if args.cluster:
        env["BOOST_NATS_CLUSTER"] = str(args.cluster)
    stack = Stack(env, replicas, log_dir=data_dir)
    started = time.monotonic()
    try:
        stack.start(timeout=180)
        okr_url = f"http://127.0.0.1:{stack.settings.internal_port('okr')}"
        engine = sa.create_engine(sa.engine.make_url(DB).set(database=f"{ns}_boost_okr"))
        world = seed(engine, scale)
        engine.dispose()
        restart_afresh(stack, ns)
        wait_ready(stack.base_url, 120, service_ports(stack.settings, replicas))
        for a in world["actors"]:
            a["token"] = login(okr_url, a["email"])
        wait_for_chat(stack.base_url, world["actors"][0]["token"], world["actors"][0]["objective_id"])
        world.update(base_url=stack.base_url, nats_url=stack.settings.nats_server_url(), ns=ns, scale=asdict(scale))
        pids = group({name: [child.pid] for name, child in stack.children.items()})
        pids["mariadb (shared)"] = mariadb_pids()
        print(f"ready after {time.monotonic() - started:.0f}s", flush=True)

        async def run() -> dict[str, Any]:
            probe = Probe(world)
            await probe.start()
            try:
                await probe.warm_up()
                for op in ("search", "export"):
                    await getattr(probe, op)()
                return await measure(probe, pids, args.ops.split(","), args.rate, args.seconds, args.idle_seconds,
                                     args.profile)
            finally:
                await probe.close()

        ops = asyncio.run(run())
        services = [k for k in next(iter(ops.values()))["ms_cpu_per_request"]]
        table = [["operation", *[f"{s} ms" for s in services], "Boost total ms (without MariaDB)", "load avg"]]
        for op, r in ops.items():
            table.append([op, *[f"{r['ms_cpu_per_request'][s]:.2f}" for s in services], f"{r['total_ms']:.2f}",
                          f"{r['load_average'][0]:.1f}"])
        name = "cpu_cost" + (f"_cluster{args.cluster}" if args.cluster else "") + \
            ("_" + "_".join(f"{k}{v}" for k, v in replicas.items()) if replicas else "")
        result = {"setup": {"scale": asdict(scale), "rate": args.rate, "seconds": args.seconds,
                            "replicas": replicas or "one of each", "nats_cluster": args.cluster or "bundled, one server"},
                  "ops": ops}
        if args.profile:  # the CPU figures of a profiled run stay beside its stacks, not over the real ones
            os.environ["BENCH_RESULTS_DIR"] = str(args.profile)
        print(write_results(name, result, table))
    finally:
        stack.stop()
        drop_namespace(ns, None)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
