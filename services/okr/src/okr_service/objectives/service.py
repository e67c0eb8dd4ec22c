"""Objectives and key results: create, edit with per-field versions and text merge,
delete/restore, the approval flow, closing, carry-over, history and check-ins."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from boost_bus import BatchTx, Tx
from boost_contracts.cycles import local_today
from boost_contracts.events import CheckInData, KeyResultData, make_event
from boost_platform.problems import Problem, invalid, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..access import Actor, require_decide
from ..calendar import Calendar
from ..domain.progress import Moment
from ..forecast import service as forecasts
from ..models import CheckIn, History, KeyResult, MilestoneItem, Objective, Team, User
from ..org.service import stamp
from ..serialize import check_in_json, kr_data, objective_data, objective_json
from .edits import (
    KR_STRUCTURAL,
    EditResult,
    KeyResultState,
    ObjectiveState,
    bump,
    check_kr_shape,
    check_title,
    conflict,
    goes_back_to_draft,
    plan_kr_edit,
    plan_objective_edit,
    require_open,
)
from .edits import number as _number

CORRECTION_WINDOW = timedelta(hours=24)


# ------------------------------------------------------------------ loading


async def get_objective(session: AsyncSession, objective_id: int, *, deleted: bool = False, lock: bool = False) -> Objective:
    stmt = sa.select(Objective).where(Objective.id == objective_id)
    if lock:
        stmt = stmt.with_for_update()
    obj = (await session.execute(stmt)).scalar_one_or_none()
    if obj is None or (obj.deleted_at is not None and not deleted):
        raise not_found(f"Objective {objective_id}")
    return obj


async def get_kr(session: AsyncSession, kr_id: int, *, deleted: bool = False, lock: bool = False) -> KeyResult:
    stmt = sa.select(KeyResult).where(KeyResult.id == kr_id)
    if lock:
        stmt = stmt.with_for_update()
    kr = (await session.execute(stmt)).scalar_one_or_none()
    if kr is None or (kr.deleted_at is not None and not deleted):
        raise not_found(f"Key result {kr_id}")
    return kr


async def items_of(session: AsyncSession, kr_ids: Iterable[int]) -> dict[int, list[MilestoneItem]]:
    ids = list(kr_ids)
    out: dict[int, list[MilestoneItem]] = defaultdict(list)
    if not ids:
        return out
    rows = await session.execute(
        sa.select(MilestoneItem).where(MilestoneItem.key_result_id.in_(ids)).order_by(MilestoneItem.position, MilestoneItem.id)
    )
    for item in rows.scalars():
        out[item.key_result_id].append(item)
    return out


async def krs_of(session: AsyncSession, objective_ids: Sequence[int], moment_for: dict[int, Moment]) -> dict[int, list[KeyResultData]]:
    out: dict[int, list[KeyResultData]] = defaultdict(list)
    if not objective_ids:
        return out
    krs = list((await session.execute(
        sa.select(KeyResult).where(KeyResult.objective_id.in_(objective_ids), KeyResult.deleted_at.is_(None))
        .order_by(KeyResult.position, KeyResult.id)
    )).scalars())
    items = await items_of(session, [k.id for k in krs if k.kind == "milestone"])
    for kr in krs:
        out[kr.objective_id].append(kr_data(kr, items.get(kr.id, []), moment_for[kr.objective_id]))
    return out


async def objectives_json(session: AsyncSession, cal: Calendar, objectives: Sequence[Objective]) -> list[dict[str, Any]]:
    moments = {o.id: cal.moment(cal.cycle(o.cycle)) for o in objectives}
    krs = await krs_of(session, [o.id for o in objectives], moments)
    return [objective_json(o, krs.get(o.id, []), moments[o.id]) for o in objectives]


async def objective_view(session: AsyncSession, cal: Calendar, obj: Objective) -> dict[str, Any]:
    return (await objectives_json(session, cal, [obj]))[0]


async def kr_view(session: AsyncSession, cal: Calendar, kr: KeyResult, obj: Objective | None = None) -> KeyResultData:
    obj = obj or await get_objective(session, kr.objective_id, deleted=True)
    items = (await items_of(session, [kr.id])).get(kr.id, [])
    return kr_data(kr, items, cal.moment(cal.cycle(obj.cycle)))


async def list_objectives(session: AsyncSession, cal: Calendar, *, cycle: str | None, team_id: int | None,
                          owner_id: int | None, status: str | None, deleted: bool = False) -> list[dict[str, Any]]:
    stmt = sa.select(Objective)
    if cycle:
        stmt = stmt.where(Objective.cycle == cal.resolve(cycle).id)
    if team_id is not None:
        stmt = stmt.where(Objective.team_id == team_id)
    if owner_id is not None:
        stmt = stmt.where(Objective.owner_id == owner_id)
    if status:
        stmt = stmt.where(Objective.status == status)
    stmt = stmt.where(Objective.deleted_at.is_not(None) if deleted else Objective.deleted_at.is_(None))
    objs = list((await session.execute(stmt.order_by(Objective.team_id, Objective.position, Objective.id))).scalars())
    return await objectives_json(session, cal, objs)


# ------------------------------------------------------------------ events and history


def _scope(obj: ObjectiveState) -> dict[str, Any]:
    return {"cycle": obj.cycle, "team_id": obj.team_id, "objective_id": obj.id}


async def emit_objective(tx: Tx, cal: Calendar, obj: Objective, action: str, actor: Actor, changes: list[str],
                         op_id: str | None = None) -> None:
    moment = cal.moment(cal.cycle(obj.cycle))
    krs = (await krs_of(tx.session, [obj.id], {obj.id: moment})).get(obj.id, [])
    publish_objective(tx, obj, objective_data(obj, krs, moment), action, actor, changes, op_id)


def publish_objective(tx: BatchTx, obj: ObjectiveState, data: Any, action: str, actor: Actor, changes: list[str],
                      op_id: str | None = None) -> None:
    """The objective's event, and its stamp on the cycle's dashboard."""
    tx.emit(make_event("okr", f"objective.{action}", data, actor_id=actor.user_id or actor.label, op_id=op_id,
                       changes=changes, scope=_scope(obj)))
    stamp(tx, obj.cycle, objective_id=obj.id)


async def emit_kr(tx: Tx, cal: Calendar, kr: KeyResult, obj: Objective, action: str, actor: Actor, changes: list[str],
                  op_id: str | None = None) -> KeyResultData:
    data = await kr_view(tx.session, cal, kr, obj)
    publish_kr(tx, kr, obj, data, action, actor, changes, op_id)
    return data


def publish_kr(tx: BatchTx, kr: KeyResultState, obj: ObjectiveState, data: KeyResultData, action: str, actor: Actor,
               changes: list[str], op_id: str | None = None) -> None:
    """The key result's event, and its stamp on the cycle's dashboard."""
    tx.emit(make_event("okr", f"key_result.{action}", data, actor_id=actor.user_id or actor.label, op_id=op_id,
                       changes=changes, scope=_scope(obj)))
    stamp(tx, obj.cycle, kr_id=kr.id, kr_objective_id=obj.id)


@functools.cache
def _insert_history() -> sa.Insert:
    return sa.insert(History.__table__)


def record(tx: BatchTx, obj_id: int, entity: str, entity_id: int, action: str, actor: Actor, now: datetime,
           changes: list[dict[str, Any]] | None = None) -> None:
    """Who changed what: the transaction's history rows go in with one INSERT, in the batch
    that ends it."""
    rows: list[dict[str, Any]] | None = tx.state.get("history")
    if rows is None:
        rows = tx.state["history"] = []
        tx.defer(_insert_history(), rows)  # the list, as it stands at commit
    rows.append({"objective_id": obj_id, "entity": entity, "entity_id": entity_id, "action": action,
                 "actor_id": actor.user_id, "actor": actor.service, "at": now, "changes": changes or []})


async def history(session: AsyncSession, objective_id: int) -> list[dict[str, Any]]:
    await get_objective(session, objective_id, deleted=True)
    rows = (await session.execute(
        sa.select(History).where(History.objective_id == objective_id).order_by(History.at.desc(), History.id.desc()).limit(500)
    )).scalars()
    return [{"id": h.id, "entity": h.entity, "entity_id": h.entity_id, "action": h.action, "actor_id": h.actor_id,
             "actor": h.actor, "at": h.at.isoformat(), "changes": h.changes} for h in rows]


# ------------------------------------------------------------------ validation


async def check_owner(session: AsyncSession, user_id: Any, field: str = "owner_id") -> int:
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise invalid("must be a person's id", field)
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise invalid(f"no active person with id {user_id}", field)
    return user_id


async def check_parent(session: AsyncSession, obj_id: int | None, cycle: str, team_id: int, parent_id: Any) -> int | None:
    """Alignment: an objective of another team in the same cycle, and no loops."""
    if parent_id is None:
        return None
    if not isinstance(parent_id, int) or isinstance(parent_id, bool):
        raise invalid("must be an objective id", "parent_id")
    parent = await session.get(Objective, parent_id)
    if parent is None or parent.deleted_at is not None:
        raise invalid(f"objective {parent_id} does not exist", "parent_id")
    if parent.cycle != cycle:
        raise invalid("an objective supports one of the same quarter", "parent_id")
    if parent.team_id == team_id:
        raise invalid("an objective supports another team's objective", "parent_id")
    cursor: int | None = parent_id
    seen: set[int] = set()
    while cursor is not None and cursor not in seen:
        if cursor == obj_id:
            raise invalid("that alignment would go round in a circle", "parent_id")
        seen.add(cursor)
        cursor = (await session.execute(sa.select(Objective.parent_id).where(Objective.id == cursor))).scalar_one_or_none()
    return parent_id


# ------------------------------------------------------------------ per-field edits


async def _structural(tx: Tx, cal: Calendar, obj: Objective, actor: Actor, now: datetime) -> list[str]:
    """A structural change before the cycle starts sends a submitted/approved objective back to draft."""
    if goes_back_to_draft(obj, cal):
        before = obj.status
        obj.status = "draft"
        bump(obj, ["status"])
        record(tx, obj.id, "objective", obj.id, "back_to_draft", actor, now,
               [{"field": "status", "before": before, "after": "draft"}])
        return ["status"]
    return []


# ------------------------------------------------------------------ objectives


async def create_objective(tx: Tx, actor: Actor, cal: Calendar, body: dict[str, Any]) -> Objective:
    cycle = cal.resolve(body["cycle"]).id
    team = await tx.session.get(Team, body["team_id"])
    if team is None:
        raise invalid(f"team {body['team_id']} does not exist", "team_id")
    actor.require_write_team(team.id)
    owner_id = body.get("owner_id") or actor.user_id
    if owner_id is None:
        raise invalid("an owner is required", "owner_id")
    await check_owner(tx.session, owner_id)
    title = check_title(body["title"])
    parent_id = await check_parent(tx.session, None, cycle, team.id, body.get("parent_id"))
    now = cal.now
    position = (await tx.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(Objective.position), 0)).where(Objective.cycle == cycle, Objective.team_id == team.id)
    )).scalar_one() + 1
    obj = Objective(cycle=cycle, team_id=team.id, owner_id=owner_id, parent_id=parent_id, title=title,
                    description=body.get("description") or "", status="draft", version=1, field_versions={},
                    carried_from_id=body.get("carried_from_id"), position=position, created_at=now, updated_at=now)
    tx.session.add(obj)
    await tx.session.flush()
    record(tx, obj.id, "objective", obj.id, "created", actor, now, [{"field": "title", "before": None, "after": title}])
    for kr_body in body.get("key_results") or []:
        await create_kr(tx, actor, cal, obj.id, kr_body, emit_objective_change=False)
    await emit_objective(tx, cal, obj, "created", actor, [])
    return obj


async def update_objective(tx: Tx, actor: Actor, cal: Calendar, objective_id: int, changes: dict[str, Any],
                           version: int, base: dict[str, str] | None = None, op_id: str | None = None,
                           with_body: bool = True) -> EditResult:
    obj = await get_objective(tx.session, objective_id, lock=True)
    plan = plan_objective_edit(actor, obj, changes, version, base, cal)
    if plan.conflicts:
        raise conflict(plan.conflicts, await objective_view(tx.session, cal, obj))
    applied, merged = plan.applied, plan.merged
    if "owner_id" in applied:
        await check_owner(tx.session, changes["owner_id"])
    if "parent_id" in applied:
        await check_parent(tx.session, obj.id, obj.cycle, obj.team_id, changes["parent_id"])
    if not applied:
        return EditResult(version=obj.version, merged=merged,
                          body=await objective_view(tx.session, cal, obj) if with_body else {})
    for name, (_, after) in applied.items():
        setattr(obj, name, after)
    bump(obj, applied)
    now = cal.now
    obj.updated_at = now
    record(tx, obj.id, "objective", obj.id, "updated", actor, now,
           [{"field": k, "before": b, "after": a} for k, (b, a) in applied.items()])
    changed = list(applied)
    if plan.back_to_draft:
        changed += await _structural(tx, cal, obj, actor, now)
    await tx.session.flush()
    await emit_objective(tx, cal, obj, "updated", actor, changed, op_id)
    return EditResult(version=obj.version, merged=merged,
                      body=await objective_view(tx.session, cal, obj) if with_body else {})


async def delete_objective(tx: Tx, actor: Actor, cal: Calendar, objective_id: int) -> None:
    obj = await get_objective(tx.session, objective_id, lock=True)
    actor.require_write_team(obj.team_id)
    obj.deleted_at = cal.now
    bump(obj, ["deleted"])
    record(tx, obj.id, "objective", obj.id, "deleted", actor, cal.now)
    await emit_objective(tx, cal, obj, "deleted", actor, ["deleted"])


async def restore_objective(tx: Tx, actor: Actor, cal: Calendar, objective_id: int) -> Objective:
    obj = await get_objective(tx.session, objective_id, deleted=True, lock=True)
    actor.require_write_team(obj.team_id)
    if obj.deleted_at is None:
        return obj
    obj.deleted_at = None
    bump(obj, ["deleted"])
    record(tx, obj.id, "objective", obj.id, "restored", actor, cal.now)
    await emit_objective(tx, cal, obj, "restored", actor, ["deleted"])
    return obj


# ------------------------------------------------------------------ approval flow


async def submit(tx: Tx, actor: Actor, cal: Calendar, objective_id: int) -> Objective:
    obj = await get_objective(tx.session, objective_id, lock=True)
    actor.require_write_team(obj.team_id)
    if obj.status not in ("draft", "changes_requested"):
        raise Problem(409, f"Only drafts can be submitted; this one is {obj.status.replace('_', ' ')}.",
                      current=await objective_view(tx.session, cal, obj))
    krs = (await tx.session.execute(sa.select(sa.func.count()).select_from(KeyResult).where(
        KeyResult.objective_id == obj.id, KeyResult.deleted_at.is_(None)))).scalar_one()
    if not krs:
        raise Problem(422, "Add at least one key result before submitting.", title="Unprocessable Content")
    return await _set_status(tx, actor, cal, obj, "submitted", "submitted")


async def approve(tx: Tx, actor: Actor, cal: Calendar, objective_id: int) -> Objective:
    obj = await get_objective(tx.session, objective_id, lock=True)
    await require_decide(tx.session, actor, obj)
    if obj.status != "submitted":
        raise Problem(409, f"Only submitted objectives can be approved; this one is {obj.status.replace('_', ' ')}.",
                      current=await objective_view(tx.session, cal, obj))
    obj.review_by, obj.review_at, obj.review_comment = actor.user_id, cal.now, None
    return await _set_status(tx, actor, cal, obj, "approved", "approved", ["review"])


async def request_changes(tx: Tx, actor: Actor, cal: Calendar, objective_id: int, comment: str) -> Objective:
    if not comment or not comment.strip():
        raise invalid("say what should change", "comment")
    if len(comment) > 5000:
        raise invalid("at most 5,000 characters", "comment")
    obj = await get_objective(tx.session, objective_id, lock=True)
    await require_decide(tx.session, actor, obj)
    if obj.status != "submitted":
        raise Problem(409, f"Only submitted objectives can be sent back; this one is {obj.status.replace('_', ' ')}.",
                      current=await objective_view(tx.session, cal, obj))
    obj.review_by, obj.review_at, obj.review_comment = actor.user_id, cal.now, comment
    return await _set_status(tx, actor, cal, obj, "changes_requested", "changes_requested", ["review"])


async def _set_status(tx: Tx, actor: Actor, cal: Calendar, obj: Objective, status: str, action: str,
                      extra: list[str] | None = None) -> Objective:
    before = obj.status
    obj.status = status
    fields = ["status", *(extra or [])]
    bump(obj, fields)
    obj.updated_at = cal.now
    record(tx, obj.id, "objective", obj.id, action, actor, cal.now,
           [{"field": "status", "before": before, "after": status}]
           + ([{"field": "review_comment", "before": None, "after": obj.review_comment}] if obj.review_comment else []))
    await tx.session.flush()
    await emit_objective(tx, cal, obj, action, actor, fields)
    return obj


async def close(tx: Tx, actor: Actor, cal: Calendar, objective_id: int, score: float | None, note: str) -> Objective:
    obj = await get_objective(tx.session, objective_id, lock=True)
    actor.require_close(obj)
    if obj.status == "closed":
        raise Problem(409, "Already closed.", current=await objective_view(tx.session, cal, obj))
    view = await objective_view(tx.session, cal, obj)
    final = round(view["progress"], 2) if score is None else score
    if not 0.0 <= final <= 1.0:
        raise invalid("the score is between 0.0 and 1.0", "score")
    before = obj.status
    obj.score, obj.closing_note = final, note or ""
    obj.status = "closed"
    bump(obj, ["status", "score", "closing_note"])
    record(tx, obj.id, "objective", obj.id, "closed", actor, cal.now,
           [{"field": "status", "before": before, "after": "closed"}, {"field": "score", "before": None, "after": final}])
    await tx.session.flush()
    await emit_objective(tx, cal, obj, "closed", actor, ["status", "score", "closing_note"])
    return obj


async def carry_over(tx: Tx, actor: Actor, cal: Calendar, objective_id: int) -> Objective:
    """§9: the next cycle's draft with the unfinished key results, each starting where it
    ended (`carried_from_id` on both). An open objective is closed first, with the
    suggested score."""
    obj = await get_objective(tx.session, objective_id, lock=True)
    actor.require_write_team(obj.team_id)
    nxt = cal.cycle(obj.cycle).next().id
    existing = (await tx.session.execute(sa.select(Objective).where(
        Objective.carried_from_id == obj.id, Objective.deleted_at.is_(None)))).scalar_one_or_none()
    if existing is not None:
        raise Problem(409, "This objective was already carried over.", current={"id": existing.id, "cycle": existing.cycle})
    if obj.status != "closed":
        await close(tx, actor, cal, obj.id, None, "")
    view = await objective_view(tx.session, cal, obj)
    unfinished = {k["id"] for k in view["key_results"] if k["progress"] < 1}
    krs = list((await tx.session.execute(sa.select(KeyResult).where(
        KeyResult.objective_id == obj.id, KeyResult.deleted_at.is_(None)).order_by(KeyResult.position, KeyResult.id))).scalars())
    krs = [k for k in krs if k.id in unfinished]
    items = await items_of(tx.session, [k.id for k in krs])
    body = {"cycle": nxt, "team_id": obj.team_id, "owner_id": obj.owner_id, "title": obj.title,
            "description": obj.description, "carried_from_id": obj.id,
            "key_results": [{"title": k.title, "owner_id": k.owner_id, "kind": k.kind,
                             # What was reached is the new baseline.
                             "start": k.current if k.kind in ("number", "percent") and k.current != k.target else k.start,
                             "target": k.target, "unit": k.unit, "weight": k.weight, "carried_from_id": k.id,
                             "items": [{"title": i.title, "done": i.done} for i in items.get(k.id, [])]}
                            for k in krs]}
    new = await create_objective(tx, actor, cal, body)
    record(tx, obj.id, "objective", obj.id, "carried_over", actor, cal.now,
           [{"field": "carried_to", "before": None, "after": new.id}])
    return new


# ------------------------------------------------------------------ key results


async def create_kr(tx: Tx, actor: Actor, cal: Calendar, objective_id: int, body: dict[str, Any],
                    emit_objective_change: bool = True) -> KeyResult:
    obj = await get_objective(tx.session, objective_id, lock=True)
    actor.require_write_team(obj.team_id)
    require_open(obj)
    kind = body.get("kind") or "number"
    items = body.get("items") or []
    start = _number(body.get("start", 0.0), "start")
    default_target = {"percent": 100.0, "boolean": 1.0, "milestone": float(len(items))}.get(kind, 100.0)
    target = _number(body["target"], "target") if body.get("target") is not None else default_target
    if kind == "boolean":
        start, target = 0.0, 1.0
    if kind == "milestone":
        start, target = 0.0, float(len(items))
    weight = _number(body.get("weight", 1.0), "weight")
    check_kr_shape(kind, start, target, weight)
    owner_id = await check_owner(tx.session, body.get("owner_id") or obj.owner_id)
    position = (await tx.session.execute(sa.select(sa.func.coalesce(sa.func.max(KeyResult.position), 0)).where(
        KeyResult.objective_id == obj.id))).scalar_one() + 1
    kr = KeyResult(objective_id=obj.id, title=check_title(body["title"]), owner_id=owner_id, kind=kind, start=start,
                   target=target, current=start, unit=(body.get("unit") or "")[:32], weight=weight, confidence=None,
                   version=1, field_versions={}, position=position, created_at=cal.now,
                   carried_from_id=body.get("carried_from_id") if isinstance(body.get("carried_from_id"), int) else None)
    tx.session.add(kr)
    await tx.session.flush()
    for n, item in enumerate(items):
        tx.session.add(MilestoneItem(key_result_id=kr.id, title=check_title(item["title"], "items"),
                                     done=bool(item.get("done")), position=n))
    if items:
        kr.current = float(sum(1 for i in items if i.get("done")))
    await tx.session.flush()
    record(tx, obj.id, "key_result", kr.id, "created", actor, cal.now, [{"field": "title", "before": None, "after": kr.title}])
    changed = await _structural(tx, cal, obj, actor, cal.now) if emit_objective_change else []
    await emit_kr(tx, cal, kr, obj, "created", actor, [])
    if changed:
        await emit_objective(tx, cal, obj, "updated", actor, changed)
    return kr


async def _replace_items(tx: Tx, kr: KeyResult, items: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not isinstance(items, list) or len(items) > 100:
        raise invalid("items is a list of at most 100 {title, done}", "items")
    existing = (await items_of(tx.session, [kr.id])).get(kr.id, [])
    before = [{"id": i.id, "title": i.title, "done": i.done} for i in existing]
    by_id = {i.id: i for i in existing}
    keep: set[int] = set()
    for n, raw in enumerate(items):
        if not isinstance(raw, dict):
            raise invalid("each item is {title, done}", "items")
        title = check_title(raw.get("title"), "items")
        item_id = raw.get("id")
        item = by_id.get(item_id) if isinstance(item_id, int) else None
        if item is None:
            item = MilestoneItem(key_result_id=kr.id, title=title, done=bool(raw.get("done")), position=n)
            tx.session.add(item)
        else:
            item.title, item.done, item.position = title, bool(raw.get("done", item.done)), n
            keep.add(item.id)
    for item in existing:
        if item.id not in keep:
            await tx.session.delete(item)
    await tx.session.flush()
    after_items = (await items_of(tx.session, [kr.id])).get(kr.id, [])
    kr.target = float(len(after_items))
    kr.current = float(sum(1 for i in after_items if i.done))
    return before, [{"id": i.id, "title": i.title, "done": i.done} for i in after_items]


async def update_kr(tx: Tx, actor: Actor, cal: Calendar, kr_id: int, changes: dict[str, Any], version: int,
                    base: dict[str, str] | None = None, op_id: str | None = None) -> EditResult:
    kr = await get_kr(tx.session, kr_id, lock=True)
    obj = await get_objective(tx.session, kr.objective_id, lock=True)
    plan = plan_kr_edit(actor, obj, kr, changes, version, base, cal)
    if plan.conflicts:
        raise conflict(plan.conflicts, (await kr_view(tx.session, cal, kr, obj)).model_dump(mode="json"))
    applied, merged = plan.applied, plan.merged
    if "owner_id" in applied:
        await check_owner(tx.session, changes["owner_id"])
    for name, (_, after) in applied.items():
        setattr(kr, name, after)
    if "kind" in applied:
        if kr.kind == "boolean":
            kr.start, kr.target = 0.0, 1.0
            kr.current = 1.0 if kr.current >= 1 else 0.0
        elif kr.kind == "milestone":
            kr.start = 0.0
    if "items" in changes:
        before_items, after_items = await _replace_items(tx, kr, changes["items"])
        if before_items != after_items:
            applied["items"] = (before_items, after_items)
    check_kr_shape(kr.kind, kr.start, kr.target, kr.weight) if kr.kind != "milestone" else None
    if not applied:
        return EditResult(version=kr.version, merged=merged,
                          body=(await kr_view(tx.session, cal, kr, obj)).model_dump(mode="json"))
    bump(kr, applied)
    record(tx, obj.id, "key_result", kr.id, "updated", actor, cal.now,
           [{"field": k, "before": b, "after": a} for k, (b, a) in applied.items()])
    changed_obj: list[str] = []
    if KR_STRUCTURAL & set(applied):
        changed_obj = await _structural(tx, cal, obj, actor, cal.now)
        await forecasts.refit(tx.session, cal, kr, obj.cycle)  # a kind or items bound the forecast
    await tx.session.flush()
    data = await emit_kr(tx, cal, kr, obj, "updated", actor, list(applied), op_id)
    if changed_obj:
        await emit_objective(tx, cal, obj, "updated", actor, changed_obj)
    return EditResult(version=kr.version, merged=merged, body=data.model_dump(mode="json"))


async def delete_kr(tx: Tx, actor: Actor, cal: Calendar, kr_id: int) -> None:
    kr = await get_kr(tx.session, kr_id, lock=True)
    obj = await get_objective(tx.session, kr.objective_id, lock=True)
    actor.require_write_team(obj.team_id)
    require_open(obj)
    kr.deleted_at = cal.now
    bump(kr, ["deleted"])
    record(tx, obj.id, "key_result", kr.id, "deleted", actor, cal.now)
    changed = await _structural(tx, cal, obj, actor, cal.now)
    await emit_kr(tx, cal, kr, obj, "deleted", actor, ["deleted"])
    if changed:
        await emit_objective(tx, cal, obj, "updated", actor, changed)


async def restore_kr(tx: Tx, actor: Actor, cal: Calendar, kr_id: int) -> KeyResult:
    kr = await get_kr(tx.session, kr_id, deleted=True, lock=True)
    obj = await get_objective(tx.session, kr.objective_id, lock=True)
    actor.require_write_team(obj.team_id)
    if kr.deleted_at is None:
        return kr
    kr.deleted_at = None
    bump(kr, ["deleted"])
    record(tx, obj.id, "key_result", kr.id, "restored", actor, cal.now)
    changed = await _structural(tx, cal, obj, actor, cal.now)
    await emit_kr(tx, cal, kr, obj, "restored", actor, ["deleted"])
    if changed:
        await emit_objective(tx, cal, obj, "updated", actor, changed)
    return kr


async def list_krs(session: AsyncSession, cal: Calendar, *, owner_id: int | None, cycle: str | None,
                   ids: list[int] | None = None) -> list[dict[str, Any]]:
    stmt = (sa.select(KeyResult, Objective).join(Objective, Objective.id == KeyResult.objective_id)
            .where(KeyResult.deleted_at.is_(None), Objective.deleted_at.is_(None)))
    if ids is not None:
        stmt = stmt.where(KeyResult.id.in_(ids))
    if owner_id is not None:
        stmt = stmt.where(KeyResult.owner_id == owner_id)
    if cycle:
        stmt = stmt.where(Objective.cycle == cal.resolve(cycle).id)
    rows = list((await session.execute(stmt.order_by(Objective.cycle, Objective.id, KeyResult.position, KeyResult.id).limit(2000))).all())
    items = await items_of(session, [kr.id for kr, _ in rows if kr.kind == "milestone"])
    out = []
    for kr, obj in rows:
        body = kr_data(kr, items.get(kr.id, []), cal.moment(cal.cycle(obj.cycle))).model_dump(mode="json")
        body["objective"] = {"id": obj.id, "title": obj.title, "cycle": obj.cycle, "team_id": obj.team_id,
                             "status": obj.status}
        out.append(body)
    return out


# ------------------------------------------------------------------ check-ins


async def _latest_check_in(session: AsyncSession, kr_id: int) -> CheckIn | None:
    return (await session.execute(sa.select(CheckIn).where(CheckIn.key_result_id == kr_id)
                                  .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(1))).scalar_one_or_none()


async def _follow_latest(tx: Tx, kr: KeyResult) -> None:
    """The KR's current value and confidence follow its latest remaining check-in."""
    latest = await _latest_check_in(tx.session, kr.id)
    if latest is None:
        kr.current = 0.0 if kr.kind == "milestone" else kr.start
        kr.confidence = None
        kr.last_check_in_at = None
        return
    kr.current = latest.value
    kr.last_check_in_at = latest.created_at
    confidence = (await tx.session.execute(
        sa.select(CheckIn.confidence).where(CheckIn.key_result_id == kr.id, CheckIn.confidence.is_not(None))
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(1))).scalar_one_or_none()
    kr.confidence = confidence


