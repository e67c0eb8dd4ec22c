"""Small helpers for the benchmarks: percentiles, results as JSON + a markdown table,
starting a service process the way `make run` does, the CPU seconds of each process and of
the machine between two readings (Watch), and a CPU hog that takes half a core (Hog)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
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
    """Where and when; the load average says how much else the machine was doing."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "load_average_1_5_15": list(os.getloadavg())}


def results_dir() -> Path:
    """bench/results, or BENCH_RESULTS_DIR (quick runs write there, not over the real figures)."""
    return Path(os.environ.get("BENCH_RESULTS_DIR") or RESULTS)


def write_results(name: str, results: dict[str, Any], table: list[list[str]]) -> str:
    out = results_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps({"machine": machine(), **results}, indent=2, default=str))
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
