"""The dashboard, the CSV export and search.

The dashboard reads only the columns it needs (Core, not ORM) and computes in one
pass. Results are cached per (cycle, team, today) and keyed by the cycle's revision,
which every write bumps in its own transaction, so a cached answer never misses a write
older than the dashboard's lag (`DashboardCache.max_lag`; none in tests that set it to 0)."""

from __future__ import annotations

import asyncio
import bisect
import gzip
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from boost_platform.db import read_batch, upsert
from boost_platform.metrics import move_out_of_collectors_way
from boost_platform.problems import Problem, not_found
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..access import actor_from_rows, actor_statement
from ..calendar import Calendar
from ..domain.progress import (
    HEALTH_ORDER,
    Moment,
    health,
    kr_progress,
    mean,
    weighted_progress,
    worst_health,
)
from ..forecast.fit import LIKELY_TO_MISS_BELOW, forecast_field
from ..models import CycleRevision, KeyResult, MilestoneItem, Objective, ProgressSnapshot, Team, User
from ..serialize import last_looked_at

LIST_LIMIT = 50
TREE_DEPTH = 20
_NEVER = datetime.min.replace(tzinfo=UTC)
# Today's point of a view's progress chart is written (and its past points read again) at
# most this often: 200 team views each wrote one a minute, a transaction every 0.3 s.
SNAPSHOT_EVERY = 300.0


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
    forecast: dict[str, Any] | None = None  # the stored fit; `forecast_field` makes the KR's field of it
    source: dict[str, Any] | None = None  # its data binding (§9): a healthy one's runs count as looking at it
    progress: float = 0.0
    health: str = "unknown"
    forecast_progress: float | None = None


@dataclass
class CycleModel:
    """A cycle's objectives and key results in memory, kept current by deltas: every
    write stamps its rows with the cycle revision it bumped, so a refresh reads only
    the rows changed since the revision this model has seen."""

    cycle: str
    rev: int = -1
    # When `rev` was read (time.monotonic()): every write committed before then is in the model.
    read_at: float = -1e9
    objectives: dict[int, ObjRow] = field(default_factory=dict)
    krs: dict[int, dict[int, KrRow]] = field(default_factory=lambda: defaultdict(dict))  # by objective
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Per objective, what the dashboard derives from it, valid for one org-local day
    # (behind and stale move with the date); a refresh drops the ones it touched.
    summaries: dict[int, ObjSummary] = field(default_factory=dict)
    summary_day: date | None = None
    # Bumped when objectives appear, disappear, move team, position or parent: the
    # scope views rebuild then instead of patching.
    structure: int = 0


@dataclass(slots=True)
class ObjSummary:
    """What the dashboard derives from one objective. The attention lists hold
    (sort key, KR) pairs whose keys end with the KR id, so they merge into a scope's
    ranked lists by plain tuple comparison."""

    entry: dict[str, Any]
    brief: dict[str, Any]
    at_risk: list[tuple[tuple[Any, ...], KrRow]]
    behind: list[tuple[tuple[Any, ...], KrRow]]
    stale: list[tuple[tuple[Any, ...], KrRow]]
    flags: dict[int, tuple[bool, bool]]
    likely_to_miss: list[tuple[tuple[Any, ...], KrRow]] = field(default_factory=list)


GZIP_MIN_LENGTH = 1024  # as the gateway's gzip_min_length: smaller answers go as they are


@dataclass(slots=True)
class Answer:
    """A dashboard as JSON bytes, and gzipped once when a client first accepts that: the
    company's is a large document, and compressing it at every request cost the gateway
    more CPU than okr spends answering it (docs/performance.md)."""

    body: bytes
    # What it shows: the quarter's revision it was rendered at (at least), the directory's,
    # and the day (`DashboardCache.fresh`).
    rev: int = 0
    star: int = 0
    day: date | None = None
    # When its revision was read (time.monotonic()): it shows every write committed before.
    covers: float = -1e9
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes | None:
        """The gzipped body, or None when the body is too small to be worth it."""
        if len(self.body) < GZIP_MIN_LENGTH:
            return None
        if self._gzipped is None:
            # Level 1, as the gateway's own gzip: the answer changes with every write.
            self._gzipped = gzip.compress(self.body, compresslevel=1, mtime=0)
        return self._gzipped


