"""The dashboard, the CSV export and search.

The dashboard reads only the columns it needs (Core, not ORM) and computes in one
pass. Results are cached per (cycle, team, today) and keyed by the cycle's revision,
which every write bumps in its own transaction, so a cached answer is never stale."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from boost_platform.db import upsert
from boost_platform.problems import not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..calendar import Calendar
from ..domain.progress import (
    BEHIND_MARGIN,
    HEALTH_ORDER,
    STALE_DAYS,
    Moment,
    health,
    kr_progress,
    mean,
    weighted_progress,
    worst_health,
)
from ..models import CycleRevision, KeyResult, MilestoneItem, Objective, ProgressSnapshot, Team, User

LIST_LIMIT = 50
SNAPSHOT_EVERY = 60.0


@dataclass(slots=True)
class ObjRow:
    id: int
    team_id: int
    title: str
    status: str
    parent_id: int | None
    owner_id: int
    position: int


@dataclass(slots=True)
class KrRow:
    id: int
    objective_id: int
    title: str
    owner_id: int
    kind: str
    start: float
    target: float
    current: float
    unit: str
    weight: float
    confidence: int | None
    last_check_in_at: datetime | None
    progress: float = 0.0
    health: str = "unknown"


@dataclass
class CycleModel:
    """A cycle's objectives and key results in memory, kept current by deltas: every
    write stamps its rows with the cycle revision it bumped, so a refresh reads only
    the rows changed since the revision this model has seen."""

    cycle: str
    rev: int = -1
    objectives: dict[int, ObjRow] = field(default_factory=dict)
    krs: dict[int, dict[int, KrRow]] = field(default_factory=lambda: defaultdict(dict))  # by objective
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Per objective, what the dashboard derives from it, valid for one org-local day
    # (behind and stale move with the date); a refresh drops the ones it touched.
    summaries: dict[int, ObjSummary] = field(default_factory=dict)
    summary_day: date | None = None


@dataclass(slots=True)
class ObjSummary:
    entry: dict[str, Any]
    brief: dict[str, Any]
    at_risk: list[KrRow]
    behind: list[KrRow]
    stale: list[KrRow]
    flags: dict[int, tuple[bool, bool]]


class DashboardCache:
    """Per process: one CycleModel per cycle, the teams, and the last answers."""

    def __init__(self) -> None:
        self.models: dict[str, CycleModel] = {}
        self.answers: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.teams: tuple[int, dict[int, dict[str, Any]]] = (-1, {})
        self.snapshots: dict[tuple[Any, ...], float] = {}

    def model(self, cycle: str) -> CycleModel:
        if cycle not in self.models:
            self.models[cycle] = CycleModel(cycle)
        return self.models[cycle]

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        return self.answers.get(key)

    def put(self, key: tuple[Any, ...], value: dict[str, Any]) -> None:
        if len(self.answers) > 256:
            self.answers.clear()
        self.answers[key] = value


async def revisions(session: AsyncSession, cycle: str) -> tuple[int, int]:
    rows = dict((await session.execute(
        sa.select(CycleRevision.cycle, CycleRevision.revision).where(CycleRevision.cycle.in_([cycle, "*"]))
    )).all())
    return int(rows.get(cycle, 0)), int(rows.get("*", 0))


def _descendants(teams: dict[int, dict[str, Any]], team_id: int) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for t in teams.values():
        children[t["parent_id"]].append(t["id"])
    out, stack = set(), [team_id]
    while stack:
        tid = stack.pop()
        if tid in out:
            continue
        out.add(tid)
        stack.extend(children.get(tid, []))
    return out


async def dashboard(session: AsyncSession, cal: Calendar, cache: DashboardCache, cycle_id: str | None,
                    team_id: int | None) -> dict[str, Any]:
    cycle = cal.resolve(cycle_id)
    rev, star = await revisions(session, cycle.id)
    key = (cycle.id, team_id, rev, star, cal.today)
    cached = cache.get(key)
    if cached is not None:
        return cached
    model = cache.model(cycle.id)
    async with model.lock:
        if model.rev < rev:
            await refresh(session, model, rev)
    if cache.teams[0] != star:
        rows = (await session.execute(sa.select(Team.id, Team.name, Team.parent_id))).all()
        cache.teams = (star, {t.id: {"id": t.id, "name": t.name, "parent_id": t.parent_id} for t in rows})
    if team_id is not None and team_id not in cache.teams[1]:
        raise not_found(f"Team {team_id}")
    result = await compute(session, cal.moment(cycle), team_id, model, cache.teams[1])
    snap_key = (cycle.id, team_id or 0, cal.today)
    if time.monotonic() - cache.snapshots.get(snap_key, -1e9) > SNAPSHOT_EVERY:
        # Today's point of the chart, written at most once a minute per view, not per request.
        cache.snapshots[snap_key] = time.monotonic()
        await _snapshot(session, cycle.id, team_id or 0, cal.today, result["company"]["progress"],
                        result["company"]["expected_progress"])
    result["history"] = await _history(session, cal.moment(cycle), team_id or 0, result["company"])
    cache.put(key, result)
    return result


async def refresh(session: AsyncSession, model: CycleModel, rev: int) -> None:
    o = Objective.__table__.c
    k = KeyResult.__table__.c
    since = model.rev
    obj_stmt = sa.select(o.id, o.team_id, o.title, o.status, o.parent_id, o.owner_id, o.position, o.deleted_at).where(
        o.cycle == model.cycle)
    kr_stmt = (sa.select(k.id, k.objective_id, k.title, k.owner_id, k.kind, k.start, k.target, k.current, k.unit,
                         k.weight, k.confidence, k.last_check_in_at, k.deleted_at, o.deleted_at.label("obj_deleted"))
               .join(Objective.__table__, o.id == k.objective_id).where(o.cycle == model.cycle))
    if since >= 0:
        obj_stmt = obj_stmt.where(o.rev > since)
    obj_changes = (await session.execute(obj_stmt)).all()
    if since >= 0:
        # Two index lookups instead of one OR that would scan the cycle: rows stamped
        # since, and every KR of an objective stamped since.
        touched = [r.id for r in obj_changes]
        kr_stmt = kr_stmt.where(sa.or_(k.rev > since, k.objective_id.in_(touched)) if touched else k.rev > since)
    for r in obj_changes:
        model.summaries.pop(r.id, None)
        if r.deleted_at is not None:
            model.objectives.pop(r.id, None)
            model.krs.pop(r.id, None)
        else:
            model.objectives[r.id] = ObjRow(r.id, r.team_id, r.title, r.status, r.parent_id, r.owner_id, r.position)
    changed: list[KrRow] = []
    for r in (await session.execute(kr_stmt)).all():
        model.summaries.pop(r.objective_id, None)
        if r.deleted_at is not None or r.obj_deleted is not None:
            model.krs[r.objective_id].pop(r.id, None)
            continue
        row = KrRow(r.id, r.objective_id, r.title, r.owner_id, r.kind, r.start, r.target, r.current, r.unit, r.weight,
                    r.confidence, r.last_check_in_at)
        model.krs[r.objective_id][r.id] = row
        changed.append(row)
    milestones = [row.id for row in changed if row.kind == "milestone"]
    counts: dict[int, tuple[int, int]] = {}
    if milestones:
        m = MilestoneItem.__table__.c
        for kr_id, done, total in (await session.execute(
            sa.select(m.key_result_id, sa.func.sum(sa.case((m.done, 1), else_=0)), sa.func.count())
            .where(m.key_result_id.in_(milestones)).group_by(m.key_result_id)
        )).all():
            counts[kr_id] = (int(done or 0), int(total))
    for row in changed:
        done, total = counts.get(row.id, (0, 0))
        row.progress = kr_progress(row.kind, row.start, row.target, row.current, done, total)
        row.health = health(row.confidence)
    model.rev = rev
    if since < 0:
        # A full load leaves thousands of long-lived rows: move them out of the collector's
        # way, or every full collection walks them (seen as 100+ ms p95 spikes).
        gc.freeze()


async def compute(session: AsyncSession, moment: Moment, team_id: int | None, model: CycleModel,
                  teams: dict[int, dict[str, Any]]) -> dict[str, Any]:
    cycle = moment.cycle
    scope = _descendants(teams, team_id) if team_id is not None else set(teams)
    root_id = next((t["id"] for t in teams.values() if t["parent_id"] is None), None)
    obj_rows = sorted((r for r in model.objectives.values() if r.team_id in scope),
                      key=lambda r: (r.team_id, r.position, r.id))
    obj_title = {r.id: r.title for r in obj_rows}

    expected = moment.expected
    if model.summary_day != moment.today:
        model.summaries.clear()
        model.summary_day = moment.today
    summaries = [model.summaries.get(r.id) or _summarise(model, r, moment) for r in obj_rows]
    at_risk = [k for sm in summaries for k in sm.at_risk]
    behind = [k for sm in summaries for k in sm.behind]
    stale = [k for sm in summaries for k in sm.stale]
    flags = {kid: f for sm in summaries for kid, f in sm.flags.items()}
    at_risk.sort(key=lambda k: (HEALTH_ORDER[k.health], k.confidence if k.confidence is not None else 99, k.progress, k.id))
    behind.sort(key=lambda k: (k.progress, k.id))
    stale.sort(key=lambda k: (k.last_check_in_at is not None, k.last_check_in_at or moment.now, k.id))
    at_risk, behind, stale = at_risk[:LIST_LIMIT], behind[:LIST_LIMIT], stale[:LIST_LIMIT]
    owners = {k.owner_id for k in (*at_risk, *behind, *stale)}
    names = dict((await session.execute(sa.select(User.id, User.name).where(User.id.in_(owners))))
                 .all()) if owners else {}

    def item(k: KrRow) -> dict[str, Any]:
        is_behind, is_stale = flags.get(k.id, (False, False))
        return {"id": k.id, "objective_id": k.objective_id, "objective_title": obj_title.get(k.objective_id, ""),
                "title": k.title, "owner_id": k.owner_id, "owner_name": names.get(k.owner_id, ""), "kind": k.kind,
                "start": k.start, "target": k.target, "current": k.current, "unit": k.unit, "confidence": k.confidence,
                "progress": round(k.progress, 4), "health": k.health, "behind": is_behind, "stale": is_stale,
                "last_check_in_at": k.last_check_in_at.isoformat() if k.last_check_in_at else None}

    objectives: dict[int, dict[str, Any]] = {}
    by_team: dict[int, list[ObjSummary]] = defaultdict(list)
    status_counts: Counter[str] = Counter()
    health_counts: Counter[str] = Counter()
    for r, sm in zip(obj_rows, summaries, strict=True):
        objectives[r.id] = sm.entry
        by_team[r.team_id].append(sm)
        status_counts[r.status] += 1
        health_counts[sm.entry["health"]] += 1

    team_list = []
    for tid in sorted(scope, key=lambda t: (teams[t]["parent_id"] is not None, teams[t]["name"])):
        objs = by_team.get(tid, [])
        team_list.append({"id": tid, "name": teams[tid]["name"], "parent_id": teams[tid]["parent_id"],
                          "progress": round(mean(x.entry["progress"] for x in objs), 4),
                          "expected_progress": round(expected, 4),
                          "health": worst_health(x.entry["health"] for x in objs),
                          "objectives": [x.brief for x in objs]})
    head = team_id if team_id is not None else root_id
    head_objs = by_team.get(head, []) if head is not None else []
    if head_objs:
        company_progress = mean(x.entry["progress"] for x in head_objs)
    else:
        company_progress = mean(t["progress"] for t in team_list if by_team.get(t["id"]))
    children: dict[int, list[int]] = defaultdict(list)
    roots = []
    for oid, entry in objectives.items():
        if entry["parent_id"] in objectives:
            children[entry["parent_id"]].append(oid)
        else:
            roots.append(oid)

    def node(oid: int, depth: int = 0) -> dict[str, Any]:
        kids = children.get(oid, []) if depth < 20 else []
        return {"objective_id": oid, "title": objectives[oid]["title"], "progress": objectives[oid]["progress"],
                "health": objectives[oid]["health"], "children": [node(c, depth + 1) for c in kids]}

    return {
        "cycle": cycle.id,
        "team_id": team_id,
        "phase": cycle.phase_on(moment.today),
        "company": {"progress": round(company_progress, 4), "expected_progress": round(expected, 4)},
        "teams": team_list,
        "counts": {"by_status": dict(status_counts), "by_health": dict(health_counts),
                   "objectives": len(objectives), "key_results": sum(x.entry["key_results"] for x in summaries)},
        "at_risk": [item(k) for k in at_risk],
        "behind": [item(k) for k in behind],
        "stale": [item(k) for k in stale],
        "tree": [node(oid) for oid in roots],
    }


def _summarise(model: CycleModel, r: ObjRow, moment: Moment) -> ObjSummary:
    cycle = moment.cycle
    behind_below = moment.expected - BEHIND_MARGIN if moment.today >= cycle.start else -1.0
    stale_before = moment.now - timedelta(days=STALE_DAYS)
    never_stale = not moment.running
    stale_if_never = moment.running and (moment.today - cycle.start).days >= STALE_DAYS
    parts = list(model.krs.get(r.id, {}).values())
    sm = ObjSummary(entry={}, brief={}, at_risk=[], behind=[], stale=[], flags={})
    for kr in parts:
        is_behind = kr.progress < behind_below
        last = kr.last_check_in_at
        is_stale = False if never_stale else (stale_if_never if last is None else last <= stale_before)
        if kr.health in ("at_risk", "off_track"):
            sm.at_risk.append(kr)
        if is_behind:
            sm.behind.append(kr)
        if is_stale:
            sm.stale.append(kr)
        if is_behind or is_stale:
            sm.flags[kr.id] = (is_behind, is_stale)
    progress = round(weighted_progress((k.progress, k.weight) for k in parts), 4)
    health_ = worst_health(k.health for k in parts)
    sm.entry = {"id": r.id, "title": r.title, "status": r.status, "owner_id": r.owner_id, "progress": progress,
                "health": health_, "parent_id": r.parent_id, "key_results": len(parts)}
    sm.brief = {"id": r.id, "title": r.title, "status": r.status, "progress": progress, "health": health_}
    model.summaries[r.id] = sm
    return sm


async def _snapshot(session: AsyncSession, cycle: str, team_key: int, day: date, progress: float, expected: float) -> None:
    """Today's point of the progress-over-time chart (a nicety: failure never fails the dashboard)."""
    table = ProgressSnapshot.__table__
    dialect = session.bind.dialect.name if session.bind else "mysql"
    if session.in_transaction():
        await session.commit()
    try:
        async with session.begin():
            await session.execute(upsert(table, dialect,
                                         {"cycle": cycle, "team_id": team_key, "day": day, "progress": progress, "expected": expected},
                                         {"progress": progress, "expected": expected}, ["cycle", "team_id", "day"]))
    except Exception:
        pass