def check_backfill(actor: Actor, cal: Calendar, obj: Objective | Any, kr: KeyResult | Any, at: datetime) -> None:
    """§9: an admin may record a check-in as of a past moment inside the key result's
    cycle (days in the org's timezone), never in the future."""
    if not actor.is_admin:
        raise Problem(403, "Only an admin can record a check-in in the past.")
    if at.tzinfo is None:
        raise invalid("give a time with its offset, e.g. 2027-01-05T10:00:00+09:00", "created_at")
    if not 1970 <= at.year <= 9000:
        raise invalid("within the key result's quarter", "created_at")
    if at > cal.now:
        raise invalid("a check-in can't be in the future", "created_at")
    cycle = cal.cycle(obj.cycle)
    day = local_today(at, cal.timezone)
    if not cycle.start <= day <= cycle.end:
        raise invalid(f"within the key result's quarter, {cycle.start.isoformat()} to {cycle.end.isoformat()}",
                      "created_at")
    if kr.kind == "milestone":
        raise invalid("a milestone's check-ins are its ticked items; they can't be back-filled", "created_at")


async def check_in(tx: Tx, actor: Actor, cal: Calendar, kr_id: int, *, value: float | None, confidence: int | None,
                   note: str, item_id: int | None = None, done: bool | None = None,
                   created_at: datetime | None = None) -> CheckIn:
    kr = await get_kr(tx.session, kr_id, lock=True)
    obj = await get_objective(tx.session, kr.objective_id)
    if actor.user_id is None:
        raise Problem(403, "Check-ins are made by people.")
    actor.require_check_in(kr, obj)
    if created_at is not None:
        check_backfill(actor, cal, obj, kr, created_at)
    if obj.status == "closed":
        raise Problem(409, "This objective is closed; check-ins are over for it.")
    if confidence is not None and not (isinstance(confidence, int) and 0 <= confidence <= 10):
        raise invalid("confidence is a whole number from 0 to 10", "confidence")
    if len(note or "") > 2000:
        raise invalid("at most 2,000 characters", "note")
    if kr.kind == "milestone":
        if item_id is not None:
            item = await tx.session.get(MilestoneItem, item_id)
            if item is None or item.key_result_id != kr.id:
                raise invalid(f"item {item_id} is not on this key result", "item_id")
            item.done = bool(done) if done is not None else not item.done
            await tx.session.flush()
        all_items = (await items_of(tx.session, [kr.id])).get(kr.id, [])
        value = float(sum(1 for i in all_items if i.done))
    elif value is None:
        raise invalid("a value is required", "value")
    else:
        value = _number(value, "value")
        if kr.kind == "boolean":
            value = 1.0 if value >= 0.5 else 0.0
    ci = CheckIn(key_result_id=kr.id, value=value, confidence=confidence, note=note or "", author_id=actor.user_id,
                 created_at=created_at.astimezone(UTC) if created_at is not None else cal.now)
    tx.session.add(ci)
    await tx.session.flush()
    if created_at is not None:
        await _follow_latest(tx, kr)  # a back-filled one is the latest only if nothing came after it
    else:
        kr.current = value
        if confidence is not None:
            kr.confidence = confidence
        kr.last_check_in_at = ci.created_at
    bump(kr, ["current", "confidence", "last_check_in_at"])
    await forecasts.refit(tx.session, cal, kr, obj.cycle)
    tx.emit(make_event("okr", "check_in.created", _ci_data(ci), actor_id=actor.user_id, scope=_scope(obj)))
    await emit_kr(tx, cal, kr, obj, "updated", actor, ["current", "confidence", "last_check_in_at"])
    return ci


