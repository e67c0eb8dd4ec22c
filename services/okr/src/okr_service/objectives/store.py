"""Objectives and key results as every slice that changes them needs them: loading (with
their derived figures), their events (and the dashboard stamp), history, and the checks of
owners and alignment."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from boost_bus import BatchTx, Tx
from boost_contracts.events import KeyResultData, make_event
from boost_platform.problems import invalid, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..access import Actor
from ..calendar import Calendar
from ..domain.progress import Moment
from ..models import History, KeyResult, MilestoneItem, Objective, User
from ..org.service import stamp
from ..serialize import kr_data, objective_data, objective_json
from .edits import (
    KeyResultState,
    ObjectiveState,
    bump,
    goes_back_to_draft,
)

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


def scope_of(obj: ObjectiveState) -> dict[str, Any]:
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
                       changes=changes, scope=scope_of(obj)))
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
                       changes=changes, scope=scope_of(obj)))
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


async def back_to_draft(tx: Tx, cal: Calendar, obj: Objective, actor: Actor, now: datetime) -> list[str]:
    """A structural change before the cycle starts sends a submitted/approved objective back to draft."""
    if goes_back_to_draft(obj, cal):
        before = obj.status
        obj.status = "draft"
        bump(obj, ["status"])
        record(tx, obj.id, "objective", obj.id, "back_to_draft", actor, now,
               [{"field": "status", "before": before, "after": "draft"}])
        return ["status"]
    return []
