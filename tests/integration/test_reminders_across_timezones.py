"""Everyone hears a reminder at the kind's time on its date in their own timezone, east or
west of the org: the scheduler publishes the occurrence before anyone's moment (10:00 in
UTC+14) and the notifier holds each person's row until theirs. The org is in Los Angeles;
the lead lives in Seoul (17 hours east), the engineer in Honolulu (3 hours west), the
others in the org's timezone. The clock is moved by hand; nobody waits hours."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_service.leader import BUCKET
from scheduler_service.settings import SchedulerSettings

from tests.support.notifier import SLACK_IDS, Stack, notifier_stack
from tests.support.waiting import until

# Drafting for 2027-Q2 opens on Thursday 18 March 2027 (daylight saving time in Los Angeles).
OCCURRENCE = "reminder:drafting_open:2027-Q2:2027-03-18"
DRAFTING_DAY = date(2027, 3, 18)
ZONES = {"lead": "Asia/Seoul", "other": "Pacific/Honolulu", "member": "America/Los_Angeles",
         "ceo": "America/Los_Angeles"}
PEOPLE = tuple(ZONES)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ten_local(who: str) -> datetime:
    return datetime.combine(DRAFTING_DAY, time(10, 0), ZoneInfo(ZONES[who]))


@asynccontextmanager
async def la_org(make_settings: Callable[..., Any], suffix: str, *, seeded_at: datetime) -> AsyncIterator[Stack]:
    """The seeded company, its org moved to Los Angeles, the lead and the engineer living elsewhere."""
    async with notifier_stack(make_settings, suffix, now=seeded_at) as stack:
        await stack.call("admin", "PATCH", "/api/okr/org", json={"timezone": "America/Los_Angeles"})
        for who in ("lead", "other"):
            await stack.call(who, "PATCH", f"/api/okr/users/{stack.user_id(who)}", json={"timezone": ZONES[who]})
        yield stack


@asynccontextmanager
async def scheduler(stack: Stack) -> AsyncIterator[Any]:
    knobs = SchedulerSettings(_env_file=None, lock_ttl_seconds=2)  # type: ignore[call-arg]
    try:
        async with stack.running("scheduler", knobs) as client:
            yield client
    finally:
        await stack.nc.jetstream().delete_key_value(stack.settings.names.bucket(BUCKET))


def set_clock(stack: Stack, at: datetime) -> None:
    stack.clock.offset += at - stack.clock.now()


def posts_of(stack: Stack, rows: list[Any]) -> Counter[str]:
    assert stack.slack is not None
    texts = {r.text for r in rows}
    return Counter(p["channel"] for p in stack.slack.posts() if p["text"] in texts)


async def len_rows(stack: Stack, n: int) -> bool:
    return len(await stack.rows(occurrence_id=OCCURRENCE)) >= n


async def rows_by_person(stack: Stack) -> dict[str, Any]:
    rows = await stack.rows(occurrence_id=OCCURRENCE)
    ids = {stack.user_id(who): who for who in PEOPLE}
    return {ids[r.user_id]: r for r in rows}


async def sent(stack: Stack, *people: str) -> bool:
    rows = await rows_by_person(stack)
    return all(who in rows and rows[who].status == "sent" for who in people)


async def test_each_person_hears_it_at_ten_on_the_day_in_their_own_timezone(make_settings: Callable[..., Any]) -> None:
    async with la_org(make_settings, "ntftz", seeded_at=utc(2027, 3, 17, 19, 0)) as stack:
        # Two seconds before 18 March 10:00 comes in UTC+14: Wednesday noon in Los Angeles,
        # Thursday 05:00 in Seoul — everyone's 10:00 is still ahead.
        set_clock(stack, utc(2027, 3, 17, 19, 59, 58))
        async with scheduler(stack) as client:
            await until(lambda: len_rows(stack, 4), 20, "the occurrence's rows")
            rows = await rows_by_person(stack)
            # Published on time (not caught up), one row each, each waiting for its own 10:00.
            assert all(utc(2027, 3, 17, 20, 0) <= r.created_at < utc(2027, 3, 17, 20, 0, 30) for r in rows.values())
            calendar = (await client.get("/api/scheduler/reminders", headers=stack.headers["admin"])).json()
            drafting = next(k for k in calendar["kinds"] if k["kind"] == "drafting_open")
            # Published, yet still the next one: the org's 10:00 has not come.
            assert drafting["next"]["id"] == OCCURRENCE and drafting["next_run_at"] == "2027-03-18T10:00:00-07:00"
            listed = next(o for o in calendar["occurrences"] if o["id"] == OCCURRENCE)
            assert listed["published"]["trigger"] == "schedule"
            assert {who: (r.status, r.due_at) for who, r in rows.items()} == {
                who: ("scheduled", ten_local(who).astimezone(UTC)) for who in PEOPLE}
            assert ten_local("lead") == utc(2027, 3, 18, 1, 0) and ten_local("other") == utc(2027, 3, 18, 20, 0)
            assert posts_of(stack, list(rows.values())) == Counter()

            # 10:00 in Seoul (Wednesday 18:00 in Los Angeles): only the lead hears it.
            set_clock(stack, utc(2027, 3, 18, 1, 0))
            await until(lambda: sent(stack, "lead"), 10, "the lead's 10:00")
            rows = await rows_by_person(stack)
            assert {who for who, r in rows.items() if r.status == "sent"} == {"lead"}
            # 10:00 on Thursday in Los Angeles: the org's people; Honolulu still sleeps.
            set_clock(stack, utc(2027, 3, 18, 17, 0))
            await until(lambda: sent(stack, "member", "ceo"), 10, "Los Angeles' 10:00")
            rows = await rows_by_person(stack)
            assert rows["other"].status == "scheduled"
            # 10:00 in Honolulu.
            set_clock(stack, utc(2027, 3, 18, 20, 0))
            await until(lambda: sent(stack, "other"), 10, "Honolulu's 10:00")

        rows = await rows_by_person(stack)
        for who, row in rows.items():
            local = row.sent_at.astimezone(ZoneInfo(ZONES[who]))
            assert local.date() == DRAFTING_DAY and time(10, 0) <= local.time() < time(10, 1), (who, local)
        assert posts_of(stack, list(rows.values())) == Counter({SLACK_IDS[who]: 1 for who in PEOPLE})


async def test_caught_up_late_it_skips_people_whose_day_is_over_and_run_now_sends_at_once(
        make_settings: Callable[..., Any]) -> None:
    async with la_org(make_settings, "ntftzlate", seeded_at=utc(2027, 3, 18, 15, 0)) as stack:
        # No scheduler ran until Thursday 09:00 in Los Angeles: 01:00 on Friday in Seoul.
        set_clock(stack, utc(2027, 3, 18, 16, 0))
        async with scheduler(stack) as client:
            await until(lambda: len_rows(stack, 3), 20, "the caught-up occurrence's rows")
            rows = await rows_by_person(stack)
            # The lead's Thursday is over: not planned. The rest still wait for their 10:00.
            assert set(rows) == {"member", "ceo", "other"}
            assert {r.status for r in rows.values()} == {"scheduled"}

            # An admin fires it now: same occurrence, everyone's row is due at once (the lead's too).
            r = await client.post("/api/scheduler/reminders/drafting_open/run", headers=stack.headers["admin"])
            assert r.status_code == 202, r.text
            assert r.json()["occurrence"]["id"] == OCCURRENCE and r.json()["first_time"] is False
            await until(lambda: sent(stack, *PEOPLE), 10, "the run-now sends")
        rows = await rows_by_person(stack)
        assert all(r.sent_at < utc(2027, 3, 18, 16, 1) for r in rows.values())
        assert posts_of(stack, list(rows.values())) == Counter({SLACK_IDS[who]: 1 for who in PEOPLE})
