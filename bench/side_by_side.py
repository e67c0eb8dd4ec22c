"""The load bench over an older commit and over this tree, alternated in one sitting: what
issue 23's done-when asks for, and what any change to a hot path should show.

    .venv/bin/python -m bench.side_by_side 989bb04 -- --rates 60,100,200 --step-seconds 20 --retry-busy 0 --stop-after 9
    .venv/bin/python -m bench.side_by_side 989bb04 --pairs 1 -- --hog --rates 40,60,100

The older commit is checked out in a git worktree (detached, in a temporary directory) with a
virtualenv of its own (`uv sync --all-packages --frozen` from its own lock), and this tree's
`bench/` and built web app copied in: both sides run the same bench code against their own
services. Runs alternate before, after, after, before, … (each pair in the other order from the
one before it, so that a slow spell of a shared machine does not fall on one side only). Each
run's JSON and table go to OUT/before-N/ and OUT/after-N/; OUT/side_by_side.md gets every step
of every run in one table, how often each rate held on each side, and the ratios of CPU per
request at the rates both sides ran. The worktree goes at the end unless --keep.

Nothing else should run meanwhile (no tests, no builds): every figure here is CPU per request
and latency on the same two cores."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT

# Columns of the table: each process's CPU per request, as the load bench names them.
PROCESSES = ("okr", "feedback", "realtime", "nats", "mariadb (shared)", "load generator", "Boost total", "whole machine")
# Whose ratios the summary gives (before ÷ after, per rate both sides ran).
RATIOS = ("whole machine", "Boost total", "okr", "feedback")


def _uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".venv-tools" / "bin" / "uv")
    if not Path(found).exists():
        sys.exit("uv is not installed (.ci/run installs it in .venv-tools)")
    return found


def prepare(ref: str, where: Path) -> Path:
    """A worktree of `ref` with its own virtualenv, this tree's bench/ and web build."""
    tree = where / "before"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(tree / "bench", ignore_errors=True)
    shutil.copytree(ROOT / "bench", tree / "bench", ignore=shutil.ignore_patterns("results", "__pycache__"))
    dist = ROOT / "gateway" / "web" / "dist"
    if not (dist / "index.html").exists():
        sys.exit("the web app is not built here (make setup-web)")
    shutil.copytree(dist, tree / "gateway" / "web" / "dist", dirs_exist_ok=True)
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tree / ".venv")}
    subprocess.run([_uv(), "sync", "--all-packages", "--frozen", "--quiet"], cwd=tree, env=env, check=True)
    return tree


