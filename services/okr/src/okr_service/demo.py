"""The demo company (BOOST_DEMO=1, loaded once): a few teams, a dozen people with
Korean and English names, this quarter's approved OKRs with weekly check-ins since the
quarter began (up to ten weeks), and next quarter's drafts at different statuses."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from boost_bus import Tx

from .access import Actor, load_actor
from .check_ins import service as check_ins
from .closing import service as closing
from .directory import service as directory
from .models import KeyResult, Org, Team, User
from .objectives import service as okrs
from .objectives import store
from .org.service import calendar

if TYPE_CHECKING:
    from .bootstrap import Container

PEOPLE = [
    # email, name, team, team role
    ("ceo@boost.example", "김하늘 (Haneul Kim)", "Company", "lead"),
    ("jiwoo.park@boost.example", "박지우", "Product", "lead"),
    ("emma.lee@boost.example", "Emma Lee", "Product", "member"),
    ("minjun.choi@boost.example", "최민준", "Engineering", "lead"),
    ("seoyeon.jung@boost.example", "정서연", "Engineering", "member"),
    ("daniel.kang@boost.example", "Daniel Kang", "Engineering", "member"),
    ("sophia.yoon@boost.example", "Sophia Yoon", "Platform", "lead"),
    ("hyunwoo.lim@boost.example", "임현우", "Platform", "member"),
    ("yuna.han@boost.example", "한유나", "Sales", "lead"),
    ("james.oh@boost.example", "James Oh", "Sales", "member"),
    ("soojin.shin@boost.example", "신수진", "People", "lead"),
    ("liam.song@boost.example", "Liam Song", "People", "member"),
]
TEAMS = [("Product", "Company"), ("Engineering", "Company"), ("Platform", "Engineering"), ("Sales", "Company"),
         ("People", "Company")]

# team → [(objective, [(kr title, kind, start, target, unit, weight)])]
KrSpec = tuple[str, str, float, float, str, int]
CURRENT: dict[str, list[tuple[str, list[KrSpec]]]] = {
    "Company": [("Become the OKR tool teams in Korea love", [
        ("Weekly active teams", "number", 40, 120, "teams", 2), ("NPS", "number", 30, 50, "", 1),
        ("Quarterly revenue", "number", 1.2, 2.0, "억원", 2)])],
    "Product": [("Make check-ins take under a minute", [
        ("Median check-in time", "number", 180, 45, "s", 1), ("Check-ins from Slack", "percent", 10, 60, "%", 1),
        ("Ship the mobile check-in", "milestone", 0, 0, "", 1)])],
    "Engineering": [("A fast, boringly reliable Boost", [
        ("p95 dashboard latency", "number", 240, 50, "ms", 1), ("Incidents per month", "number", 6, 1, "", 1),
        ("Move CI under ten minutes", "boolean", 0, 1, "", 1)])],
    "Platform": [("Scale realtime past one machine", [
        ("Concurrent editors per room", "number", 20, 200, "", 1), ("Realtime replicas in production", "number", 1, 3, "", 1)])],
    "Sales": [("Win our first enterprise customers", [
        ("Signed enterprise contracts", "number", 0, 5, "", 2), ("Pipeline", "number", 3, 12, "억원", 1),
        ("Pilot-to-paid conversion", "percent", 20, 50, "%", 1)])],
    "People": [("Grow a team that grows itself", [
        ("Engagement survey score", "number", 3.6, 4.2, "/5", 1), ("Hires closed", "number", 0, 8, "", 1)])],
}
WHY = {  # each current objective's description: why it matters
    "Company": "Teams that plan together ship what matters. Win Korea first, then grow from there.",
    "Product": "A check-in that takes a minute gets done every week; one that takes five gets skipped.",
    "Engineering": "People open Boost for thirty seconds a week: every one of those seconds has to feel instant.",
    "Platform": "Drafting week puts a whole company in the same rooms at once; one process cannot carry it.",
    "Sales": "Three enterprise logos make every later conversation easier.",
    "People": "We are doubling this year: the team has to be one that new people want to join.",
}
# team → (next quarter's objective, its status, its KRs: (title, kind, start, target, unit))
NEXT: dict[str, tuple[str, str, list[tuple[str, str, float, float, str]]]] = {
    "Company": ("Make Boost the default for Korean startups", "submitted", [
        ("Startups using Boost every week", "number", 120, 300, "teams"), ("Trial-to-paid conversion", "percent", 8, 15, "%")]),
    "Product": ("Plan the quarter together, live", "approved", [
        ("Teams that draft their OKRs together, live", "percent", 20, 70, "%"),
        ("Days from first draft to approval", "number", 10, 3, "days")]),
    "Engineering": ("Zero-downtime upgrades", "draft", [
        ("Deploys with user-visible downtime", "number", 6, 0, ""), ("Rolling upgrades tested in CI", "boolean", 0, 1, "")]),
    "Sales": ("Open the Japanese market", "changes_requested", [
        ("Japanese pilots signed", "number", 0, 3, ""), ("Japanese sales deck and demo", "boolean", 0, 1, "")]),
    "People": ("Onboarding that takes one week", "draft", [
        ("Days to a new hire's first shipped change", "number", 21, 7, "days"),
        ("New hires rating onboarding 4+/5", "percent", 50, 90, "%")]),
}
# The two quarters before this one, closed: what calibration, the team-by-quarter view and
# the history charts stand on. The older quarter's unfinished objectives were carried over
# into the next one, their key results starting where they ended.
PAST: dict[str, tuple[str, list[KrSpec]]] = {
    "Company": ("Find the teams that need us", [
        ("Teams in the private beta", "number", 0, 40, "teams", 2), ("Beta teams checking in weekly", "percent", 10, 60, "%", 1)]),
    "Product": ("A check-in people do not dread", [
        ("Check-ins done on time", "percent", 30, 80, "%", 1), ("Support tickets about check-ins", "number", 40, 10, "", 1)]),
    "Engineering": ("Ship without fear", [
        ("Test coverage of okr", "percent", 40, 80, "%", 1), ("Rollbacks per month", "number", 5, 1, "", 1)]),
    "Platform": ("One command to run everything", [
        ("Minutes from clone to running", "number", 45, 5, "min", 1), ("Services with readiness checks", "number", 1, 6, "", 1)]),
    "Sales": ("Learn what enterprises buy", [
        ("Discovery calls held", "number", 0, 30, "", 1), ("Qualified opportunities", "number", 0, 8, "", 2)]),
    "People": ("Hire the first twenty", [
        ("Hires closed", "number", 0, 10, "", 2), ("Offer acceptance rate", "percent", 50, 85, "%", 1)]),
}
# How each person's confidence leans (calibration has something to teach).
LEAN = {"jiwoo.park@boost.example": 2, "minjun.choi@boost.example": -1, "yuna.han@boost.example": 3,
        "emma.lee@boost.example": 1, "daniel.kang@boost.example": -2}

# A week's note, by how far the KR moved that week (share of the way from start to target).
NOTES = {"first": ["Baseline measured.", ""],
         "slow": ["Slower than hoped; blocked on review.", "Two people out sick this week.", ""],
         "steady": ["Good week — the new flow landed.", "On track after the fix.", "", ""],
         "jump": ["Big jump after the launch.", "Customer feedback is encouraging."]}


async def load_demo(tx: Tx, c: Container) -> None:
    session = tx.session
    rng = random.Random(20270101)
    org = await session.get(Org, 1)
    if org is not None:
        org.name = "Haneul Labs"
    admin_email = c.settings.admin_email_list[0] if c.settings.admin_email_list else None
    admin = (await session.execute(sa.select(User).where(User.email == admin_email))).scalar_one_or_none()
    system = Actor(user_id=admin.id if admin else None, role="admin")
    teams, lead_of, members_of = await _directory(tx, system, admin)
    cal = await calendar(session, c.runtime.clock)
    await _past_quarters(tx, cal, system, teams, lead_of, members_of, rng)
    await _current_quarter(tx, c, cal, system, teams, lead_of, members_of, rng)
    await _progress_history(tx, cal, teams["Company"].id, cal.current(), cal.today)
    await _next_quarter(tx, cal, system, teams, lead_of)


async def _directory(tx: Tx, system: Actor, admin: User | None) -> tuple[dict[str, Team], dict[str, User],
                                                                         dict[str, list[User]]]:
    """The teams and people: each team by name, its lead, its members."""
    root = await directory.root_team(tx.session)
    root.name = "Haneul Labs"
    teams: dict[str, Team] = {"Company": root}
    for name, parent in TEAMS:
        teams[name] = await directory.create_team(tx, system, {"name": name, "parent_id": teams[parent].id})
    people: dict[str, User] = {}
    for email, name, team, role in PEOPLE:
        user = await directory.create_user(tx, system, {"email": email, "name": name,
                                                        "locale": "en" if name.isascii() else "ko"})
        people[email] = user
        await directory.put_member(tx, system, teams[team].id, user.id, role)
    if admin is not None:
        await directory.put_member(tx, system, root.id, admin.id, "member")
    lead_of = {team: next(u for e, _, t, r in PEOPLE if t == team and r == "lead" for u in [people[e]]) for team in teams}
    members_of = {team: [people[e] for e, _, t, _ in PEOPLE if t == team] for team in teams}
    return teams, lead_of, members_of


async def _current_quarter(tx: Tx, c: Container, cal: Any, system: Actor, teams: dict[str, Team],
                           lead_of: dict[str, User], members_of: dict[str, list[User]], rng: random.Random) -> None:
    """This quarter's objectives, approved before it began (the teams' under the company's),
    with weekly check-ins up to today."""
    current = cal.current()
    company_objective: int | None = None
    for team_name, objectives in CURRENT.items():
        for title, krs in objectives:
            body: dict[str, Any] = {
                "cycle": current.id, "team_id": teams[team_name].id, "owner_id": lead_of[team_name].id,
                "title": title, "parent_id": company_objective if team_name != "Company" else None,
                "description": WHY[team_name], "key_results": _current_krs(krs, members_of[team_name])}
            obj = await okrs.create_objective(tx, system, replace(cal, now=_at(current.start - timedelta(days=10))), body)
            if team_name == "Company":
                company_objective = obj.id
            obj.status = "approved"
            obj.review_by, obj.review_at = system.user_id, _at(current.start - timedelta(days=2))
            await _history_of_check_ins(tx, c, obj.id, cal, rng, members_of[team_name])


def _current_krs(krs: list[Any], members: list[User]) -> list[dict[str, Any]]:
    """An objective's key results, owned by the team's members in turn."""
    out: list[dict[str, Any]] = []
    for n, (kr_title, kind, start, target, unit, weight) in enumerate(krs):
        kr_body: dict[str, Any] = {"title": kr_title, "kind": kind, "start": start, "target": target, "unit": unit,
                                   "weight": weight, "owner_id": members[n % len(members)].id}
        if kind == "milestone":
            kr_body["items"] = [{"title": t} for t in ("Design", "Prototype", "Beta", "Launch")]
        out.append(kr_body)
    return out


async def _next_quarter(tx: Tx, cal: Any, system: Actor, teams: dict[str, Team], lead_of: dict[str, User]) -> None:
    """Next quarter's drafts, some submitted, approved or sent back."""
    nxt = cal.next()
    for team_name, (title, status, krs_next) in NEXT.items():
        owner = lead_of[team_name]
        body = {"cycle": nxt.id, "team_id": teams[team_name].id, "owner_id": owner.id, "title": title,
                "description": "", "key_results": [
                    {"title": kr_title, "kind": kind, "start": start, "target": target, "unit": unit}
                    for kr_title, kind, start, target, unit in krs_next]}
        obj = await okrs.create_objective(tx, system, cal, body)
        if status != "draft":
            obj.status = status
            if status in ("approved", "changes_requested"):
                obj.review_by, obj.review_at = system.user_id, cal.now
                obj.review_comment = "Let's narrow this to one country first." if status == "changes_requested" else None


