"""bench.side_by_side's report: what a reader compares (held counts and before ÷ after of the
CPU per request at each rate both sides ran) comes out of the runs' own figures. Running it
whole (a worktree, its virtualenv, two load bench runs) takes minutes: `python -m
bench.side_by_side HEAD --pairs 1 -- --quick --rates 10` does, and gives ratios of ~1.0."""

from __future__ import annotations

from typing import Any

from bench.side_by_side import order, report


def _step(rate: float, held: bool, whole: float, okr: float, worst_p99: float = 50.0) -> dict[str, Any]:
    return {"target_rate": rate, "achieved_rate": rate, "held": held, "errors": {},
            "ops": {"edit": {"p99_ms": worst_p99}, "check_in": {"p99_ms": worst_p99 / 2}},
            "ms_cpu_per_request": {"whole machine": whole, "Boost total": whole - 1, "okr": okr, "feedback": 1.0}}


def _run(speed: float, *steps: dict[str, Any]) -> dict[str, Any]:
    return {"machine": {"timeit_sum_range_100_ns": speed}, "steps": list(steps)}


def test_runs_alternate_so_that_neither_side_always_goes_first() -> None:
    assert order(1) == ["before", "after"]
    assert order(2) == ["before", "after", "after", "before"]
    assert order(3)[4:] == ["before", "after"]


def test_the_report_gives_every_step_the_held_counts_and_the_ratios_at_shared_rates() -> None:
    runs = [
        ("before-1", _run(550, _step(60, True, 15.0, 6.0), _step(100, False, 14.0, 5.0, worst_p99=420))),
        ("after-1", _run(560, _step(60, True, 10.0, 3.0), _step(100, True, 7.0, 2.0), _step(200, True, 5.0, 1.5))),
        ("after-2", _run(545, _step(60, True, 7.5, 2.0), _step(100, True, 7.0, 2.5), _step(200, False, 6.0, 1.6))),
        ("before-2", _run(548, _step(60, False, 15.0, 6.0), _step(100, False, 12.0, 5.0))),
    ]
    text = report("989bb04", runs)
    lines = text.splitlines()
    # Each step of each run is a row, with the machine's speed beside it and its worst p99.
    assert sum(line.startswith("| before-1 | 550 ns |") for line in lines) == 2
    assert "| before-1 | 550 ns | 100 | 100.0 | no | 420 ms (edit) | 0 | 5.00 |" in text
    summary = {line.split(" | ")[0].strip("| "): line for line in lines if line.startswith(("| 60 ", "| 100 ", "| 200 "))}
    # 60 req/s: held 1 of 2 before, 2 of 2 after; whole machine 15 → 7.5–10: 1.50–2.00×.
    assert "| 1 of 2 | 2 of 2 | 15.00 → 7.50–10.00 (1.50–2.00×) |" in summary["60"]
    # okr at 100 req/s: 5 → 2–2.5, 2.00–2.50×.
    assert "5.00 → 2.00–2.50 (2.00–2.50×)" in summary["100"]
    # A rate only one side ran has its held count and no ratio.
    assert summary["200"].startswith("| 200 | 0 of 0 | 1 of 2 | — |")