async def _history(session: AsyncSession, moment: Moment, team_key: int, company: dict[str, Any]) -> list[dict[str, Any]]:
    """Weekly points of progress against the expected line, from the daily snapshots."""
    cycle = moment.cycle
    s = ProgressSnapshot.__table__.c
    rows = dict((await session.execute(
        sa.select(s.day, s.progress).where(s.cycle == cycle.id, s.team_id == team_key)
    )).all())
    points = []
    day = cycle.start
    last = min(moment.today, cycle.end)
    known = 0.0
    ordered = sorted(rows.items())
    idx = 0
    while day <= last:
        while idx < len(ordered) and ordered[idx][0] <= day:
            known = ordered[idx][1]
            idx += 1
        points.append({"date": day.isoformat(), "progress": round(known, 4),
                       "expected": round(cycle.expected_progress(day), 4)})
        day += timedelta(days=7)
    if moment.today >= cycle.start and (not points or points[-1]["date"] != last.isoformat()):
        points.append({"date": last.isoformat(), "progress": company["progress"], "expected": company["expected_progress"]})
    return points


async def export_csv(session: AsyncSession, cal: Calendar, cycle_id: str | None) -> str:
    from ..objectives.service import list_objectives

    cycle = cal.resolve(cycle_id)
    objectives = await list_objectives(session, cal, cycle=cycle.id, team_id=None, owner_id=None, status=None)
    teams = dict((await session.execute(sa.select(Team.id, Team.name))).all())
    names = dict((await session.execute(sa.select(User.id, User.name))).all())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["cycle", "team", "objective_id", "objective", "status", "owner", "objective_progress",
                     "objective_health", "score", "key_result_id", "key_result", "kr_owner", "kind", "start", "target",
                     "current", "unit", "weight", "kr_progress", "confidence", "kr_health", "behind", "stale"])
    for obj in objectives:
        base = [cycle.id, teams.get(obj["team_id"], ""), obj["id"], _cell(obj["title"]), obj["status"],
                names.get(obj["owner_id"], ""), obj["progress"], obj["health"], obj["score"] if obj["score"] is not None else ""]
        if not obj["key_results"]:
            writer.writerow(base + [""] * 14)
        for kr in obj["key_results"]:
            writer.writerow([*base, kr["id"], _cell(kr["title"]), names.get(kr["owner_id"], ""), kr["kind"], kr["start"], kr["target"], kr["current"], kr["unit"], kr["weight"], kr["progress"], kr["confidence"] if kr["confidence"] is not None else "", kr["health"], kr["behind"], kr["stale"]])
    return out.getvalue()