class DashboardCache:
    """Per process: one CycleModel per cycle, a ScopeView per (cycle, team) asked for,
    the teams, and each view's latest answer as JSON."""

    def __init__(self, max_lag: float = 0.0) -> None:
        # Seconds of writes an answer may miss (settings.dashboard_max_lag_seconds): under a
        # stream of writes each view renders at most about once per max_lag, not per request.
        self.max_lag = max_lag
        self.models: dict[str, CycleModel] = {}
        self.views: dict[tuple[str, int | None], ScopeView] = {}
        self.answers: dict[tuple[str, int | None], Answer] = {}
        self.teams: tuple[int, dict[int, dict[str, Any]]] = (-1, {})
        self.names: dict[int, str] = {}
        self.snapshots: dict[tuple[Any, ...], float] = {}
        self.snapshot_rows: dict[tuple[str, int], tuple[float, list[tuple[date, float]]]] = {}

    def model(self, cycle: str) -> CycleModel:
        if cycle not in self.models:
            self.models[cycle] = CycleModel(cycle)
        return self.models[cycle]

    def view(self, cycle: str, team_id: int | None) -> ScopeView:
        key = (cycle, team_id)
        if key not in self.views:
            if len(self.views) > 512:
                self.views.clear()
            self.views[key] = ScopeView(team_id)
        return self.views[key]

    def within_lag(self, covers: float, now: float) -> bool:
        """Whether what was read at `covers` may still be shown at `now`."""
        return self.max_lag > 0 and covers >= now - self.max_lag

    def recent(self, view: tuple[str, int | None], day: date, now: float) -> Answer | None:
        """The view's answer when it shows every write older than the lag (of any revision,
        the teams' and people's included: they are writes too), for this day."""
        answer = self.answers.get(view)
        return answer if answer is not None and answer.day == day and self.within_lag(answer.covers, now) else None

    def fresh(self, view: tuple[str, int | None], rev: int, star: int, day: date, read_at: float) -> Answer | None:
        """The view's answer when it shows every write a request that read `rev` and `star`
        at `read_at` must see: within the lag (the dashboard's promise under load: the web
        app refetches it that long after an event), or rendered at that revision or a later
        one — then it shows every write committed before `read_at`, and the lag counts from
        there (a quiet quarter is not asked what changed at every request)."""
        answer = self.recent(view, day, time.monotonic())
        if answer is not None:
            return answer
        answer = self.answers.get(view)
        if answer is None or answer.day != day or answer.rev < rev or answer.star != star:
            return None
        answer.covers = max(answer.covers, read_at)
        return answer

    def put(self, view: tuple[str, int | None], value: Answer) -> None:
        if len(self.answers) > 512 and view not in self.answers:
            self.answers.clear()
        self.answers[view] = value


_revisions = CycleRevision.__table__
# The quarter's revision and the directory's ("*"), built once (Core): asked by most requests.
_REVISIONS = sa.select(_revisions.c.cycle, _revisions.c.revision).where(
    sa.or_(_revisions.c.cycle == sa.bindparam("cycle"), _revisions.c.cycle == "*"))


def _revisions_of(cycle: str, rows: Sequence[Any]) -> tuple[int, int]:
    found = {r["cycle"]: r["revision"] for r in rows}
    return int(found.get(cycle, 0)), int(found.get("*", 0))


async def revisions(session: AsyncSession, cycle: str) -> tuple[int, int]:
    conn = await session.connection()
    return _revisions_of(cycle, (await conn.execute(_REVISIONS, {"cycle": cycle})).mappings().all())


@dataclass(frozen=True)
class Asked:
    """The revisions a request read (the quarter's and the directory's), and when it began
    to read them."""

    read_at: float
    rev: int
    star: int


