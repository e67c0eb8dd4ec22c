"""The one cycle function every service uses: ids, dates, phases, fiscal years, timezones."""

from datetime import UTC, date, datetime

import pytest
from boost_contracts.cycles import current_cycle, cycle_containing, next_cycle, parse_cycle


def test_calendar_year_quarters() -> None:
    q1 = parse_cycle("2027-Q1")
    assert (q1.start, q1.end) == (date(2027, 1, 1), date(2027, 3, 31))
    assert parse_cycle("2027-Q4").end == date(2027, 12, 31)
    assert q1.days == 90


def test_phases_follow_the_contract() -> None:
    q1 = parse_cycle("2027-Q1")
    phases = q1.phases()
    assert phases["drafting"] == {"start": "2026-12-18", "end": "2026-12-31"}  # opens 14 days before start
    assert phases["approval_due"] == "2026-12-29"  # 3 days before start
    assert phases["review"] == "2027-02-15"  # start + floor(90 / 2)
    assert phases["retro"] == {"start": "2027-03-24", "end": "2027-04-07"}


def test_fiscal_year_starting_in_april_is_named_for_the_year_it_starts() -> None:
    assert cycle_containing(date(2027, 2, 3), first_month=4).id == "2026-Q4"
    q1 = parse_cycle("2027-Q1", first_month=4)
    assert (q1.start, q1.end) == (date(2027, 4, 1), date(2027, 6, 30))
    assert parse_cycle("2026-Q4", first_month=4).next().id == "2027-Q1"
    assert parse_cycle("2027-Q1", first_month=4).previous().id == "2026-Q4"


def test_current_and_next_resolve_in_the_org_timezone() -> None:
    # 2026-12-31 16:00 UTC is already 2027-01-01 01:00 in Seoul.
    now = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert current_cycle(now, "Asia/Seoul").id == "2027-Q1"
    assert current_cycle(now, "America/New_York").id == "2026-Q4"
    assert next_cycle(now, "America/New_York").id == "2027-Q1"


def test_expected_progress_counts_whole_days() -> None:
    q1 = parse_cycle("2027-Q1")
    assert q1.expected_progress(date(2027, 1, 1)) == 0
    assert q1.expected_progress(date(2027, 2, 15)) == pytest.approx(45 / 90)
    assert q1.expected_progress(date(2027, 5, 1)) == 1


@pytest.mark.parametrize("bad", ["2027-Q5", "27-Q1", "2027Q1", "", "2027-q1"])
def test_bad_cycle_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_cycle(bad)
