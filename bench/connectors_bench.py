"""Live-data key results: 1,000 bindings (half on a MariaDB SQL source, half on webhooks)
due every 5 minutes, on MariaDB and NATS, okr and connectors as their own processes.

Run: .venv/bin/python -m bench.connectors_bench   (needs MariaDB at 127.0.0.1:3306 and NATS)

Measured, in the same run:
- scheduled runs: every SQL binding made due at once (as after 5 minutes), each reading a
  new value (so each is a check-in): runs per second the service sustains, and the
  connectors process's CPU per run;
- the run-now path (`POST …/binding/run`: query + okr.cmd.check_in + bookkeeping) and a
  webhook push (`POST /hooks/{token}`: token check + okr.cmd.check_in + bookkeeping), each
  beside its floor: the raw query on its own connection, and a raw `okr.cmd.check_in`
  request as a person (what any check-in costs). The difference is what connectors adds.
1,000 bindings every 5 minutes is 3.3 runs/s; the sustained rate says how far that is from
the ceiling on this machine."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa

from bench.common import free_port, start_service, summary_ms, write_results

DB = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
NATS = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
BINDINGS = int(os.environ.get("BENCH_BINDINGS", "1000"))
SAMPLES = int(os.environ.get("BENCH_N", "200"))


def main() -> None:
    ns = "bench" + secrets.token_hex(3)
    data_dir = Path(tempfile.mkdtemp(prefix="boost-bench-"))
    okr_port, cn_port = free_port(), free_port()
    env = {"BOOST_DATABASE_URL": DB, "BOOST_NATS_URL": NATS, "BOOST_NAMESPACE": ns, "BOOST_DATA_DIR": str(data_dir),
           "BOOST_DEMO": "0", "BOOST_LOG_LEVEL": "WARNING", "BOOST_CONNECTORS_TICK_SECONDS": "0.5",
           "BOOST_PUBLIC_URL": f"http://127.0.0.1:{cn_port}"}
    metrics_schema = f"{ns}_metrics"
    server = sa.create_engine(DB, isolation_level="AUTOCOMMIT")
    with server.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE `{metrics_schema}`")
        c.exec_driver_sql(f"CREATE TABLE `{metrics_schema}`.metrics (k INT PRIMARY KEY, v DOUBLE)")
    metrics = sa.create_engine(sa.engine.make_url(DB).set(database=metrics_schema), pool_size=4)
    procs = [start_service("okr", okr_port, env, data_dir / "okr.log")]
    try:
        okr = httpx.Client(base_url=f"http://127.0.0.1:{okr_port}", timeout=60)
        body = okr.post("/api/auth/dev-login", json={"email": "admin@boost.example"}).json()
        token, admin_id = body["token"], body["user"]["id"]
        okr.cookies.clear()
        okr.headers["Authorization"] = f"Bearer {token}"
        root = next(t for t in okr.get("/api/okr/teams").json() if t["parent_id"] is None)
        krs: list[int] = []
        print(f"creating {BINDINGS} key results…", flush=True)
        for o in range((BINDINGS + 19) // 20):
            obj = okr.post("/api/okr/objectives", json={
                "cycle": "current", "team_id": root["id"], "title": f"Bench {o}",
                "key_results": [{"title": f"KR {o}.{i}", "start": 0, "target": 1_000_000} for i in range(20)]})
            obj.raise_for_status()
            krs += [k["id"] for k in obj.json()["key_results"]]
        krs = krs[:BINDINGS]
        sql_krs, hook_krs = krs[: BINDINGS // 2], krs[BINDINGS // 2:]
        with metrics.begin() as c:
            c.execute(sa.text("INSERT INTO metrics VALUES (:k, :v)"), [{"k": k, "v": 1.0} for k in sql_krs])
        procs.append(start_service("connectors", cn_port, env, data_dir / "connectors.log"))
        cn = httpx.Client(base_url=f"http://127.0.0.1:{cn_port}", timeout=60, headers={"Authorization": f"Bearer {token}"})
        url = str(sa.engine.make_url(DB).set(database=metrics_schema).set(drivername="mysql+pymysql"))
        sql_source = cn.post("/api/connectors/sources", json={"name": "Bench DB", "kind": "sql", "config": {"url": url}})
        sql_source.raise_for_status()
        hook_source = cn.post("/api/connectors/sources", json={"name": "Bench hooks", "kind": "webhook"}).json()
        # Bind with the schedule paused (the SQL ones start running as soon as they are bound).
        print("binding…", flush=True)
        hooks: dict[int, str] = {}
        for kr in sql_krs:
            cn.put(f"/api/connectors/key-results/{kr}/binding", json={
                "source_id": sql_source.json()["id"], "query": f"SELECT v FROM metrics WHERE k = {kr}",
                "every_minutes": 5, "active": False}).raise_for_status()
        for kr in hook_krs:
            r = cn.put(f"/api/connectors/key-results/{kr}/binding", json={"source_id": hook_source["id"], "every_minutes": 5})
            hooks[kr] = r.json()["webhook_url"].rsplit("/", 1)[1]
        time.sleep(3)  # okr learns the bindings from their events
        cn_db = sa.create_engine(sa.engine.make_url(DB).set(database=f"{ns}_boost_connectors"), pool_size=2)

        # ---- scheduled runs: all SQL bindings due at once, each reading a new value
        with metrics.begin() as c:
            c.exec_driver_sql("UPDATE metrics SET v = v + 1")
        proc = psutil.Process(procs[1].pid)
        cpu0 = sum(proc.cpu_times()[:2])
        started = time.perf_counter()
        with cn_db.begin() as c:
            c.exec_driver_sql("UPDATE bindings SET active = 1, state = 'ok', next_run_at = UTC_TIMESTAMP(6) "
                              "WHERE kind = 'sql'")
        while True:
            with cn_db.connect() as c:
                left = c.exec_driver_sql("SELECT count(*) FROM bindings WHERE kind = 'sql' AND "
                                         "(last_value IS NULL OR last_value < 2)").scalar_one()
            if not left:
                break
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"scheduled runs did not finish; see {data_dir}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu = sum(proc.cpu_times()[:2]) - cpu0
        runs = len(sql_krs)
        print(f"{runs} scheduled runs in {elapsed:.1f}s", flush=True)

        # ---- run now (SQL) vs floor: raw query + raw okr.cmd.check_in
        sample = sql_krs[:SAMPLES]
        run_now, floor_query, floor_check_in, pushes = [], [], [], []
        with metrics.begin() as c:
            c.exec_driver_sql("UPDATE metrics SET v = v + 1")
        for kr in sample:
            t = time.perf_counter()
            out = cn.post(f"/api/connectors/key-results/{kr}/binding/run").json()
            run_now.append(time.perf_counter() - t)
            assert out["checked_in"], out
        floor_krs = krs[:SAMPLES]
        value = 10.0
        for kr in sample:
            t = time.perf_counter()
            with metrics.connect() as c:
                c.execute(sa.text(f"SELECT v FROM metrics WHERE k = {kr}")).scalar_one()
            floor_query.append(time.perf_counter() - t)
        floor_check_in = asyncio.run(raw_check_ins(ns, admin_id, floor_krs, value))
        par_floor_started = time.perf_counter()
        asyncio.run(raw_check_ins(ns, admin_id, hook_krs, 7000.0, senders=8))
        par_floor = len(hook_krs) / (time.perf_counter() - par_floor_started)
        # ---- webhook pushes
        hook_cpu0 = sum(proc.cpu_times()[:2])
        push_started = time.perf_counter()
        for i, kr in enumerate(hook_krs[:SAMPLES]):
            t = time.perf_counter()
            r = cn.post(f"/api/connectors/hooks/{hooks[kr]}", json={"value": 100 + i})
            pushes.append(time.perf_counter() - t)
            assert r.status_code == 202, r.text
        push_elapsed = time.perf_counter() - push_started
        hook_cpu = sum(proc.cpu_times()[:2]) - hook_cpu0

        # Parallel pushes: the webhook throughput with 8 senders.
        shared = httpx.Client(base_url=f"http://127.0.0.1:{cn_port}", timeout=60,
                              limits=httpx.Limits(max_connections=8))  # one client: no TLS context per request

        def push(kr: int) -> int:
            return shared.post(f"/api/connectors/hooks/{hooks[kr]}", json={"value": 5000 + kr}).status_code
        par_started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(push, hook_krs))
        par_elapsed = time.perf_counter() - par_started
        assert set(codes) == {202}, set(codes)

        results = {
            "scheduled_sql_runs": {"runs": runs, "seconds": round(elapsed, 2), "runs_per_s": round(runs / elapsed, 1),
                                   "cpu_ms_per_run": round(1000 * cpu / runs, 2)},
            "run_now_sql": summary_ms(run_now), "webhook_push": summary_ms(pushes),
            "webhook_cpu_ms_per_push": round(1000 * hook_cpu / len(pushes), 2),
            "webhook_pushes_per_s_serial": round(len(pushes) / push_elapsed, 1),
            "webhook_pushes_per_s_8_senders": round(len(hook_krs) / par_elapsed, 1),
            "floor_raw_query": summary_ms(floor_query), "floor_raw_check_in": summary_ms(floor_check_in),
            "floor_raw_check_ins_per_s_8_senders": round(par_floor, 1),
        }
        fq, fc = results["floor_raw_query"], results["floor_raw_check_in"]
        rn, wp = results["run_now_sql"], results["webhook_push"]
        table = [["what", "p50", "p99", "floor p50", "added p50"],
                 ["run now (SQL query + check-in)", f"{rn['p50_ms']:.1f} ms", f"{rn['p99_ms']:.1f} ms",
                  f"{fq['p50_ms'] + fc['p50_ms']:.1f} ms (query {fq['p50_ms']:.1f} + check-in {fc['p50_ms']:.1f})",
                  f"{rn['p50_ms'] - fq['p50_ms'] - fc['p50_ms']:.1f} ms"],
                 ["webhook push (check-in)", f"{wp['p50_ms']:.1f} ms", f"{wp['p99_ms']:.1f} ms",
                  f"{fc['p50_ms']:.1f} ms (check-in)", f"{wp['p50_ms'] - fc['p50_ms']:.1f} ms"],
                 ["scheduled SQL runs, all due at once", f"{results['scheduled_sql_runs']['runs_per_s']} runs/s",
                  f"{results['scheduled_sql_runs']['cpu_ms_per_run']} ms CPU/run", "needed: 3.3 runs/s", ""],
                 ["webhook pushes, 8 senders", f"{results['webhook_pushes_per_s_8_senders']} pushes/s",
                  f"{results['webhook_cpu_ms_per_push']} ms CPU/push",
                  f"{results['floor_raw_check_ins_per_s_8_senders']} raw check-ins/s, 8 senders", ""]]
        md = write_results("connectors", {"dataset": {"bindings": BINDINGS, "sql": len(sql_krs), "webhook": len(hook_krs),
                                                      "samples": SAMPLES, "database": "MariaDB", "transport":
                                                      "loopback HTTP and NATS, one uvicorn worker per service"},
                                          "results": results}, table)
        print(md)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        metrics.dispose()
        with server.connect() as c:
            for (schema,) in c.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": ns + "\\_%"}):
                c.exec_driver_sql(f"DROP DATABASE `{schema}`")
        server.dispose()
        asyncio.run(drop_streams(ns))


async def raw_check_ins(ns: str, actor: int, krs: list[int], value: float, senders: int = 1) -> list[float]:
    """okr.cmd.check_in as a person, straight over NATS: what any check-in costs."""
    import nats

    nc = await nats.connect(NATS)
    out: list[float] = []
    queue = list(enumerate(krs))

    async def sender() -> None:
        while queue:
            i, kr = queue.pop(0)
            body = json.dumps({"actor_id": actor, "key_result_id": kr, "value": value + i}).encode()
            t = time.perf_counter()
            reply: Any = json.loads((await nc.request(f"{ns}.okr.cmd.check_in", body, timeout=30)).data)
            out.append(time.perf_counter() - t)
            assert "error" not in reply, reply

    try:
        await asyncio.gather(*(sender() for _ in range(senders)))
    finally:
        await nc.close()
    return out


async def drop_streams(ns: str) -> None:
    import nats

    nc = await nats.connect(NATS, connect_timeout=2)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(ns + "_"):
                await js.delete_stream(info.config.name)
    finally:
        await nc.close()


if __name__ == "__main__":
    main()
