"""GET /dashboard on a seeded company of 2,000 people, 200 teams, 2,000 objectives,
8,000 KRs and 100,000 check-ins, on MariaDB, beside the raw SQL floor for the same data.

Run: .venv/bin/python -m bench.dashboard_bench   (needs MariaDB at 127.0.0.1:3306 and NATS)
First = the first request of a fresh process (every row read); after a write = a check-in
went through the API just before (okr reads only the rows that changed, then recomputes
every aggregate); warm = nothing changed since the last request.

Forecasts (§9) are measured side by side in one run: first without any (every key
result's stored fit NULL), then, in a fresh okr process, with every key result's fit
stored (the seed computes them with okr's own fit, as its check-in writes would have), so
the dashboard carries forecasts and maintains `likely_to_miss`. The check-ins of the
first phase refit the key results they touch (at most BENCH_N of 8,000), as they would.
The comparison is the after-a-write p95 with forecasts over the one without."""

from __future__ import annotations

import os
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from bench.common import start_service, summary_ms, write_results

DB = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
NATS = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
PEOPLE, TEAMS, OBJECTIVES, KRS_PER, CHECK_INS = 2000, 200, 2000, 4, 100_000
if os.environ.get("BENCH_SMALL"):  # a smoke run of the script itself, not a measurement
    PEOPLE, TEAMS, OBJECTIVES, KRS_PER, CHECK_INS = 50, 5, 50, 4, 2_000
N = int(os.environ.get("BENCH_N", "200"))
NOW = "2027-02-20T01:00:00+00:00"
CYCLE = "2027-Q1"


def seed(engine: sa.Engine) -> int:
    rng = random.Random(7)
    now = datetime(2027, 2, 20, 1, tzinfo=UTC)
    with engine.begin() as c:
        root = c.execute(sa.text("SELECT id FROM teams WHERE parent_id IS NULL")).scalar_one()
        c.execute(sa.text("INSERT INTO teams (name, parent_id) VALUES (:n, :p)"),
                  [{"n": f"Team {i}", "p": root} for i in range(TEAMS - 1)])
        team_ids = [root, *c.execute(sa.text("SELECT id FROM teams WHERE parent_id IS NOT NULL ORDER BY id")).scalars()]
        c.execute(sa.text("INSERT INTO users (email, name, role, active, muted_reminders, created_at) "
                          "VALUES (:e, :n, 'member', 1, '[]', :t)"),
                  [{"e": f"p{i}@bench.example", "n": f"Person {i}", "t": now} for i in range(PEOPLE)])
        user_ids = list(c.execute(sa.text("SELECT id FROM users WHERE email LIKE '%@bench.example' ORDER BY id")).scalars())
        c.execute(sa.text("INSERT INTO memberships (team_id, user_id, role) VALUES (:t, :u, :r)"),
                  [{"t": team_ids[i % TEAMS], "u": u, "r": "lead" if i < TEAMS else "member"} for i, u in enumerate(user_ids)])
        c.execute(sa.text("INSERT INTO objectives (cycle, team_id, owner_id, title, description, status, version, field_versions, "
                          "position, created_at, updated_at) VALUES (:c, :t, :o, :ti, '', 'approved', 1, '{}', :p, :n, :n)"),
                  [{"c": CYCLE, "t": team_ids[i % TEAMS], "o": user_ids[i % PEOPLE], "ti": f"Objective {i}", "p": i, "n": now}
                   for i in range(OBJECTIVES)])
        obj_ids = list(c.execute(sa.text("SELECT id FROM objectives WHERE cycle = :c ORDER BY id"), {"c": CYCLE}).scalars())
        krs = []
        for i, oid in enumerate(obj_ids):
            for j in range(KRS_PER):
                target = rng.choice([10, 100, 1000])
                krs.append({"o": oid, "ti": f"KR {i}.{j}", "ow": user_ids[(i * 4 + j) % PEOPLE], "s": 0, "t": target,
                            "cur": round(target * rng.random(), 2), "w": rng.choice([1, 1, 2]), "conf": rng.randint(0, 10),
                            "last": now - timedelta(days=rng.randint(0, 30)), "n": now})
        c.execute(sa.text("INSERT INTO key_results (objective_id, title, owner_id, kind, start, target, current, unit, weight, "
                          "confidence, last_check_in_at, version, field_versions, position, created_at) VALUES "
                          "(:o, :ti, :ow, 'number', :s, :t, :cur, '', :w, :conf, :last, 1, '{}', 0, :n)"), krs)
        kr_ids = list(c.execute(sa.text("SELECT id FROM key_results ORDER BY id")).scalars())
        batch = []
        for i in range(CHECK_INS):
            batch.append({"k": kr_ids[i % len(kr_ids)], "v": rng.random() * 100, "c": rng.randint(0, 10),
                          "a": user_ids[i % PEOPLE], "t": now - timedelta(hours=i % 2000)})
            if len(batch) == 10_000 or i == CHECK_INS - 1:
                c.execute(sa.text("INSERT INTO check_ins (key_result_id, value, confidence, note, author_id, created_at) "
                                  "VALUES (:k, :v, :c, '', :a, :t)"), batch)
                batch = []
        return int(team_ids[1])


