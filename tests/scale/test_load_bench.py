"""The whole-system load benchmark's quick mode (bench/load_bench.py --quick, one step; 30–50 s): the
stack starts the `make run` way, a second process drives every operation through nginx, the
floors are measured, nothing fails or goes missing at a low rate, and the namespace is
dropped afterwards; with --hog, a neighbour takes half a core for the whole run and the results say so.
The real figures come from the full run (README, Numbers)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import ROOT, skip_or_fail


def test_quick_load_run_measures_every_operation_and_leaves_nothing_behind(mariadb_url: str, tmp_path: Path) -> None:
    if not (ROOT / "gateway" / "web" / "dist" / "index.html").exists():
        skip_or_fail("the web app is not built (make setup-web)")
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        skip_or_fail("nginx is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOST_")}
    env.update(BENCH_RESULTS_DIR=str(tmp_path), BOOST_TEST_DATABASE_URL=mariadb_url)
    run = subprocess.run([sys.executable, "-m", "bench.load_bench", "--quick", "--rates", "10", "--hog", "--gauges"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    result = json.loads((tmp_path / "load_hog.json").read_text())
    assert result["setup"]["hog"]["ran"] is True
    assert set(result["floors"]) == {"nginx_static", "socketio_ack", "nats_request", "sql_pk_select", "sql_commit"}
    assert all(f["n"] >= 100 and 0 < f["p50_ms"] < 100 for f in result["floors"].values()), result["floors"]
    first = result["steps"][0]
    assert first["target_rate"] == 10
    assert first["errors"] == {}, first["error_examples"]
    assert first["lost"] == {"edit": 0, "chat": 0} and first["duplicated"] == 0
    # Every operation of the mix went through the gateway, and other clients saw the edits.
    assert all(first["ops"][op]["n"] > 0 for op in
               ("dashboard_company", "dashboard_team", "edit", "check_in", "chat", "edit_to_others")), first["ops"]
    cpu = first["cpu"]["percent_of_one_core"]
    assert {"okr", "feedback", "realtime", "gateway", "nats", "load generator"} <= set(cpu)
    assert cpu["okr"] > 0 and cpu["load generator"] > 0
    # The hog ran the whole step: half a core when it gets it, its fair share when the two cores are
    # crowded (with a load average of 10, about a fifth), never more than it asked for.
    assert 5 <= cpu["hog"] <= 60, cpu
    # CPU per request: each process, Boost as a whole (not the generator, not the hog) and the machine.
    per_request = first["ms_cpu_per_request"]
    assert {"okr", "gateway", "nats", "mariadb (shared)", "load generator", "Boost total", "whole machine"} <= set(per_request)
    assert 0 < per_request["okr"] < per_request["Boost total"] < per_request["whole machine"], per_request
    boost = sum(v for k, v in per_request.items() if k not in ("load generator", "hog", "Boost total", "whole machine"))
    assert abs(per_request["Boost total"] - boost) < 0.01
    # What every process did around the slowest request: its CPU and its wait for a core, and
    # okr's own gauges (admission queue, connections out, GC pauses, loop lateness).
    around = first["processes_around_slowest"]
    assert around and all({"okr", "mariadb (shared)", "load generator"} <= set(row) for row in around), around
    assert any(row["okr"].endswith("waited") and row["okr"] != "0% ran, 0% waited" for row in around), around
    gauges = [row["okr gauges"] for row in around if "okr gauges" in row]
    assert gauges and all({"queued", "in_flight", "pool_in_use", "gc_ms"} <= set(g) for g in gauges), around
    md = (tmp_path / "load_hog.md").read_text()
    assert "Sustained rate" in md and "With the hog" in md and "Boost total ms" in md

    ns = result["setup"]["namespace"]
    with sa.create_engine(mariadb_url).connect() as c:
        assert c.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": ns + "\\_%"}).all() == []