async def served(maker: async_sessionmaker[AsyncSession], cal: Calendar, cache: DashboardCache,
                 cycle_id: str | None, team_id: int | None, user_id: int) -> Answer | Asked | None:
    """Most requests end here: who is asking (read afresh, as every request reads them) and
    what changed since the cached answer, in one round trip without a session. The cached
    answer when it is current; else what was asked, for `dashboard` to render from (with a
    session); None when the cycle asked for is not one (`dashboard` says why)."""
    try:
        cycle = cal.resolve(cycle_id)
    except Problem:
        # Who is asking is checked first; `dashboard` then says what is wrong with the cycle.
        actor_from_rows(user_id, (await read_batch(maker, [actor_statement(user_id)]))[0])
        return None
    view_key = (cycle.id, team_id)
    read_at = time.monotonic()  # before the read, as in `dashboard`
    # An answer within the lag shows every write older than the lag: what changed is asked
    # only when the cached answer is older.
    recent = cache.recent(view_key, cal.today, read_at)
    asking = [] if recent is not None else [(_REVISIONS, {"cycle": cycle.id})]
    asker, *changed = await read_batch(maker, [actor_statement(user_id), *asking])
    actor_from_rows(user_id, asker)
    if recent is not None:
        return recent
    rev, star = _revisions_of(cycle.id, changed[0])
    return cache.fresh(view_key, rev, star, cal.today, read_at) or Asked(read_at, rev, star)


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
                    team_id: int | None, asked: Asked | None = None) -> Answer:
    """The dashboard as JSON bytes (and gzipped), served as they are while no write came
    after them. An answer rendered at this request's revision or a later one shows every
    write the request must see, so requests that arrive while one renders are served by it
    (under load, writes land between most requests: each would otherwise render and gzip
    the whole company again, one after the other behind the view's lock). `asked`: what
    `served` found had changed (not asked again)."""
    cycle = cal.resolve(cycle_id)
    view_key = (cycle.id, team_id)
    if asked is None:
        read_at = time.monotonic()  # before the read: every write committed by then is in what it reads
        recent = cache.recent(view_key, cal.today, read_at)
        if recent is not None:
            return recent  # it shows every write older than the lag: no need to ask what changed
        rev, star = await revisions(session, cycle.id)
        cached = cache.fresh(view_key, rev, star, cal.today, read_at)
        if cached is not None:
            return cached
    else:
        read_at, rev, star = asked.read_at, asked.rev, asked.star
    model = cache.model(cycle.id)
    await _wait_without_connection(session, model.lock)
    async with model.lock:
        if model.rev < rev and not cache.within_lag(model.read_at, read_at):
            await refresh(session, model, rev)
            model.read_at = max(model.read_at, read_at)
        elif model.rev == rev:
            model.read_at = max(model.read_at, read_at)  # nothing was written between
        # else the model was read within the lag: every view renders from that one read
    if cache.teams[0] != star:
        rows = (await session.execute(sa.select(Team.id, Team.name, Team.parent_id))).all()
        cache.teams = (star, {t.id: {"id": t.id, "name": t.name, "parent_id": t.parent_id} for t in rows})
        cache.names = {}  # a rename bumps the directory revision too
    if team_id is not None and team_id not in cache.teams[1]:
        raise not_found(f"Team {team_id}")
    moment = cal.moment(cycle)
    team_key = team_id or 0
    snapshots = await _snapshots(session, cache, cycle.id, team_key)
    view = cache.view(cycle.id, team_id)
    await _wait_without_connection(session, view.lock)
    async with view.lock:
        cached = cache.fresh(view_key, rev, star, cal.today, read_at)  # rendered while this one waited
        if cached is not None:
            return cached
        # Answer and serialise under the view's lock: the view is patched in place. The model
        # only moves forward (refreshes of other requests may land during the awaits below),
        # so what is rendered shows at least the revision it has now.
        rendered_at, covers = model.rev, model.read_at
        result = await view.answer(session, moment, model, cache.teams, cache.names)
        result["history"] = _history(moment, snapshots, result["company"])
        answer = Answer(orjson.dumps(result), rev=rendered_at, star=star, day=cal.today, covers=covers)
        cache.put(view_key, answer)
    snap_key = (cycle.id, team_key, cal.today)
    if time.monotonic() - cache.snapshots.get(snap_key, -1e9) > SNAPSHOT_EVERY:
        # Today's point of the chart, written at most every SNAPSHOT_EVERY per view, not per request.
        cache.snapshots[snap_key] = time.monotonic()
        cache.snapshot_rows.pop((cycle.id, team_key), None)
        await _snapshot(session, cycle.id, team_key, cal.today, result["company"]["progress"],
                        result["company"]["expected_progress"])
    return answer