def _ci_data(ci: CheckIn) -> CheckInData:
    return CheckInData.model_validate(check_in_json(ci))


async def list_check_ins(session: AsyncSession, kr_id: int, limit: int = 500) -> list[dict[str, Any]]:
    await get_kr(session, kr_id, deleted=True)
    rows = (await session.execute(sa.select(CheckIn).where(CheckIn.key_result_id == kr_id)
                                  .order_by(CheckIn.created_at, CheckIn.id).limit(limit))).scalars()
    return [check_in_json(c) for c in rows]


async def _editable_check_in(tx: Tx, actor: Actor, cal: Calendar, check_in_id: int) -> tuple[CheckIn, KeyResult, Objective]:
    ci = await tx.session.get(CheckIn, check_in_id)
    if ci is None:
        raise not_found(f"Check-in {check_in_id}")
    actor.require_writer()
    if not actor.is_admin:
        if ci.author_id != actor.user_id:
            raise Problem(403, "Only the author (or an admin) can change a check-in.")
        if cal.now - ci.created_at > CORRECTION_WINDOW:
            raise Problem(403, "Check-ins can be corrected for 24 hours; ask an admin.")
    kr = await get_kr(tx.session, ci.key_result_id, lock=True)
    obj = await get_objective(tx.session, kr.objective_id)
    return ci, kr, obj


