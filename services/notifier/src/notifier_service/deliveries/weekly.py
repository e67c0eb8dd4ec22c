"""What a team's week says, for the digest's sentences (§9 "Summaries"): gathered from okr's
dashboard (stale key results, `likely_to_miss` with okr's forecast) and from our own activity
log (each check-in's value and confidence, each feedback's kind and whether it was answered)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..messages.summary import (
    CONFIDENCE_DROP,
    STALLED_DAYS,
    ConfidenceDrop,
    LikelyToMiss,
    Mover,
    Stalled,
    WeekFacts,
)
from ..models import Activity
from ..okr import Okr

# Feedback that asks for an answer (praise and retro notes do not).
ANSWERABLE = ("question", "suggestion")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def stalled(dash: dict[str, Any], now: datetime) -> list[Stalled]:
    """Key results whose last check-in is 14 days old or more, the oldest first."""
    out = []
    for kr in dash.get("stale", []):
        last = _when(kr.get("last_check_in_at"))
        if last is not None and now - last >= timedelta(days=STALLED_DAYS):
            out.append(Stalled(title=kr.get("title") or "", days=(now - last).days))
    return sorted(out, key=lambda s: -s.days)


def likely_to_miss(dash: dict[str, Any]) -> list[LikelyToMiss]:
    """okr's list (forecast progress below 0.7), worst first, as okr ordered it."""
    out = []
    for kr in dash.get("likely_to_miss", []):
        progress = (kr.get("forecast") or {}).get("progress")
        if isinstance(progress, int | float):
            out.append(LikelyToMiss(title=kr.get("title") or "", progress=float(progress)))
    return out


def progress_of(value: float, kr: dict[str, Any]) -> float | None:
    """A value's progress on a key result (number and percent KRs: linear from start to target;
    yes/no: done or not); None for milestones, whose progress is their items'."""
    kind = kr.get("kind") or "number"
    if kind == "boolean":
        return 1.0 if value >= 1 else 0.0
    if kind == "milestone":
        return None
    start, target = float(kr.get("start") or 0.0), float(kr.get("target") or 0.0)
    if target == start:
        return 1.0 if value >= target else 0.0
    return max(0.0, min(1.0, (value - start) / (target - start)))


def drops(history: Mapping[int, Sequence[Any]], since: datetime, krs: dict[int, dict[str, Any]]) -> list[ConfidenceDrop]:
    """Confidence that fell by 2 or more this week: the last confidence before the week (else
    the week's first) against the week's last. Largest drop first."""
    out = []
    for kr_id, rows in history.items():
        said = [(r.at, r.confidence) for r in rows if r.confidence is not None]
        before = [c for at, c in said if at < since]
        during = [c for at, c in said if at >= since]
        if not during or kr_id not in krs:
            continue
        baseline = before[-1] if before else during[0]
        if baseline - during[-1] >= CONFIDENCE_DROP:
            out.append(ConfidenceDrop(title=krs[kr_id].get("title") or "", before=baseline, after=during[-1]))
    return sorted(out, key=lambda d: d.after - d.before)


def mover(history: Mapping[int, Sequence[Any]], since: datetime, krs: dict[int, dict[str, Any]],
          names: dict[int, str]) -> Mover | None:
    """The key result whose progress rose most this week (from its value before the week, else
    its start, to its latest)."""
    best: Mover | None = None
    for kr_id, rows in history.items():
        kr = krs.get(kr_id)
        if kr is None:
            continue
        rise = _rise(rows, since, kr)
        if rise is None:
            continue
        before, after = rise
        if best is None or after - before > best.after - best.before:
            best = Mover(title=kr.get("title") or "", owner=names.get(int(kr.get("owner_id") or 0), ""),
                         before=before, after=after)
    return best


def _rise(rows: Sequence[Any], since: datetime, kr: dict[str, Any]) -> tuple[float, float] | None:
    """A key result's progress before the week and at its latest, when it rose this week."""
    values = [(r.at, r.value) for r in rows if r.value is not None]
    during = [v for at, v in values if at >= since]
    if not during:
        return None
    earlier = [v for at, v in values if at < since]
    start = earlier[-1] if earlier else float(kr.get("start") or 0.0)
    before, after = progress_of(start, kr), progress_of(during[-1], kr)
    if before is None or after is None or after - before <= 0:
        return None
    return before, after


async def check_in_history(session: AsyncSession, team_id: int, since: datetime,
                           until: datetime) -> dict[int, list[Any]]:
    """Every check-in (oldest first) of the team's key results that had one this week."""
    a = Activity.__table__
    live = (a.c.kind == "check_in", a.c.team_id == team_id, a.c.deleted.is_(False), a.c.key_result_id.is_not(None))
    moved = sa.select(a.c.key_result_id).where(*live, a.c.at >= since, a.c.at < until).distinct()
    rows = (await session.execute(sa.select(a.c.key_result_id, a.c.at, a.c.value, a.c.confidence)
                                  .where(*live, a.c.at < until, a.c.key_result_id.in_(moved))
                                  .order_by(a.c.key_result_id, a.c.at, a.c.id))).all()
    history: dict[int, list[Any]] = {}
    for r in rows:
        history.setdefault(int(r.key_result_id), []).append(r)
    return history


async def waiting_feedback(session: AsyncSession, team_id: int, until: datetime) -> int:
    """Questions and suggestions to the team not yet resolved."""
    a = Activity.__table__
    return int((await session.execute(sa.select(sa.func.count()).select_from(a).where(
        a.c.kind == "feedback", a.c.team_id == team_id, a.c.deleted.is_(False), a.c.resolved.is_(False),
        a.c.detail.in_(ANSWERABLE), a.c.at < until))).scalar_one())


async def week_facts(session: AsyncSession, okr: Okr, team_id: int, dash: dict[str, Any], cycle: str,
                     since: datetime, until: datetime) -> WeekFacts:
    """All five rules' facts for one team's week ending at `until`."""
    history = await check_in_history(session, team_id, since, until)
    krs = await okr.key_results_by_id(sorted(history), cycle) if history else {}
    names: dict[int, str] = {}
    for owner_id in {int(kr.get("owner_id") or 0) for kr in krs.values()} - {0}:
        names[owner_id] = ((await okr.user(owner_id)) or {}).get("name", "")
    return WeekFacts(stalled=stalled(dash, until), drops=drops(history, since, krs),
                     likely_to_miss=likely_to_miss(dash), mover=mover(history, since, krs, names),
                     waiting_feedback=await waiting_feedback(session, team_id, until))


async def team_locale(okr: Okr, team: dict[str, Any], default: str) -> str:
    """The team's language: its leads' (the most common among them), else the org's."""
    leads = [m["user_id"] for m in team.get("members", []) if m.get("role") == "lead"]
    votes: dict[str, int] = {}
    for uid in leads:
        user = await okr.user(uid)
        if user is not None and user.get("locale") in ("ko", "en"):
            votes[user["locale"]] = votes.get(user["locale"], 0) + 1
    return max(sorted(votes), key=lambda k: votes[k]) if votes else default
