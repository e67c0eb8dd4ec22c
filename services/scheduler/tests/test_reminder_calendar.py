"""The reminder calendar (contract §6) as a pure function: the right org-local dates and
times for each kind across the year, in any timezone and fiscal year, with the org's
overrides, holidays and weekends; and when each occurrence is published (early enough for
the easternmost person, late enough for the westernmost)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler_service.calendar import OrgCalendar, occurrence_id

SEOUL = OrgCalendar(timezone="Asia/Seoul")
SEOUL_TZ, LA_TZ = ZoneInfo("Asia/Seoul"), ZoneInfo("America/Los_Angeles")


def dates(cal: OrgCalendar, kind: str, start: date, end: date) -> list[str]:
    return [o.date.isoformat() for o in cal.occurrences(start, end, [kind])]


def test_each_kind_lands_on_its_day_of_the_quarter_at_ten_local() -> None:
    occs = {o.kind: o for o in SEOUL.occurrences(date(2027, 3, 1), date(2027, 3, 31))
            if o.kind not in ("weekly_check_in", "team_digest")}
    # 2027-Q2 starts on 1 April: drafting opens 14 days before, approval is due 3 days before
    # (reminded 2 days ahead of that, a Saturday: moved to Monday); 2027-Q1's retro opens 7
    # days before its end.
    assert occs["drafting_open"].date == date(2027, 3, 18) and occs["drafting_open"].cycle == "2027-Q2"
    assert occs["approval_due"].date == date(2027, 3, 29) and occs["approval_due"].cycle == "2027-Q2"
    assert occs["approval_due"].nominal_date == date(2027, 3, 27)
    assert occs["retro_open"].date == date(2027, 3, 24) and occs["retro_open"].cycle == "2027-Q1"
    review = SEOUL.occurrences(date(2027, 2, 1), date(2027, 2, 28), ["review_mid_quarter"])
    assert [(o.date, o.cycle) for o in review] == [(date(2027, 2, 15), "2027-Q1")]  # start + ⌊90/2⌋
    for occ in occs.values():
        assert occ.local_time == "10:00"
        assert occ.run_at == datetime(occ.date.year, occ.date.month, occ.date.day, 1, 0, tzinfo=UTC)  # 10:00 KST


def test_weekly_kinds_run_on_their_weekday_only_while_the_quarter_runs() -> None:
    mondays = dates(SEOUL, "weekly_check_in", date(2026, 12, 1), date(2027, 4, 10))
    # 2026-Q4's Mondays in December, then 2027-Q1's from 4 January to 29 March, then Q2's.
    assert mondays[:5] == ["2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28", "2027-01-04"]
    assert "2027-03-29" in mondays and "2027-04-05" in mondays
    assert all(date.fromisoformat(d).weekday() == 0 for d in mondays)
    q1 = [o for o in SEOUL.occurrences(date(2027, 1, 1), date(2027, 3, 31), ["weekly_check_in"])]
    assert len(q1) == 13 and {o.cycle for o in q1} == {"2027-Q1"}
    fridays = SEOUL.occurrences(date(2027, 1, 1), date(2027, 3, 31), ["team_digest"])
    assert fridays[0].date == date(2027, 1, 1) and fridays[-1].date == date(2027, 3, 26)
    assert all(o.date.weekday() == 4 and o.local_time == "16:00" for o in fridays)


def test_a_whole_year_has_each_occurrence_once_with_deterministic_ids() -> None:
    occs = SEOUL.occurrences(date(2027, 1, 1), date(2027, 12, 31))
    ids = [o.id for o in occs]
    assert len(ids) == len(set(ids))
    per_kind = Counter(o.kind for o in occs)
    # Drafting for 2027-Q1 opened in December 2026; for 2028-Q1 it opens on 18 December 2027.
    assert per_kind["drafting_open"] == 4 and per_kind["review_mid_quarter"] == 4 and per_kind["retro_open"] == 4
    assert per_kind["weekly_check_in"] == 52 and per_kind["team_digest"] == 53  # 2027 starts on a Friday
    drafting = [o for o in occs if o.kind == "drafting_open"]
    assert [o.id for o in drafting] == [
        "reminder:drafting_open:2027-Q2:2027-03-18", "reminder:drafting_open:2027-Q3:2027-06-17",
        "reminder:drafting_open:2027-Q4:2027-09-17",
        "reminder:drafting_open:2028-Q1:2027-12-20"]  # 18 December 2027 is a Saturday
    assert occs == sorted(occs, key=lambda o: o.run_at)


def test_the_org_timezone_sets_the_instant_including_daylight_saving() -> None:
    ny = OrgCalendar(timezone="America/New_York")
    before, after = ny.occurrences(date(2027, 3, 8), date(2027, 3, 15), ["weekly_check_in"])
    assert before.run_at.astimezone(UTC) == datetime(2027, 3, 8, 15, 0, tzinfo=UTC)  # EST
    assert after.run_at.astimezone(UTC) == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)  # EDT since 14 March
    # The same local date and id whatever the timezone: dates are org-local.
    assert before.id == SEOUL.occurrences(date(2027, 3, 8), date(2027, 3, 8), ["weekly_check_in"])[0].id


def test_a_fiscal_year_starting_in_april_shifts_every_quarter() -> None:
    april = OrgCalendar(timezone="Asia/Seoul", first_month=4)
    occs = april.occurrences(date(2027, 1, 1), date(2027, 12, 31), ["drafting_open", "review_mid_quarter"])
    got = [(o.kind, o.cycle, o.date.isoformat()) for o in occs]
    assert ("drafting_open", "2027-Q1", "2027-03-18") in got  # FY2027 starts in April 2027
    assert ("review_mid_quarter", "2026-Q4", "2027-02-15") in got  # Jan–Mar is FY2026's Q4
    assert ("review_mid_quarter", "2027-Q1", "2027-05-17") in got  # 1 April + ⌊91/2⌋, a Sunday → Monday
    assert ("drafting_open", "2027-Q4", "2027-12-20") in got  # Saturday 18 December → Monday


def test_holidays_and_weekends_move_reminders_to_the_next_working_day() -> None:
    cal = OrgCalendar(timezone="Asia/Seoul", holidays=frozenset({
        date(2027, 1, 4),  # a Monday: the check-in moves to Tuesday
        date(2027, 2, 12), date(2027, 2, 15),  # Friday and Monday: the digest skips the weekend and Monday
        date(2027, 3, 18),  # drafting day (Thursday) → Friday
    }))
    monday = cal.occurrences(date(2027, 1, 4), date(2027, 1, 10), ["weekly_check_in"])
    assert [(o.date, o.nominal_date) for o in monday] == [(date(2027, 1, 5), date(2027, 1, 4))]
    assert monday[0].id == "reminder:weekly_check_in:2027-Q1:2027-01-05"
    digest = cal.occurrences(date(2027, 2, 12), date(2027, 2, 16), ["team_digest"])
    assert [o.date for o in digest] == [date(2027, 2, 16)]
    review = cal.occurrences(date(2027, 2, 1), date(2027, 2, 28), ["review_mid_quarter"])
    assert [o.date for o in review] == [date(2027, 2, 16)]
    drafting = cal.occurrences(date(2027, 3, 1), date(2027, 3, 31), ["drafting_open"])
    assert [o.date for o in drafting] == [date(2027, 3, 19)]
    # A weekend day is a day off too: Saturday 27 March's approval reminder comes on Monday.
    assert dates(cal, "approval_due", date(2027, 3, 1), date(2027, 3, 31)) == ["2027-03-29"]
    # A holiday on that Monday pushes it on to Tuesday; working days never move.
    busy = OrgCalendar(timezone="Asia/Seoul", holidays=frozenset({date(2027, 3, 29)}))
    assert dates(busy, "approval_due", date(2027, 3, 1), date(2027, 3, 31)) == ["2027-03-30"]
    assert dates(busy, "retro_open", date(2027, 3, 1), date(2027, 3, 31)) == ["2027-03-24"]


def test_a_weekly_kind_the_org_put_on_a_weekend_day_stays_there() -> None:
    cal = OrgCalendar.from_org({"timezone": "Asia/Seoul", "holidays": ["2027-01-16"],
                                "reminders": {"team_digest": {"weekday": 5}}})
    saturdays = cal.occurrences(date(2027, 1, 1), date(2027, 1, 31), ["team_digest"])
    # Saturdays, as chosen; the holiday on 16 January moves that one to Monday the 18th.
    assert [o.date.isoformat() for o in saturdays] == ["2027-01-02", "2027-01-09", "2027-01-18", "2027-01-23",
                                                       "2027-01-30"]


def test_an_occurrence_for_people_is_published_before_anyones_local_time_and_until_anyones_day_ends() -> None:
    la = OrgCalendar(timezone="America/Los_Angeles")
    (monday,) = la.occurrences(date(2027, 1, 11), date(2027, 1, 11), ["weekly_check_in"])
    # Monday 10:00 comes first in UTC+14 (Sunday 20:00 UTC): before Seoul's 10:00 (01:00 UTC)
    # and long before the org's own (18:00 UTC).
    assert monday.run_at.astimezone(UTC) == datetime(2027, 1, 11, 18, 0, tzinfo=UTC)
    assert monday.publish_at.astimezone(UTC) == datetime(2027, 1, 10, 20, 0, tzinfo=UTC)
    assert monday.publish_at < datetime(2027, 1, 11, 10, 0).replace(tzinfo=SEOUL_TZ)
    # Monday is over everywhere once it ends in UTC−12 (Tuesday 12:00 UTC).
    assert monday.day_ends_at.astimezone(UTC) == datetime(2027, 1, 12, 12, 0, tzinfo=UTC)
    # The team digest goes to a channel at the org's time: published then, until the org's day ends.
    (friday,) = la.occurrences(date(2027, 1, 15), date(2027, 1, 15), ["team_digest"])
    assert friday.publish_at == friday.run_at == datetime(2027, 1, 15, 16, 0).replace(tzinfo=LA_TZ)
    assert friday.day_ends_at - friday.run_at == timedelta(hours=8)


def test_org_overrides_change_time_weekday_or_switch_a_kind_off() -> None:
    cal = OrgCalendar.from_org({
        "timezone": "Europe/Berlin", "fiscal_year_start_month": 1, "holidays": ["2027-01-06"],
        "reminders": {"weekly_check_in": {"enabled": True, "weekday": 2, "time": "09:30"},
                      "team_digest": {"enabled": False}, "drafting_open": {"time": "8:05", "weekday": 3}},
    })
    weekly = cal.occurrences(date(2027, 1, 1), date(2027, 1, 31), ["weekly_check_in"])
    # Wednesdays at 09:30 Berlin; 6 January is a holiday, so that week's lands on Thursday.
    assert [o.date.isoformat() for o in weekly] == ["2027-01-07", "2027-01-13", "2027-01-20", "2027-01-27"]
    assert weekly[1].run_at.astimezone(UTC) == datetime(2027, 1, 13, 8, 30, tzinfo=UTC)
    assert cal.occurrences(date(2027, 1, 1), date(2027, 3, 31), ["team_digest"]) == []
    drafting = cal.occurrences(date(2027, 3, 1), date(2027, 3, 31), ["drafting_open"])
    assert drafting[0].local_time == "08:05" and drafting[0].date == date(2027, 3, 18)  # weekday ignored: a date kind
    assert cal.rule("team_digest").enabled is False


def test_run_now_uses_todays_scheduled_occurrence_or_today_in_the_right_cycle() -> None:
    monday = datetime(2027, 1, 11, 3, 0, tzinfo=UTC)  # 12:00 in Seoul
    assert SEOUL.occurrence_for_run("weekly_check_in", monday).id == "reminder:weekly_check_in:2027-Q1:2027-01-11"
    wednesday = datetime(2027, 1, 13, 3, 0, tzinfo=UTC)
    assert SEOUL.occurrence_for_run("weekly_check_in", wednesday).id == occurrence_id(
        "weekly_check_in", "2027-Q1", date(2027, 1, 13))
    assert SEOUL.occurrence_for_run("drafting_open", wednesday).cycle == "2027-Q2"
    assert SEOUL.occurrence_for_run("retro_open", datetime(2027, 4, 3, 3, 0, tzinfo=UTC)).cycle == "2027-Q1"
    # Late on Sunday 10 January in UTC is already Monday 11 January in Seoul.
    late = datetime(2027, 1, 10, 23, 30, tzinfo=UTC)
    assert SEOUL.occurrence_for_run("weekly_check_in", late).date == date(2027, 1, 11)


def test_next_occurrence_is_todays_until_the_day_ends_then_the_following() -> None:
    before = datetime(2027, 1, 11, 0, 30, tzinfo=UTC)  # 09:30 Seoul, Monday
    assert SEOUL.next_occurrence("weekly_check_in", before).date == date(2027, 1, 11)  # type: ignore[union-attr]
    after = datetime(2027, 1, 11, 5, 0, tzinfo=UTC)  # 14:00 Seoul: today's is past, still today's
    assert SEOUL.next_occurrence("weekly_check_in", after).date == date(2027, 1, 11)  # type: ignore[union-attr]
    tuesday = datetime(2027, 1, 12, 0, 0, tzinfo=UTC)
    assert SEOUL.next_occurrence("weekly_check_in", tuesday).date == date(2027, 1, 18)  # type: ignore[union-attr]
    off = OrgCalendar.from_org({"timezone": "Asia/Seoul", "reminders": {"retro_open": {"enabled": False}}})
    assert off.next_occurrence("retro_open", before) is None