async def _wait_without_connection(session: AsyncSession, lock: asyncio.Lock) -> None:
    """Before waiting for a lock another request holds, give the request's database
    connection back to the pool (ending its read-only transaction): requests queued on a
    dashboard's lock must not hold the connections that check-ins and edits need."""
    if lock.locked() and session.in_transaction():
        await session.commit()


async def refresh(session: AsyncSession, model: CycleModel, rev: int) -> None:
    o = Objective.__table__.c
    k = KeyResult.__table__.c
    since = model.rev
    obj_stmt = sa.select(o.id, o.team_id, o.title, o.status, o.parent_id, o.owner_id, o.position, o.deleted_at).where(
        o.cycle == model.cycle)
    kr_stmt = (sa.select(k.id, k.objective_id, k.title, k.owner_id, k.kind, k.start, k.target, k.current, k.unit,
                         k.weight, k.confidence, k.last_check_in_at, k.forecast, k.source, k.deleted_at,
                         o.deleted_at.label("obj_deleted"))
               .join(Objective.__table__, o.id == k.objective_id).where(o.cycle == model.cycle))
    if since >= 0:
        obj_stmt = obj_stmt.where(o.rev > since)
    obj_changes = (await session.execute(obj_stmt)).all()
    if since >= 0:
        # Two index lookups instead of one OR that would scan the cycle: rows stamped
        # since, and every KR of an objective stamped since.
        touched = [r.id for r in obj_changes]
        kr_stmt = kr_stmt.where(sa.or_(k.rev > since, k.objective_id.in_(touched)) if touched else k.rev > since)
    _apply_objectives(model, obj_changes)
    changed = _apply_krs(model, (await session.execute(kr_stmt)).all())
    await _derive(session, changed)
    model.rev = rev
    if since < 0:
        move_out_of_collectors_way()  # a full load leaves thousands of long-lived rows


def _apply_objectives(model: CycleModel, rows: Sequence[Any]) -> None:
    """Objectives changed since the model's revision; the shape counts up when one is added,
    removed, moved or re-parented."""
    for r in rows:
        model.summaries.pop(r.id, None)
        before = model.objectives.get(r.id)
        if r.deleted_at is not None:
            if model.objectives.pop(r.id, None) is not None:
                model.structure += 1
            model.krs.pop(r.id, None)
            continue
        obj = ObjRow(r.id, r.team_id, r.title, r.status, r.parent_id, r.owner_id, r.position)
        if before is None or (before.team_id, before.parent_id, before.position) != (obj.team_id, obj.parent_id,
                                                                                    obj.position):
            model.structure += 1
        model.objectives[r.id] = obj


def _apply_krs(model: CycleModel, rows: Sequence[Any]) -> list[KrRow]:
    """Key results changed since the model's revision; the live ones, to derive."""
    changed: list[KrRow] = []
    for kr in rows:
        model.summaries.pop(kr.objective_id, None)
        if kr.deleted_at is not None or kr.obj_deleted is not None:
            model.krs[kr.objective_id].pop(kr.id, None)
            continue
        row = KrRow(kr.id, kr.objective_id, kr.title, kr.owner_id, kr.kind, kr.start, kr.target, kr.current, kr.unit,
                    kr.weight, kr.confidence, kr.last_check_in_at, kr.forecast, kr.source)
        model.krs[kr.objective_id][kr.id] = row
        changed.append(row)
    return changed


async def _derive(session: AsyncSession, changed: list[KrRow]) -> None:
    """Each changed key result's progress (a milestone's from its items), health and forecast."""
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
        field_ = forecast_field(row.forecast, row.kind, row.start, row.target)
        row.forecast_progress = field_["progress"] if field_ else None  # type: ignore[assignment]