def _at(day: Any, hour: int = 1) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


async def _history_of_check_ins(tx: Tx, c: Container, objective_id: int, cal: Any, rng: random.Random,
                                members: list[User]) -> None:
    """Weekly check-ins from the quarter's start (at most ten weeks back) up to today."""
    start = max(cal.current().start, cal.today - timedelta(weeks=10))
    weeks = max(0, (cal.today - start).days // 7)
    krs = (await tx.session.execute(sa.select(KeyResult).where(KeyResult.objective_id == objective_id))).scalars().all()
    for kr in krs:
        owner = await load_actor(tx.session, kr.owner_id)
        pace = rng.uniform(0.55, 1.15)
        skip_tail = rng.random() < 0.2  # some KRs go quiet: they show as stale
        last: float | None = None
        for week in range(weeks + 1):
            if skip_tail and week > weeks - 3:
                break
            when = replace(cal, now=_at(start + timedelta(days=7 * week), hour=rng.randint(0, 9)))
            share = min(1.0, pace * (week + 1) / 13)
            confidence = max(0, min(10, round(5 + (pace - 0.8) * 10 + rng.uniform(-1.5, 1.5))))
            if kr.kind == "milestone":
                await _tick_milestone(tx, owner, when, kr, share, confidence)
                continue
            if kr.kind == "boolean":
                value = 1.0 if share > 0.9 else 0.0
            else:
                value = round(kr.start + (kr.target - kr.start) * share * rng.uniform(0.85, 1.05), 2)
            mood = _mood(kr, last, value)
            last = value
            await check_ins.check_in(tx, owner, when, kr.id, value=value, confidence=confidence,
                                note=rng.choice(NOTES[mood]))


async def _tick_milestone(tx: Tx, owner: Actor, when: Any, kr: KeyResult, share: float, confidence: int) -> None:
    """A milestone KR's week: the next item done, when the share of the way calls for one."""
    items = (await store.items_of(tx.session, [kr.id])).get(kr.id, [])
    due = int(share * len(items))
    pending = [i for i in items if not i.done][: max(0, due - sum(1 for i in items if i.done))]
    if pending:
        await check_ins.check_in(tx, owner, when, kr.id, value=None, confidence=confidence, note="",
                                 item_id=pending[0].id, done=True)


def _mood(kr: KeyResult, last: float | None, value: float) -> str:
    """Which kind of note a week gets, by how far the KR moved (share of start to target)."""
    moved = None if last is None or kr.target == kr.start else (value - last) / (kr.target - kr.start)
    return "first" if moved is None else "slow" if moved < 0.03 else "jump" if moved > 0.12 else "steady"


async def _progress_history(tx: Tx, cal: Any, root_id: int, cycle: Any, until: Any) -> None:
    """Daily points of the progress-over-time chart for the weeks the demo made up, as
    okr would have recorded them had it been running (dashboard snapshots), up to the day
    before `until`."""
    from .domain.progress import kr_progress, mean, weighted_progress
    from .models import CheckIn, KeyResult, Objective, ProgressSnapshot

    objectives = (await tx.session.execute(sa.select(Objective).where(Objective.cycle == cycle.id))).scalars().all()
    krs = (await tx.session.execute(sa.select(KeyResult).where(
        KeyResult.objective_id.in_([o.id for o in objectives])))).scalars().all()
    check_ins = (await tx.session.execute(sa.select(CheckIn).where(
        CheckIn.key_result_id.in_([k.id for k in krs])).order_by(CheckIn.created_at))).scalars().all()
    day = cycle.start
    while day < until:
        end_of_day = _at(day + timedelta(days=1), hour=0)
        value = {k.id: (0.0 if k.kind == "milestone" else k.start) for k in krs}
        for ci in check_ins:
            if ci.created_at < end_of_day:
                value[ci.key_result_id] = ci.value
        by_team: dict[int, list[float]] = {}
        for o in objectives:
            parts = [(kr_progress(k.kind, k.start, k.target, value[k.id], int(value[k.id]), int(k.target)), k.weight)
                     for k in krs if k.objective_id == o.id]
            by_team.setdefault(o.team_id, []).append(weighted_progress(parts))
        company = mean(by_team.get(root_id) or [mean(v) for v in by_team.values()])
        expected = cycle.expected_progress(day)
        tx.session.add(ProgressSnapshot(cycle=cycle.id, team_id=0, day=day, progress=company, expected=expected))
        for team_id, values in by_team.items():
            tx.session.add(ProgressSnapshot(cycle=cycle.id, team_id=team_id, day=day, progress=mean(values),
                                            expected=expected))
        day += timedelta(days=1)


async def _past_quarters(tx: Tx, cal: Any, system: Actor, teams: dict[str, Team], lead_of: dict[str, User],
                         members_of: dict[str, list[User]], rng: random.Random) -> None:
    """The two quarters before this one, each with weekly check-ins through the quarter,
    closed with their scores; the older one's unfinished objectives carried over."""
    older = cal.current().previous().previous()
    carried: dict[str, int] = {}
    for cycle in (older, older.next()):
        at_start = replace(cal, now=_at(cycle.start - timedelta(days=10)))
        for team_name, (title, krs) in PAST.items():
            if team_name in carried:
                obj = await store.get_objective(tx.session, carried[team_name])
            else:
                members = members_of[team_name]
                obj = await okrs.create_objective(tx, system, at_start, {
                    "cycle": cycle.id, "team_id": teams[team_name].id, "owner_id": lead_of[team_name].id, "title": title,
                    "description": "", "key_results": [
                        {"title": t, "kind": kind, "start": start, "target": target, "unit": unit, "weight": weight,
                         "owner_id": members[n % len(members)].id}
                        for n, (t, kind, start, target, unit, weight) in enumerate(krs)]})
            obj.status = "approved"
            obj.review_by, obj.review_at = system.user_id, _at(cycle.start - timedelta(days=2))
            await _quarter_of_check_ins(tx, cal, cycle, obj.id, rng)
            end = replace(cal, now=_at(cycle.end + timedelta(days=3)))
            await closing.close(tx, system, end, obj.id, None, "Closed at the retro.")
            if cycle == older and (await store.objective_view(tx.session, end, obj))["progress"] < 0.9:
                new = await closing.carry_over(tx, system, end, obj.id)
                carried[team_name] = new.id
        root = teams["Company"].id
        await _progress_history(tx, cal, root, cycle, cycle.end + timedelta(days=1))


async def _quarter_of_check_ins(tx: Tx, cal: Any, cycle: Any, objective_id: int, rng: random.Random) -> None:
    """A check-in a week through a whole quarter; confidence leans as its owner's does."""
    krs = (await tx.session.execute(sa.select(KeyResult).where(
        KeyResult.objective_id == objective_id, KeyResult.deleted_at.is_(None)))).scalars().all()
    for kr in krs:
        owner = await load_actor(tx.session, kr.owner_id)
        email = (await tx.session.get(User, kr.owner_id)).email  # type: ignore[union-attr]
        pace = rng.uniform(0.45, 1.1)
        start_value = kr.current
        for week in range(13):
            when = replace(cal, now=_at(cycle.start + timedelta(days=7 * week + 1), hour=rng.randint(0, 9)))
            share = min(1.0, pace * (week + 1) / 13)
            confidence = max(0, min(10, round(4 + (pace - 0.7) * 10 + LEAN.get(email, 0) + rng.uniform(-1, 1))))
            if kr.kind == "boolean":
                value = 1.0 if share > 0.9 else 0.0
            else:
                value = round(start_value + (kr.target - start_value) * share * rng.uniform(0.9, 1.05), 2)
            await check_ins.check_in(tx, owner, when, kr.id, value=value, confidence=confidence, note="")
