"""Key results: create, edit (per-field versions; structural changes send a submitted
objective back to draft), milestone items, delete and restore, and the list of someone's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from boost_bus import Tx
from boost_platform.problems import invalid
from sqlalchemy.ext.asyncio import AsyncSession

from ..access import Actor
from ..calendar import Calendar
from ..forecast import service as forecasts
from ..models import KeyResult, MilestoneItem, Objective
from ..objectives.edits import (
    KR_STRUCTURAL,
    EditResult,
    bump,
    check_kr_shape,
    check_title,
    conflict,
    plan_kr_edit,
    require_open,
)
from ..objectives.edits import number as _number
from ..objectives.store import (
    back_to_draft,
    check_owner,
    emit_kr,
    emit_objective,
    get_kr,
    get_objective,
    items_of,
    kr_view,
    record,
)
from ..serialize import kr_data


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
    changed = await back_to_draft(tx, cal, obj, actor, cal.now) if emit_objective_change else []
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
        changed_obj = await back_to_draft(tx, cal, obj, actor, cal.now)
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
    changed = await back_to_draft(tx, cal, obj, actor, cal.now)
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
    changed = await back_to_draft(tx, cal, obj, actor, cal.now)
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