Ranked = list[tuple[tuple[Any, ...], KrRow]]


class ScopeView:
    """The dashboard of one scope (the company, or a team with its subteams) in one cycle,
    patched in place: an answer re-derives only the objectives whose summary changed
    since the previous answer, and rebuilds everything only when the shape changed
    (objectives added, removed, moved or re-parented; teams changed; a new day)."""

    def __init__(self, team_id: int | None) -> None:
        self.team_id = team_id
        self.lock = asyncio.Lock()
        self.shape: tuple[Any, ...] = ()
        self.order: list[ObjRow] = []
        self.seen: dict[int, ObjSummary] = {}
        self.ranked: dict[str, Ranked] = {"at_risk": [], "behind": [], "stale": [], "likely_to_miss": []}
        self.teams: list[dict[str, Any]] = []
        self.team_objs: dict[int, list[int]] = {}
        self.nodes: dict[int, dict[str, Any]] = {}
        self.tree: list[dict[str, Any]] = []
        self.status_counts: Counter[str] = Counter()
        self.health_counts: Counter[str] = Counter()
        self.kr_count = 0

    async def answer(self, session: AsyncSession, moment: Moment, model: CycleModel,
                     teams: tuple[int, dict[int, dict[str, Any]]], names_cache: dict[int, str]) -> dict[str, Any]:
        if model.summary_day != moment.today:
            model.summaries.clear()
            model.summary_day = moment.today
        shape = (model.cycle, model.structure, teams[0], moment.today)
        if shape != self.shape:
            self._build(moment, model, teams[1])
            self.shape = shape
        else:
            self._patch(moment, model)
        return await self._render(session, moment, model, teams[1], names_cache)

    def _summary(self, model: CycleModel, r: ObjRow, moment: Moment) -> ObjSummary:
        return model.summaries.get(r.id) or _summarise(model, r, moment)

    def _build(self, moment: Moment, model: CycleModel, teams: dict[int, dict[str, Any]]) -> None:
        scope = _descendants(teams, self.team_id) if self.team_id is not None else set(teams)
        self.order = sorted((r for r in model.objectives.values() if r.team_id in scope),
                            key=lambda r: (r.team_id, r.position, r.id))
        self.seen = {r.id: self._summary(model, r, moment) for r in self.order}
        for name in self.ranked:
            self.ranked[name] = sorted(x for sm in self.seen.values() for x in getattr(sm, name))
        self.status_counts = Counter(sm.entry["status"] for sm in self.seen.values())
        self.health_counts = Counter(sm.entry["health"] for sm in self.seen.values())
        self.kr_count = sum(sm.entry["key_results"] for sm in self.seen.values())
        self.team_objs = defaultdict(list)
        for r in self.order:
            self.team_objs[r.team_id].append(r.id)
        self.teams = [{"id": tid, "name": teams[tid]["name"], "parent_id": teams[tid]["parent_id"]}
                      for tid in sorted(scope, key=lambda t: (teams[t]["parent_id"] is not None, teams[t]["name"]))]
        for team in self.teams:
            self._team_figures(team, moment)
        self._build_tree()

    def _build_tree(self) -> None:
        """The alignment tree: each objective under its parent when attached, else a root."""
        self.nodes = {oid: {"objective_id": oid, "title": sm.entry["title"], "progress": sm.entry["progress"],
                            "health": sm.entry["health"], "children": []} for oid, sm in self.seen.items()}
        self.tree = []
        for r in self.order:
            if r.parent_id is not None and _attached(self.seen, r.id):
                self.nodes[r.parent_id]["children"].append(self.nodes[r.id])
            else:
                self.tree.append(self.nodes[r.id])

    def _patch(self, moment: Moment, model: CycleModel) -> None:
        dirty_teams: set[int] = set()
        for oid, old in self.seen.items():
            sm = model.summaries.get(oid)
            if sm is old:
                continue
            r = model.objectives[oid]  # same shape, perhaps a new title or status
            sm = sm or _summarise(model, r, moment)
            self.seen[oid] = sm
            for name, ranked in self.ranked.items():
                for x in getattr(old, name):
                    del ranked[bisect.bisect_left(ranked, x)]
                for x in getattr(sm, name):
                    bisect.insort(ranked, x)
            self.status_counts[old.entry["status"]] -= 1
            self.status_counts[sm.entry["status"]] += 1
            self.health_counts[old.entry["health"]] -= 1
            self.health_counts[sm.entry["health"]] += 1
            self.kr_count += sm.entry["key_results"] - old.entry["key_results"]
            self.nodes[oid].update(title=sm.entry["title"], progress=sm.entry["progress"], health=sm.entry["health"])
            dirty_teams.add(r.team_id)
        for team in self.teams:
            if team["id"] in dirty_teams:
                self._team_figures(team, moment)

    def _team_figures(self, team: dict[str, Any], moment: Moment) -> None:
        objs = [self.seen[oid] for oid in self.team_objs.get(team["id"], ())]
        team.update(progress=round(mean(x.entry["progress"] for x in objs), 4),
                    expected_progress=round(moment.expected, 4),
                    health=worst_health(x.entry["health"] for x in objs),
                    objectives=[x.brief for x in objs])

    def _head_progress(self, teams: dict[int, dict[str, Any]]) -> float:
        """The scope's progress: its head team's objectives (the company's for the whole org),
        else the mean of its teams that have objectives."""
        root_id = next((t["id"] for t in teams.values() if t["parent_id"] is None), None)
        head = self.team_id if self.team_id is not None else root_id
        head_objs = self.team_objs.get(head, []) if head is not None else []
        if head_objs:
            return mean(self.seen[oid].entry["progress"] for oid in head_objs)
        return mean(t["progress"] for t in self.teams if self.team_objs.get(t["id"]))

    async def _render(self, session: AsyncSession, moment: Moment, model: CycleModel,
                      teams: dict[int, dict[str, Any]], names_cache: dict[int, str]) -> dict[str, Any]:
        cycle = moment.cycle
        top = {name: [k for _, k in ranked[:LIST_LIMIT]] for name, ranked in self.ranked.items()}
        names = await names_of(session, names_cache, {k.owner_id for krs in top.values() for k in krs})

        def item(k: KrRow) -> dict[str, Any]:
            return _kr_item(k, self.seen, model, names, moment.running)

        company_progress = self._head_progress(teams)
        return {
            "cycle": cycle.id,
            "team_id": self.team_id,
            "phase": cycle.phase_on(moment.today),
            "company": {"progress": round(company_progress, 4), "expected_progress": round(moment.expected, 4)},
            "teams": self.teams,
            "counts": {"by_status": {k: n for k, n in self.status_counts.items() if n > 0},
                       "by_health": {k: n for k, n in self.health_counts.items() if n > 0},
                       "objectives": len(self.order), "key_results": self.kr_count},
            "at_risk": [item(k) for k in top["at_risk"]],
            "behind": [item(k) for k in top["behind"]],
            "stale": [item(k) for k in top["stale"]],
            "likely_to_miss": [item(k) for k in top["likely_to_miss"]],
            "tree": self.tree,
        }