def remove(tree: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_once(tree: Path, out: Path, bench_args: list[str]) -> dict[str, Any]:
    """One load bench run from `tree`'s own virtualenv; its results."""
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOST_")}
    env["BENCH_RESULTS_DIR"] = str(out)
    with (out / "log").open("w") as log:
        done = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-m", "bench.load_bench", *bench_args],
                              cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    name = "load_hog.json" if "--hog" in bench_args else "load.json"
    if done.returncode != 0 or not (out / name).exists():
        sys.exit(f"the load bench failed in {tree} (see {out / 'log'})")
    return dict(json.loads((out / name).read_text()))


def order(pairs: int) -> list[str]:
    """before, after, after, before, before, after, …"""
    sides: list[str] = []
    for i in range(pairs):
        sides += ["before", "after"] if i % 2 == 0 else ["after", "before"]
    return sides


def _worst(step: dict[str, Any]) -> tuple[str, float]:
    return max(((op, v.get("p99_ms") or 0.0) for op, v in step["ops"].items()), key=lambda x: x[1])


def _span(values: list[float], digits: int = 2) -> str:
    low, high = min(values), max(values)
    return f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else f"{low:.{digits}f}–{high:.{digits}f}"


def report(ref: str, runs: list[tuple[str, dict[str, Any]]]) -> str:
    """Every step of every run, how often each rate held on each side, and before ÷ after of the
    CPU per request at the rates both sides ran (the smallest and largest over every pair of runs)."""
    lines = [f"# `{ref}` (before) and this tree (after), the load bench alternated in one sitting", "",
             "ms = CPU per request; held = every operation's p99 ≤ the bench's limit, 0 errors, 0 lost, "
             "0 duplicated. The machine's speed (`python -m timeit \"sum(range(100))\"`) at the end of each run "
             "is beside it.", "",
             "| run | timeit | target req/s | achieved | held | worst p99 | errors | "
             + " | ".join(f"{p} ms" for p in PROCESSES) + " |",
             "|" + "---|" * (7 + len(PROCESSES))]
    per_rate: dict[str, dict[float, list[dict[str, Any]]]] = {"before": {}, "after": {}}
    for label, result in runs:
        side = label.split("-")[0]
        speed = result.get("machine", {}).get("timeit_sum_range_100_ns")
        for step in result["steps"]:
            per_rate[side].setdefault(step["target_rate"], []).append(step)
            op, p99 = _worst(step)
            errors = sum(step["errors"].values())
            cpu = step["ms_cpu_per_request"]
            lines.append(f"| {label} | {speed or '—'} ns | {step['target_rate']:g} | {step['achieved_rate']:.1f} | "
                         f"{'**yes**' if step['held'] else 'no'} | {p99:.0f} ms ({op}) | {errors} | "
                         + " | ".join(f"{cpu[p]:.2f}" if p in cpu else "—" for p in PROCESSES) + " |")
    lines += ["", "| target req/s | held, before | held, after | "
              + " | ".join(f"{p}: before → after (before ÷ after)" for p in RATIOS) + " |",
              "|" + "---|" * (3 + len(RATIOS))]
    for rate in sorted(set(per_rate["before"]) | set(per_rate["after"])):
        before, after = per_rate["before"].get(rate, []), per_rate["after"].get(rate, [])
        cells = [f"{rate:g}", f"{sum(s['held'] for s in before)} of {len(before)}",
                 f"{sum(s['held'] for s in after)} of {len(after)}"]
        for p in RATIOS:
            b = [s["ms_cpu_per_request"][p] for s in before if p in s["ms_cpu_per_request"]]
            a = [s["ms_cpu_per_request"][p] for s in after if p in s["ms_cpu_per_request"]]
            if b and a and min(a) > 0:
                ratios = [x / y for x in b for y in a]
                cells.append(f"{_span(b)} → {_span(a)} ({_span(ratios)}×)")
            else:
                cells.append("—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     usage="%(prog)s REF [--pairs N] [--out DIR] [--keep] -- LOAD_BENCH_ARGS…")
    parser.add_argument("ref", help="the older commit (anything `git worktree add` takes)")
    parser.add_argument("--pairs", type=int, default=2, help="pairs of runs, alternated (default 2)")
    parser.add_argument("--out", type=Path, help="where the runs and side_by_side.md go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the worktree (its path is printed)")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    bench_args = argv[split + 1:]  # after --: the load bench's own
    out = args.out or Path(tempfile.mkdtemp(prefix="side-by-side-"))
    where = Path(tempfile.mkdtemp(prefix="side-by-side-tree-"))
    started = time.monotonic()
    tree = prepare(args.ref, where)
    try:
        runs: list[tuple[str, dict[str, Any]]] = []
        counts = {"before": 0, "after": 0}
        for side in order(args.pairs):
            counts[side] += 1
            label = f"{side}-{counts[side]}"
            print(f"{label}: running…", flush=True)
            runs.append((label, run_once(tree if side == "before" else ROOT, out / label, bench_args)))
        (out / "side_by_side.md").write_text(report(args.ref, runs))
    finally:
        if args.keep:
            print(f"the worktree of {args.ref}: {tree}")
        else:
            remove(tree)
            shutil.rmtree(where, ignore_errors=True)
    print((out / "side_by_side.md").read_text())
    print(f"results in {out}; total {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