def floor(engine: sa.Engine, team_id: int | None) -> float:
    """The raw SQL the dashboard cannot avoid: the cycle's objectives and key results."""
    started = time.perf_counter()
    with engine.connect() as c:
        team_filter = "" if team_id is None else " AND o.team_id = :t"
        c.execute(sa.text("SELECT id, team_id, title, status, parent_id, owner_id FROM objectives o "
                          f"WHERE cycle = :c AND deleted_at IS NULL{team_filter}"), {"c": CYCLE, "t": team_id}).all()
        c.execute(sa.text("SELECT k.id, k.objective_id, k.title, k.owner_id, k.kind, k.start, k.target, k.current, k.unit, "
                          "k.weight, k.confidence, k.last_check_in_at FROM key_results k JOIN objectives o ON o.id = k.objective_id "
                          f"WHERE o.cycle = :c AND o.deleted_at IS NULL AND k.deleted_at IS NULL{team_filter}"),
                  {"c": CYCLE, "t": team_id}).all()
    return time.perf_counter() - started


def seed_forecasts(engine: sa.Engine) -> int:
    """Every key result's stored fit, computed from its check-ins by okr's own function."""
    from zoneinfo import ZoneInfo

    from okr_service.forecast.fit import cycle_end, forecast

    tz = ZoneInfo("Asia/Seoul")
    end = cycle_end(datetime(2027, 3, 31).date(), tz)
    points: dict[int, list[tuple[datetime, float]]] = {}
    with engine.connect() as c:
        kinds = {r.id: (r.kind, r.start, r.target) for r in c.execute(sa.text("SELECT id, kind, start, target FROM key_results"))}
        for kr_id, at, value in c.execute(sa.text("SELECT key_result_id, created_at, value FROM check_ins")):
            points.setdefault(kr_id, []).append((at.replace(tzinfo=UTC), value))
    rows = []
    for kr_id, (kind, start, target) in kinds.items():
        fitted = forecast(points.get(kr_id, []), kind=kind, start=start, target=target, end=end, tz=tz)
        if fitted is not None:
            rows.append({"id": kr_id, "f": orjson.dumps({**fitted.as_json(), "at": end.isoformat()}).decode()})
    print(f"{len(kinds)} key results, {sum(map(len, points.values()))} check-ins, {len(rows)} forecasts", flush=True)
    if rows:
        with engine.begin() as c:
            c.execute(sa.text("UPDATE key_results SET forecast = :f WHERE id = :id"), rows)
    return len(rows)


