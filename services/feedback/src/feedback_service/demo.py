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
    from sqlalchemy.ext.asyncio import AsyncSession

    from .bootstrap import Container

log = structlog.get_logger()

DEMO_DOMAIN = "boost.example"  # okr's demo people (okr_service.demo.PEOPLE)
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


class _NotYet(Exception):
    """Someone or something the demo names has not reached the read model yet."""


def _id(ids: dict[str, int], name: str) -> int:
    if name not in ids:
        raise _NotYet(name)
    return ids[name]


async def _ids(session: AsyncSession, cycle: str) -> dict[str, dict[str, int]]:
    """The read model's names → ids: the demo's people (by email), teams, this quarter's
    objectives (by team name, one each) and their key results (by title)."""
    people = {u.email: u.id for u in (await session.execute(
        sa.select(RmUser).where(RmUser.email.like(f"%@{DEMO_DOMAIN}")))).scalars()}
    teams = {t.name: t.id for t in (await session.execute(sa.select(RmTeam).where(~RmTeam.deleted))).scalars()}
    by_team = {o.team_id: o.id for o in (await session.execute(sa.select(RmObjective).where(
        RmObjective.cycle == cycle, ~RmObjective.deleted))).scalars()}
    objectives = {name: by_team[tid] for name, tid in teams.items() if tid in by_team}
    key_results = {k.title: k.id for k in (await session.execute(sa.select(RmKeyResult).where(
        RmKeyResult.objective_id.in_(by_team.values()), ~RmKeyResult.deleted))).scalars()} if by_team else {}
    return {"objective": objectives, "key_result": key_results, "user": people, "team": teams}


_FIELD = {"objective": "objective_id", "key_result": "key_result_id", "user": "to_user_id", "team": "to_team_id"}


def _resolve(ids: dict[str, dict[str, int]]) -> tuple[list[Any], list[Any]]:
    """The demo's feedback and chats with ids for names (`_NotYet` while okr's events are
    still arriving)."""
    people, objectives = ids["user"], ids["objective"]
    feedback = [(hours, _id(people, author), FeedbackCreate.model_validate(
                     {"kind": kind, "body": body, _FIELD[about]: _id(ids[about], name)}),
                 _id(people, resolver) if resolver else None)
                for hours, author, kind, (about, name), body, resolver in FEEDBACK]
    chats = [(parse_subject(f"objective:{_id(objectives, team)}"), [(hours, _id(people, author), body)
                                                                    for hours, author, body in lines])
             for team, lines in CHATS]
    return feedback, chats


async def _load(tx: Tx, c: Container) -> str:
    session = tx.session
    if await session.get(RmState, 1, with_for_update=True) is None:
        return "waiting"
    if (await session.execute(sa.select(Feedback.id).limit(1))).first() is not None:
        return "already there"
    now, timezone = c.runtime.clock.now(), c.settings.timezone
    cycle = (await lookup.cycle_of(session, now, None, timezone)).id
    try:  # everything resolved before anything is written
        feedback, chats = _resolve(await _ids(session, cycle))
    except _NotYet:
        return "waiting"

    for hours, author_id, body_in, resolver_id in feedback:
        at = now - timedelta(hours=hours)
        fb = await hub.create(tx, await load_actor(session, author_id), at, body_in, timezone)
        if resolver_id is not None:
            await hub.update(tx, await load_actor(session, resolver_id), at + timedelta(hours=2), fb.id,
                             {"resolved": True})
    for subject, messages in chats:
        for hours, author_id, text in messages:
            await threads.post(tx, author_id, now - timedelta(hours=hours), subject, text)
    return "written"
