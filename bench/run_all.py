"""Every benchmark in bench/ (each `*_bench.py`), one after the other, each in its own process
as `python -m bench.<name>` would run it; `make bench` calls this.

Run: .venv/bin/python -m bench.run_all [--quick] [--only load_bench,realtime_bench]
--quick runs each with smaller numbers (and writes to a temporary directory, or to
BENCH_RESULTS_DIR, never over bench/results): a check that they all still work, not figures."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from bench.common import ROOT

# Arguments and environment of each bench, for the real figures and for --quick.
FULL: dict[str, tuple[list[str], dict[str, str]]] = {
    "notifier_bench": (["--overpaced", "3000"], {}),
}
QUICK: dict[str, tuple[list[str], dict[str, str]]] = {
    "dashboard_bench": ([], {"BENCH_N": "20"}),
    "feedback_bench": ([], {"BENCH_N": "50"}),
    "realtime_bench": ([], {"BENCH_SECONDS": "5", "BENCH_CLIENTS": "40", "BENCH_ROOMS": "4", "BENCH_UNLOADED": "30"}),
    "notifier_bench": (["--people", "500"], {}),
    "load_bench": (["--quick"], {}),
    "web_bench": ([], {"BENCH_VISITS": "3"}),
}


def benches() -> list[str]:
    return sorted(p.stem for p in (ROOT / "bench").glob("*_bench.py"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller numbers, results in a temporary directory")
    parser.add_argument("--only", help="comma-separated bench names (default: every *_bench.py)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else benches()
    unknown = set(names) - set(benches())
    if unknown:
        parser.error(f"no such bench: {', '.join(sorted(unknown))} (there are {', '.join(benches())})")
    env = dict(os.environ)
    if args.quick:
        env.setdefault("BENCH_RESULTS_DIR", tempfile.mkdtemp(prefix="boost-bench-quick-"))
    knobs = QUICK if args.quick else FULL
    outcomes = []
    for name in names:
        extra_args, extra_env = knobs.get(name, ([], {}))
        print(f"\n=== {name} {' '.join(extra_args)}", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *extra_args], cwd=ROOT,
                               env={**env, **extra_env})
        outcomes.append((name, code, time.monotonic() - started))
    print("\n=== summary")
    for name, code, seconds in outcomes:
        print(f"{name:20} {'ok' if code == 0 else f'FAILED (exit {code})':18} {seconds:6.0f} s")
    print(f"results in {env.get('BENCH_RESULTS_DIR') or ROOT / 'bench' / 'results'}")
    sys.exit(1 if any(code for _, code, _ in outcomes) else 0)


if __name__ == "__main__":
    main()