def measure(client: httpx.Client, engine: sa.Engine, team_id: int, kr_ids: list[int]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    rng = random.Random(3)
    scopes: list[tuple[str, dict[str, str | int], int | None]] = [
        ("company", {"cycle": CYCLE}, None), ("team", {"cycle": CYCLE, "team_id": team_id}, team_id)]
    for label, params, tid in scopes:
        t = time.perf_counter()
        body = client.get("/api/okr/dashboard", params=params).json()
        first = time.perf_counter() - t
        assert body["counts"]["objectives"] > 0, body
        cold, warm, raw, writes = [], [], [], []
        for _ in range(N):
            t = time.perf_counter()
            client.post(f"/api/okr/key-results/{rng.choice(kr_ids)}/check-ins",
                        json={"value": rng.random() * 10, "confidence": rng.randint(0, 10)}).raise_for_status()
            writes.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.get("/api/okr/dashboard", params=params).raise_for_status()
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.get("/api/okr/dashboard", params=params).raise_for_status()
            warm.append(time.perf_counter() - t)
            raw.append(floor(engine, tid))
        results[label] = {"first_ms": round(first * 1000, 1), "cold": summary_ms(cold), "warm": summary_ms(warm),
                          "check_in": summary_ms(writes), "floor_sql": summary_ms(raw),
                          "objectives": body["counts"]["objectives"], "key_results": body["counts"]["key_results"],
                          "likely_to_miss": len(body.get("likely_to_miss", []))}
    return results


def signed_in(port: int) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    token = client.post("/api/auth/dev-login", json={"email": "admin@boost.example"}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    client.cookies.clear()
    return client


def main() -> None:
    ns = "bench" + secrets.token_hex(3)
    data_dir = Path(tempfile.mkdtemp(prefix="boost-bench-"))
    port = int(os.environ.get("BENCH_PORT", "18950"))
    env = {"BOOST_DATABASE_URL": DB, "BOOST_NATS_URL": NATS, "BOOST_NAMESPACE": ns, "BOOST_DATA_DIR": str(data_dir),
           "BOOST_DEMO": "0", "BOOST_NOW": NOW, "BOOST_LOG_LEVEL": "WARNING",
           # What a render costs after a write: no answer may be served from before it.
           "BOOST_DASHBOARD_MAX_LAG_SECONDS": "0"}
    proc = start_service("okr", port, env, data_dir / "okr.log")
    engine = sa.create_engine(sa.engine.make_url(DB).set(database=f"{ns}_boost_okr"))
    try:
        print("seeding…", flush=True)
        t0 = time.perf_counter()
        team_id = seed(engine)
        print(f"seeded in {time.perf_counter() - t0:.1f}s", flush=True)
        with engine.connect() as c:
            kr_ids = list(c.execute(sa.text("SELECT id FROM key_results ORDER BY id")).scalars())
        phases: dict[str, dict[str, Any]] = {}
        phases["without forecasts"] = measure(signed_in(port), engine, team_id, kr_ids)
        proc.terminate()
        proc.wait(10)
        t0 = time.perf_counter()
        fitted = seed_forecasts(engine)
        print(f"{fitted} forecasts stored in {time.perf_counter() - t0:.1f}s", flush=True)
        proc = start_service("okr", port, env, data_dir / "okr-forecasts.log")
        phases["with forecasts"] = measure(signed_in(port), engine, team_id, kr_ids)
        print({p: {k: (v["objectives"], v["key_results"], v["likely_to_miss"]) for k, v in r.items()}
               for p, r in phases.items()})
        table = [["dashboard", "forecasts", "first request", "after a write p50", "after a write p95", "warm p50",
                  "warm p95", "SQL floor p50", "SQL floor p95", "after-a-write p95 / floor p95",
                  "after-a-write p95 / without forecasts"]]
        for phase, results in phases.items():
            for label, r in results.items():
                base = phases["without forecasts"][label]["cold"]["p95_ms"]
                table.append([label, "on" if phase == "with forecasts" else "off", f"{r['first_ms']:.1f} ms",
                              *(f"{r[k][p]:.1f} ms" for k, p in (("cold", "p50_ms"), ("cold", "p95_ms"), ("warm", "p50_ms"),
                                                                  ("warm", "p95_ms"), ("floor_sql", "p50_ms"),
                                                                  ("floor_sql", "p95_ms"))),
                              f"{r['cold']['p95_ms'] / r['floor_sql']['p95_ms']:.2f}×", f"{r['cold']['p95_ms'] / base:.2f}×"])
        md = write_results("dashboard", {"dataset": {"people": PEOPLE, "teams": TEAMS, "objectives": OBJECTIVES,
                                                     "key_results": OBJECTIVES * KRS_PER, "check_ins": CHECK_INS},
                                         "results": phases["with forecasts"], "phases": phases}, table)
        print(md)
    finally:
        proc.terminate()
        proc.wait(10)
        with sa.create_engine(DB, isolation_level="AUTOCOMMIT").connect() as c:
            for (schema,) in c.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": ns + "\\_%"}):
                c.exec_driver_sql(f"DROP DATABASE `{schema}`")


if __name__ == "__main__":
    main()