def _kr_item(k: KrRow, seen: dict[int, ObjSummary], model: CycleModel, names: dict[int, str],
             running: bool) -> dict[str, Any]:
    """A key result in one of the dashboard's lists (at risk, behind, stale, likely to miss).
    Its flags come from the summaries the view ranked (`seen`, under its lock), not the
    model's: another view's request may refresh the model while this one waits for names."""
    is_behind, is_stale = seen[k.objective_id].flags.get(k.id, (False, False))
    obj = model.objectives.get(k.objective_id)
    return {"id": k.id, "objective_id": k.objective_id, "objective_title": obj.title if obj else "",
            "title": k.title, "owner_id": k.owner_id, "owner_name": names.get(k.owner_id, ""), "kind": k.kind,
            "start": k.start, "target": k.target, "current": k.current, "unit": k.unit,
            "confidence": k.confidence, "progress": round(k.progress, 4), "health": k.health,
            "behind": is_behind, "stale": is_stale,
            "last_check_in_at": k.last_check_in_at.isoformat() if k.last_check_in_at else None,
            "forecast": forecast_field(k.forecast, k.kind, k.start, k.target) if running else None}


async def names_of(session: AsyncSession, cache: dict[int, str], user_ids: set[int]) -> dict[int, str]:
    """People's names, read once per directory revision."""
    missing = [u for u in user_ids if u not in cache]
    if missing:
        cache.update((await session.execute(sa.select(User.id, User.name).where(User.id.in_(missing)))).all())
    return cache


