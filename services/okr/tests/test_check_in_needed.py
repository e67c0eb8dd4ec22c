"""Which key results a weekly check-in names (§9 "Fewer, smarter nudges"): those nobody
looked at within 7 days — no check-in, human or data, and no run of a healthy live-data
binding (the same `last_looked_at` that decides a key result's `stale`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from okr_service.handlers import needs_check_in

pytestmark = pytest.mark.unit

NOW = datetime(2027, 1, 11, 1, 0, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)


@dataclass
class Kr:
    last_check_in_at: datetime | None
    source: dict[str, Any] | None = None


def binding(state: str, ran: datetime | None) -> dict[str, Any]:
    return {"kind": "sql", "state": state, "last_run_at": ran.isoformat() if ran else None, "failing_since": None}


def test_a_key_result_needs_a_check_in_after_seven_quiet_days() -> None:
    assert needs_check_in(Kr(None), WEEK_AGO)
    assert needs_check_in(Kr(NOW - timedelta(days=8)), WEEK_AGO)
    assert not needs_check_in(Kr(NOW - timedelta(days=6)), WEEK_AGO)


def test_a_healthy_binding_that_runs_never_lets_it_need_one_a_failing_or_paused_one_does() -> None:
    ran_today = NOW - timedelta(hours=1)
    assert not needs_check_in(Kr(None, binding("ok", ran_today)), WEEK_AGO)
    assert not needs_check_in(Kr(NOW - timedelta(days=30), binding("ok", ran_today)), WEEK_AGO)
    for state in ("failing", "paused"):
        assert needs_check_in(Kr(NOW - timedelta(days=30), binding(state, ran_today)), WEEK_AGO)
    # a binding that says ok but has not run for a week looked at nothing this week
    assert needs_check_in(Kr(None, binding("ok", NOW - timedelta(days=9))), WEEK_AGO)
