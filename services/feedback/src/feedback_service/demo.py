"""The demo company's conversation (BOOST_DEMO=1): feedback in the Hub and a few chat
messages on this quarter's OKRs, so that a first `make run` shows those pages in use.

okr loads the company (people, teams, OKRs); this waits until the read model has learned
them from okr's events, then writes, once, through the same service functions as the REST
API (so every entry is an event like any other). "Once" is: the Hub is still empty, checked
under the read model's state row, which serialises replicas starting together. Nothing
here happens where the demo's people or objectives are missing (a real company)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog

from .access import load_actor
from .hub import service as hub
from .models import Feedback, RmKeyResult, RmObjective, RmState, RmTeam, RmUser
from .readmodel import lookup
from .schemas import FeedbackCreate, Kind
from .threads import service as threads
from .threads.subjects import parse_subject

if TYPE_CHECKING:
    from boost_bus import Tx

    from .bootstrap import Container

log = structlog.get_logger()

WAIT = 120.0  # seconds to wait for okr's demo to reach the read model
POLL = 0.5

# Objectives of this quarter, by their team (okr's demo: one each).
# (hours ago, author, kind, about, body, resolved by): `about` is ("objective", team),
# ("key_result", key result title), ("user", email) or ("team", team name).
FEEDBACK: list[tuple[int, str, Kind, tuple[str, str], str, str | None]] = [
    (70, "ceo@boost.example", "praise", ("objective", "Product"),
     "Check-ins from Slack already past 40% — the reminder button works. Keep going!", None),
    (52, "daniel.kang@boost.example", "suggestion", ("key_result", "p95 dashboard latency"),
     "Most of the 130 ms is the alignment query. Could we cache the team cards per cycle?", None),
    (30, "yuna.han@boost.example", "question", ("user", "hyunwoo.lim@boost.example"),
     "Will the third realtime replica be up before the enterprise pilots start?", None),
    (26, "minjun.choi@boost.example", "suggestion", ("objective", "Sales"),
     "Bring an engineer to the pilot kick-offs: two of every three questions were technical.",
     "yuna.han@boost.example"),
    (12, "jiwoo.park@boost.example", "praise", ("user", "emma.lee@boost.example"),
     "The Slack check-in flow you built is lovely — people finish it in seconds. Thank you, Emma!", None),
    (8, "emma.lee@boost.example", "praise", ("team", "People"),
     "Onboarding buddies made my first month easy. Thank you!", None),
    (3, "jiwoo.park@boost.example", "question", ("key_result", "Engagement survey score"),
     "신수진님, 설문 결과는 언제 공유되나요? 팀 회고 전에 보고 싶어요.", None),
]
# (team whose objective it is, [(hours ago, author, body)])
CHATS: list[tuple[str, list[tuple[int, str, str]]]] = [
    ("Product", [
        (50, "jiwoo.park@boost.example", "Check-ins from Slack jumped after the reminder button shipped!"),
        (49, "emma.lee@boost.example", "Median check-in time is about 80 s; the mobile check-in should get us under a minute."),
        (27, "ceo@boost.example", "Great progress. What is blocking the Beta milestone?"),
        (26, "jiwoo.park@boost.example", "디자인 리뷰가 목요일이에요. 베타는 그다음 주에 나갑니다."),
    ]),
    ("Engineering", [
        (20, "minjun.choi@boost.example", "Dashboard p95 is at 130 ms. The cache lands next sprint."),
        (19, "seoyeon.jung@boost.example", "CI is at 14 minutes; splitting the browser tests should halve it."),
    ]),
]


async def load_when_ready(c: Container) -> None:
    """Wait for the read model to hold okr's demo, then write the conversation once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while loop.time() < deadline:
        if await c.read_model.ready():
            try:
                async with c.runtime.outbox.transaction() as tx:
                    outcome = await _load(tx, c)
            except Exception as exc:  # a replica racing us, okr still writing: try again
                log.info("demo feedback not written yet", error=repr(exc))
                outcome = "waiting"
            if outcome != "waiting":
                log.info("demo feedback", outcome=outcome)
                return
        await asyncio.sleep(POLL)
    log.info("demo feedback skipped: okr's demo company never reached the read model")


async def _load(tx: Tx, c: Container) -> str:
    session = tx.session
    if await session.get(RmState, 1, with_for_update=True) is None:
        return "waiting"
    if (await session.execute(sa.select(Feedback.id).limit(1))).first() is not None:
        return "already there"
    now, timezone = c.runtime.clock.now(), c.settings.timezone
    cycle = (await lookup.cycle_of(session, now, None, timezone)).id
    emails = {e for _, e, *_ in FEEDBACK} | {e for _, lines in CHATS for _, e, _ in lines} \
        | {who for *_, who in FEEDBACK if who} | {a[1] for *_, a, _, _ in FEEDBACK if a[0] == "user"}
    people = {u.email: u.id for u in (await session.execute(sa.select(RmUser).where(RmUser.email.in_(emails)))).scalars()}
    teams = {t.name: t.id for t in (await session.execute(sa.select(RmTeam).where(~RmTeam.deleted))).scalars()}
    objectives = {o.team_id: o.id for o in (await session.execute(sa.select(RmObjective).where(
        RmObjective.cycle == cycle, ~RmObjective.deleted))).scalars()}
    key_results = {k.title: k.id for k in (await session.execute(sa.select(RmKeyResult).where(
        RmKeyResult.objective_id.in_(objectives.values()), ~RmKeyResult.deleted))).scalars()} if objectives else {}
    objective_of = {name: objectives.get(tid) for name, tid in teams.items()}
    about_ids: dict[str, dict[str, int | None]] = {"objective": dict(objective_of), "key_result": dict(key_results),
                                                   "user": dict(people), "team": dict(teams)}
    wanted_teams = {a[1] for *_, a, _, _ in FEEDBACK if a[0] == "objective"} | {t for t, _ in CHATS}
    if emails - set(people) or any(objective_of.get(t) is None for t in wanted_teams) \
            or any(about_ids[kind].get(name) is None for *_, (kind, name), _, _ in FEEDBACK):
        return "waiting"

    for hours, author, kind, (about, name), body, resolver in FEEDBACK:
        at = now - timedelta(hours=hours)
        target: dict[str, Any] = {f"{'to_' if about in ('user', 'team') else ''}{about}_id": about_ids[about][name]}
        fb = await hub.create(tx, await load_actor(session, people[author]), at,
                              FeedbackCreate(kind=kind, body=body, **target), timezone)
        if resolver:
            await hub.update(tx, await load_actor(session, people[resolver]), at + timedelta(hours=2), fb.id,
                             {"resolved": True})
    for team, lines in CHATS:
        subject = parse_subject(f"objective:{objective_of[team]}")
        for hours, author, body in lines:
            await threads.post(tx, await load_actor(session, people[author]), now - timedelta(hours=hours), subject, body)
    return "written"