async def update_check_in(tx: Tx, actor: Actor, cal: Calendar, check_in_id: int, changes: dict[str, Any]) -> CheckIn:
    ci, kr, obj = await _editable_check_in(tx, actor, cal, check_in_id)
    if "value" in changes and changes["value"] is not None:
        ci.value = _number(changes["value"], "value")
    if "confidence" in changes:
        conf = changes["confidence"]
        if conf is not None and not (isinstance(conf, int) and 0 <= conf <= 10):
            raise invalid("confidence is a whole number from 0 to 10", "confidence")
        ci.confidence = conf
    if "note" in changes and changes["note"] is not None:
        if len(changes["note"]) > 2000:
            raise invalid("at most 2,000 characters", "note")
        ci.note = changes["note"]
    await tx.session.flush()
    await _follow_latest(tx, kr)
    bump(kr, ["current", "confidence", "last_check_in_at"])
    await forecasts.refit(tx.session, cal, kr, obj.cycle)
    tx.emit(make_event("okr", "check_in.updated", _ci_data(ci), actor_id=actor.user_id, scope=_scope(obj)))
    await emit_kr(tx, cal, kr, obj, "updated", actor, ["current", "confidence"])
    return ci


async def delete_check_in(tx: Tx, actor: Actor, cal: Calendar, check_in_id: int) -> None:
    ci, kr, obj = await _editable_check_in(tx, actor, cal, check_in_id)
    data = _ci_data(ci)
    await tx.session.delete(ci)
    await tx.session.flush()
    await _follow_latest(tx, kr)
    bump(kr, ["current", "confidence", "last_check_in_at"])
    await forecasts.refit(tx.session, cal, kr, obj.cycle)
    record(tx, obj.id, "check_in", data.id, "deleted", actor, cal.now,
           [{"field": "value", "before": data.value, "after": None}])
    tx.emit(make_event("okr", "check_in.deleted", data, actor_id=actor.user_id, scope=_scope(obj)))
    await emit_kr(tx, cal, kr, obj, "updated", actor, ["current", "confidence", "last_check_in_at"])
