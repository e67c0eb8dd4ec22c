"""Small helpers for the benchmarks: percentiles, results as JSON + a markdown table,
starting a service process the way `make run` does, the CPU seconds of each process and of
the machine between two readings (Watch), and a CPU hog that takes half a core (Hog)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import timeit
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 3), "p95_ms": round(pct(ms, 95), 3),
            "p99_ms": round(pct(ms, 99), 3), "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan")}


def machine() -> dict[str, Any]:
    """Where and when; the load average says how much else the machine was doing, and
    `timeit_sum_range_100_ns` how fast this machine is right now (`python -m timeit
    "sum(range(100))"`, best of 5): figures from runs on machines (or spells) of different
    speed compare only through it."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "load_average_1_5_15": list(os.getloadavg()), "timeit_sum_range_100_ns": speed_index()}


def speed_index() -> float:
    """ns per `sum(range(100))`, best of 5 (what `python -m timeit` prints)."""
    return round(min(timeit.repeat("sum(range(100))", number=100_000, repeat=5)) / 100_000 * 1e9, 1)


def results_dir() -> Path:
    """bench/results, or BENCH_RESULTS_DIR (quick runs write there, not over the real figures)."""
    return Path(os.environ.get("BENCH_RESULTS_DIR") or RESULTS)


def write_results(name: str, results: dict[str, Any], table: list[list[str]],
                  machine_info: dict[str, Any] | None = None) -> str:
    out = results_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps({"machine": machine_info or machine(), **results}, indent=2,
                                                 default=str))
    header, *rows = table
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    md = "\n".join(lines)
    (out / f"{name}.md").write_text(md + "\n")
    return md


def start_service(service: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", f"{service}_service", "--port", str(port)],
                            env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/{service}/readyz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{service} did not start; see {log}")


class Watch:
    """CPU seconds of each process of the system, and of the machine, between two readings."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.procs: dict[str, list[psutil.Process]] = {}
        for name, plist in pids.items():
            found = []
            for pid in plist:
                with contextlib.suppress(psutil.Error):
                    p = psutil.Process(pid)
                    found += [p, *p.children(recursive=True)]  # nginx's workers
            self.procs[name] = found

    def _read(self) -> tuple[float, dict[str, float], float, float]:
        out = {}
        for name, procs in self.procs.items():
            total = 0.0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
            out[name] = total
        m = psutil.cpu_times()
        busy = m.user + m.nice + m.system + getattr(m, "irq", 0.0) + getattr(m, "softirq", 0.0)
        return time.perf_counter(), out, busy, cpu_pressure_seconds()

    def start(self) -> None:
        self.t0 = self._read()

    def stop(self) -> dict[str, Any]:
        (w0, c0, b0, p0), (w1, c1, b1, p1) = self.t0, self._read()
        wall = w1 - w0
        share = {name: round(100 * (c1[name] - c0[name]) / wall, 1) for name in c0}
        machine = round(100 * (b1 - b0) / wall, 1)
        return {"wall_seconds": round(wall, 3),
                # CPU seconds (user + system, from /proc/<pid>/stat) of each process; the machine's from /proc/stat.
                "cpu_seconds": {name: round(c1[name] - c0[name], 4) for name in c0},
                "machine_cpu_seconds": round(b1 - b0, 4),
                "percent_of_one_core": share, "machine_busy_percent": machine,
                "others_percent": round(machine - sum(share.values()), 1),
                # Linux PSI: the share of the time some runnable task waited for a core.
                "cpu_pressure_percent": round(100 * (p1 - p0) / wall, 1),
                "load_average": [round(x, 2) for x in os.getloadavg()]}


def cpu_pressure_seconds() -> float:
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(some.rsplit("total=", 1)[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return float("nan")


def wait_for_quiet(limit_s: float, pressure_percent: float = 25.0) -> dict[str, float]:
    """On a shared machine, start a step when the others' jobs leave the cores mostly free (Linux PSI
    avg10 under `pressure_percent`), waiting at most `limit_s`; says how long it waited and how busy it was."""
    started = time.monotonic()
    while True:
        try:
            avg10 = float(Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1])
        except (OSError, IndexError, ValueError):
            return {"waited_s": 0.0, "pressure_avg10": float("nan")}
        waited = time.monotonic() - started
        if avg10 < pressure_percent or waited >= limit_s:
            return {"waited_s": round(waited, 1), "pressure_avg10": avg10}
        time.sleep(2)


def mariadb_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in ("mariadbd", "mysqld")]


def ms_cpu_per_request(cpu: dict[str, Any], requests: int) -> dict[str, float]:
    """A Watch.stop() reading divided by the requests completed in it: ms of CPU per request for each
    process, for all of them together ("Boost total", without the load generator and the hog, which are
    not Boost), and for the whole machine (everything /proc/stat counted, neighbours included)."""
    n = max(requests, 1)
    out = {name: round(1000 * sec / n, 3) for name, sec in cpu["cpu_seconds"].items()}
    out["Boost total"] = round(sum(v for k, v in out.items() if k not in NOT_BOOST), 3)
    out["whole machine"] = round(1000 * cpu["machine_cpu_seconds"] / n, 3)
    return out


NOT_BOOST = ("load generator", "hog")


def hog_main(duty: float, slice_s: float) -> None:
    """Busy for `duty` of every `slice_s` seconds, asleep for the rest: a neighbour that takes
    `duty` of a core in small slices, like another engineer's test run."""
    busy = duty * slice_s
    next_at = time.perf_counter()
    while True:
        until = next_at + busy
        while time.perf_counter() < until:
            pass
        next_at += slice_s
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:  # descheduled for longer than a slice: start afresh rather than catch up in a burst
            next_at = time.perf_counter()


