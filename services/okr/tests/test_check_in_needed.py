"""Which key results a weekly check-in names (§9 "Fewer, smarter nudges"): none checked in,
human or data, within 7 days; never one fed by a healthy live-data binding (its `source`,
read defensively: key results carry it once connectors feeds okr)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from okr_service.handlers import fed_by_healthy_source, needs_check_in

pytestmark = pytest.mark.unit

NOW = datetime(2027, 1, 11, 1, 0, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)


def test_a_key_result_needs_a_check_in_after_seven_quiet_days() -> None:
    assert needs_check_in(None, None, WEEK_AGO)
    assert needs_check_in(NOW - timedelta(days=8), None, WEEK_AGO)
    assert not needs_check_in(NOW - timedelta(days=6), None, WEEK_AGO)


def test_a_healthy_binding_never_needs_one_a_failing_or_paused_one_does() -> None:
    ok = {"kind": "sql", "state": "ok", "last_run_at": None, "failing_since": None}
    assert not needs_check_in(None, ok, WEEK_AGO)
    assert not needs_check_in(NOW - timedelta(days=30), ok, WEEK_AGO)
    for state in ("failing", "paused"):
        assert needs_check_in(NOW - timedelta(days=30), {**ok, "state": state}, WEEK_AGO)
    for odd in (None, {}, "ok", {"state": None}, []):
        assert not fed_by_healthy_source(odd)
