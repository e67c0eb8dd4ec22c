"""The weekly cap's small pure parts (§9): a person's week runs Monday 00:00 to Sunday 24:00
in their own timezone; the org's cap is read defensively; who counts as up to date."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from notifier_service.deliveries.nudges import cap_of, is_up_to_date, note, week_of

pytestmark = pytest.mark.unit


def test_a_week_is_monday_to_sunday_where_the_person_lives() -> None:
    # Sunday 20:00 in Los Angeles is already Monday 13:00 in Seoul: two different weeks.
    at = datetime(2027, 1, 18, 4, 0, tzinfo=UTC)
    la_start, la_end = week_of(at, ZoneInfo("America/Los_Angeles"))
    seoul_start, seoul_end = week_of(at, ZoneInfo("Asia/Seoul"))
    assert (la_start.isoformat(), la_end.isoformat()) == ("2027-01-11T00:00:00-08:00", "2027-01-18T00:00:00-08:00")
    assert (seoul_start.isoformat(), seoul_end.isoformat()) == ("2027-01-18T00:00:00+09:00", "2027-01-25T00:00:00+09:00")
    # Monday 00:00 itself opens the week.
    monday = datetime(2027, 1, 18, 0, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert week_of(monday, ZoneInfo("Asia/Seoul"))[0] == monday


def test_the_cap_is_the_orgs_setting_else_three() -> None:
    assert cap_of({"max_nudges_per_week": 5}) == 5 and cap_of({"max_nudges_per_week": 0}) == 0
    assert cap_of({}) == 3 and cap_of({"max_nudges_per_week": None}) == 3 and cap_of({"max_nudges_per_week": -1}) == 3


def test_up_to_date_is_a_weekly_check_in_naming_no_key_result() -> None:
    assert is_up_to_date("weekly_check_in", {"key_result_ids": []})
    assert not is_up_to_date("weekly_check_in", {"key_result_ids": [4]})
    assert not is_up_to_date("retro_open", {"key_result_ids": []})


def test_skipped_rows_say_why_in_the_persons_language() -> None:
    assert note("en", "weekly_cap", cap=3) == "Not sent: this week's reminders (3) were already sent."
    assert note("ko", "up_to_date") == "보내지 않음: 모든 핵심 결과가 최신 상태입니다."