class Hog:
    """A process of its own that takes half a core (by default) in 10 ms slices for as long as it
    runs: the shared machine made reproducible. Its pid goes into the Watch as "hog", so each step
    shows what it really took."""

    def __init__(self, duty: float = 0.5, slice_ms: float = 10.0) -> None:
        self.duty, self.slice_ms = duty, slice_ms
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        code = f"from bench.common import hog_main; hog_main({self.duty!r}, {self.slice_ms / 1000!r})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)

    def describe(self) -> dict[str, Any]:
        return {"duty": self.duty, "slice_ms": self.slice_ms, "percent_of_one_core_asked": round(100 * self.duty)}


def _schedstat(pid: int) -> tuple[int, int]:
    """CPU time and time spent runnable but waiting for a core (ns), summed over a process's
    threads (/proc/<pid>/task/*/schedstat)."""
    ran = waited = 0
    with contextlib.suppress(OSError):
        for task in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(task.path, "schedstat").read_text().split()
                ran += int(fields[0])
                waited += int(fields[1])
    return ran, waited


def _gauges(metrics_text: str) -> dict[str, float]:
    """The few of a service's own metrics that say why a request waited: the admission queue,
    requests in flight, database connections out, and the running sums of garbage-collection
    pauses and of event-loop lateness (their differences between two scrapes are what happened
    in between)."""
    from prometheus_client.parser import text_string_to_metric_families

    out = {"queued": 0.0, "in_flight": 0.0, "pool_in_use": 0.0, "gc_s": 0.0, "loop_late_s": 0.0, "loop_ticks": 0.0}
    wanted = {"boost_http_queued": "queued", "boost_http_in_flight": "in_flight", "boost_db_pool_in_use": "pool_in_use",
              "boost_gc_pause_seconds_sum": "gc_s", "boost_event_loop_lag_seconds_sum": "loop_late_s",
              "boost_event_loop_lag_seconds_count": "loop_ticks"}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            key = wanted.get(sample.name)
            if key is not None:
                out[key] += sample.value
    return out


