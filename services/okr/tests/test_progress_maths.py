"""Progress, health and flags exactly as the contract defines them (pure functions)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from boost_contracts.cycles import parse_cycle
from boost_platform.textmerge import merge_text
from okr_service.domain.progress import Moment, health, kr_progress, mean, weighted_progress, worst_health


def test_number_progress_is_clamped() -> None:
    assert kr_progress("number", 0, 10, 5) == 0.5
    assert kr_progress("number", 0, 10, 15) == 1.0
    assert kr_progress("number", 0, 10, -3) == 0.0


def test_decreasing_targets_work() -> None:
    # 180 s → 45 s: at 90 s we are two thirds of the way.
    assert kr_progress("number", 180, 45, 90) == pytest.approx(2 / 3)
    assert kr_progress("percent", 6, 1, 1) == 1.0


def test_boolean_and_milestones() -> None:
    assert kr_progress("boolean", 0, 1, 0) == 0.0
    assert kr_progress("boolean", 0, 1, 1) == 1.0
    assert kr_progress("milestone", 0, 4, 0, items_done=3, items_total=4) == 0.75
    assert kr_progress("milestone", 0, 0, 0, items_done=0, items_total=0) == 0.0


def test_objective_progress_is_weighted() -> None:
    assert weighted_progress([(1.0, 3), (0.0, 1)]) == 0.75
    assert weighted_progress([]) == 0.0
    assert mean([0.2, 0.4]) == pytest.approx(0.3)


@pytest.mark.parametrize(("confidence", "expected"), [(10, "on_track"), (7, "on_track"), (6, "at_risk"), (4, "at_risk"),
                                                      (3, "off_track"), (0, "off_track"), (None, "unknown")])
def test_health_from_confidence(confidence: int | None, expected: str) -> None:
    assert health(confidence) == expected


def test_an_objective_is_as_healthy_as_its_worst_kr() -> None:
    assert worst_health(["on_track", "at_risk", "unknown"]) == "at_risk"
    assert worst_health(["on_track", "off_track"]) == "off_track"
    assert worst_health([]) == "unknown"


def test_behind_and_stale() -> None:
    cycle = parse_cycle("2027-Q1")
    today = date(2027, 2, 15)  # expected 0.5
    now = datetime(2027, 2, 15, 3, tzinfo=UTC)
    m = Moment(cycle, today, now)
    assert m.behind(0.24, "number") and not m.behind(0.26, "number")
    assert m.stale(now - timedelta(days=14)) and not m.stale(now - timedelta(days=13))
    assert m.stale(None)  # never checked in, six weeks into the quarter
    before = Moment(cycle, date(2026, 12, 20), now)
    assert not before.stale(None) and not before.behind(0.0, "number")


def test_text_merge_keeps_both_insertions() -> None:
    assert merge_text("Grow revenue", "Grow revenue fast", "Grow ARR revenue") == "Grow ARR revenue fast"
    assert merge_text("a", "a", "b") == "b"
    assert merge_text("a", "c", "a") == "c"