def _attached(seen: dict[int, ObjSummary], oid: int) -> bool:
    """Whether an objective sits under its parent in the tree: the parent is in scope and
    the chain above it ends at a root within TREE_DEPTH steps. (The API refuses alignment
    loops; this keeps a bad row from hiding objectives or nesting without end.)"""
    visited = {oid}
    parent = seen[oid].entry["parent_id"]
    if parent not in seen:
        return False
    for _ in range(TREE_DEPTH):
        if parent is None or parent not in seen:
            return True
        if parent in visited:
            return False
        visited.add(parent)
        parent = seen[parent].entry["parent_id"]
    return False


def _summarise(model: CycleModel, r: ObjRow, moment: Moment) -> ObjSummary:
    parts = list(model.krs.get(r.id, {}).values())
    sm = ObjSummary(entry={}, brief={}, at_risk=[], behind=[], stale=[], flags={})
    for kr in parts:
        is_behind = moment.behind(kr.progress, kr.kind)
        last = last_looked_at(kr)
        is_stale = moment.stale(last)
        if kr.health in ("at_risk", "off_track"):
            # Worst health, then lowest confidence, then least progress.
            sm.at_risk.append(((HEALTH_ORDER[kr.health], kr.confidence if kr.confidence is not None else 99,
                                kr.progress, kr.id), kr))
        if is_behind:
            sm.behind.append(((kr.progress, kr.id), kr))
        if is_stale:
            # Never checked in first (the middle of their key is a constant), then the oldest.
            sm.stale.append(((last is not None, last or _NEVER, kr.id), kr))
        if is_behind or is_stale:
            sm.flags[kr.id] = (is_behind, is_stale)
        if moment.running and kr.forecast_progress is not None and kr.forecast_progress < LIKELY_TO_MISS_BELOW:
            # Furthest from its target at the end first (§9).
            sm.likely_to_miss.append(((kr.forecast_progress, kr.id), kr))
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


async def _snapshots(session: AsyncSession, cache: DashboardCache, cycle: str, team_key: int) -> list[tuple[date, float]]:
    """The daily snapshots of a view, by day; re-read at most every SNAPSHOT_EVERY."""
    key = (cycle, team_key)
    hit = cache.snapshot_rows.get(key)
    if hit is not None and time.monotonic() - hit[0] < SNAPSHOT_EVERY:
        return hit[1]
    s = ProgressSnapshot.__table__.c
    rows = sorted((day, progress) for day, progress in (await session.execute(
        sa.select(s.day, s.progress).where(s.cycle == cycle, s.team_id == team_key))).all())
    cache.snapshot_rows[key] = (time.monotonic(), rows)
    return rows


def _history(moment: Moment, snapshots: list[tuple[date, float]], company: dict[str, Any]) -> list[dict[str, Any]]:
    """Weekly points of progress against the expected line, from the daily snapshots,
    and today's point from the answer itself."""
    cycle = moment.cycle
    points = []
    day = cycle.start
    last = min(moment.today, cycle.end)
    known = 0.0
    idx = 0
    while day <= last:
        while idx < len(snapshots) and snapshots[idx][0] <= day:
            known = snapshots[idx][1]
            idx += 1
        points.append({"date": day.isoformat(), "progress": round(known, 4),
                       "expected": round(cycle.expected_progress(day), 4)})
        day += timedelta(days=7)
    if moment.today >= cycle.start and (not points or points[-1]["date"] != last.isoformat()):
        points.append({"date": last.isoformat(), "progress": company["progress"], "expected": company["expected_progress"]})
    return points