class Timeline(threading.Thread):
    """What each process was doing, every `every` seconds through a step: its CPU and the time
    it waited for a core (from the kernel's schedstat), and for the services named in
    `metrics_urls` their admission queue, connections out, GC pauses and loop lateness. A
    slow moment can then be read: a process starved of a core, a queue behind the database
    pool, a collection, or a loop held."""

    def __init__(self, pids: dict[str, list[int]], metrics_urls: dict[str, str], every: float = 0.1) -> None:
        super().__init__(name="bench-timeline", daemon=True)
        self.pids = {name: list(plist) for name, plist in pids.items()}
        self.metrics_urls = metrics_urls
        self.every = every
        self.halt = threading.Event()
        self.rows: list[tuple[float, dict[str, tuple[int, int]], dict[str, dict[str, float]]]] = []

    def _read(self) -> tuple[float, dict[str, tuple[int, int]], dict[str, dict[str, float]]]:
        at = time.perf_counter()
        sched = {}
        for name, plist in self.pids.items():
            ran = waited = 0
            for pid in plist:
                r, w = _schedstat(pid)
                ran, waited = ran + r, waited + w
            sched[name] = (ran, waited)
        gauges = {}
        for name, url in self.metrics_urls.items():
            with contextlib.suppress(OSError, ValueError):
                with urllib.request.urlopen(url, timeout=1) as r:
                    gauges[name] = _gauges(r.read().decode())
        return at, sched, gauges

    def run(self) -> None:
        while not self.halt.is_set():
            self.rows.append(self._read())
            self.halt.wait(self.every)

    def stop(self) -> None:
        self.halt.set()
        self.join()

    def gc_share(self) -> dict[str, float]:
        """Each scraped service's garbage-collection pauses over the whole step, in % of the
        wall time (of one core: a collection holds the process's one event loop)."""
        if len(self.rows) < 2:
            return {}
        (t0, _, g0), (t1, _, g1) = self.rows[0], self.rows[-1]
        return {name: round(100 * (g["gc_s"] - g0[name]["gc_s"]) / (t1 - t0), 2) for name, g in g1.items() if name in g0}

    def around(self, at: float, half: float = 1.0) -> list[dict[str, Any]]:
        """One row per interval from `at - half` to `at + half` (perf_counter seconds): each
        process's CPU and wait for a core as a share of the interval, and the services' gauges
        (queue and connections at the interval's end; GC pause and loop lateness within it)."""
        out = []
        for (t0, s0, g0), (t1, s1, g1) in itertools.pairwise(self.rows):
            if t1 < at - half or t0 > at + half:
                continue
            span = t1 - t0
            row: dict[str, Any] = {"t_s": round(t1 - at, 2)}
            for name in s1:
                ran = (s1[name][0] - s0[name][0]) / 1e9 / span
                waited = (s1[name][1] - s0[name][1]) / 1e9 / span
                row[name] = f"{100 * ran:.0f}% ran, {100 * waited:.0f}% waited"
            for name, g in g1.items():
                before = g0.get(name, g)
                ticks = g["loop_ticks"] - before["loop_ticks"]
                row[f"{name} gauges"] = {
                    "queued": g["queued"], "in_flight": g["in_flight"], "pool_in_use": g["pool_in_use"],
                    "gc_ms": round(1000 * (g["gc_s"] - before["gc_s"]), 1),
                    "loop_late_ms_mean": round(1000 * (g["loop_late_s"] - before["loop_late_s"]) / ticks, 1) if ticks else None}
            out.append(row)
        return out


def with_children(pids: dict[str, list[int]]) -> dict[str, list[int]]:
    """Each named process with its children (nginx's workers)."""
    out = {}
    for name, plist in pids.items():
        found = []
        for pid in plist:
            with contextlib.suppress(psutil.Error):
                found += [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]
        out[name] = found
    return out