def _cell(text: str) -> str:
    """Spreadsheets run cells that start with = + - @: neutralise them."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def search(session: AsyncSession, q: str, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    like = f"%{q.strip().lower()}%"
    objs = (await session.execute(
        sa.select(Objective.id, Objective.title, Objective.cycle, Objective.team_id, Objective.status)
        .where(Objective.deleted_at.is_(None), sa.func.lower(Objective.title).like(like))
        .order_by(Objective.cycle.desc(), Objective.id.desc()).limit(limit))).all()
    krs = (await session.execute(
        sa.select(KeyResult.id, KeyResult.title, KeyResult.objective_id, Objective.cycle)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.deleted_at.is_(None), Objective.deleted_at.is_(None), sa.func.lower(KeyResult.title).like(like))
        .order_by(Objective.cycle.desc(), KeyResult.id.desc()).limit(limit))).all()
    users = (await session.execute(
        sa.select(User.id, User.name, User.email, User.avatar_url)
        .where(User.active, sa.or_(sa.func.lower(User.name).like(like), User.email.like(like))).order_by(User.name).limit(limit))).all()
    teams = (await session.execute(
        sa.select(Team.id, Team.name).where(sa.func.lower(Team.name).like(like)).order_by(Team.name).limit(limit))).all()
    return {
        "objectives": [dict(r._mapping) for r in objs],
        "key_results": [dict(r._mapping) for r in krs],
        "users": [dict(r._mapping) for r in users],
        "teams": [dict(r._mapping) for r in teams],
    }
