"""Edits as people type (`okr.cmd.edit` from the realtime service): the text fields of
objectives and key results, in two round trips to the database.

Typing sends an edit every few keystrokes, and on this kind of machine a round trip costs
more than the statement it carries. So the edit reads everything it needs in one batch (the
row locked, the editor's rights, the key results its event reports) and writes everything
it changed in another (the row, the history, the receipt, the event's outbox row and the
dashboard stamp, whose procedure COMMITs): `boost_platform.db.execute_batch`.

Both go on a pooled connection without an ORM session (`Outbox.batch_transaction`): on
this kind of machine the session's begin, checkout, commit and close cost more than the
SQL. Only the loading and storing are this module's: who may edit, what the edit changes,
per-field versions and the merge are decided by `edits.plan_*_edit`, the same rules the full
path (`service`) runs, and the editor is made by `access.actor_of` from the same columns
`access.load_actor` reads. What this way of storing cannot do (owners, parents, numbers,
kinds, milestone items, a status change back to draft) raises `FullPath`: the exception
rolls the batch back and the caller takes the full path."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from boost_bus import BatchTx
from boost_contracts.messages import EditCommand
from boost_platform.db import Rows, execute_batch
from boost_platform.problems import not_found

from ..access import Actor, actor_of
from ..calendar import Calendar
from ..models import KeyResult, Membership, MilestoneItem, Objective, User
from ..serialize import kr_data, objective_data, objective_json
from . import store
from .edits import (
    KR_TEXT,
    OBJECTIVE_TEXT,
    EditResult,
    KeyResultState,
    ObjectiveState,
    Versioned,
    bump,
    conflict,
    plan_kr_edit,
    plan_objective_edit,
)

LIVE_FIELDS = {"objective": OBJECTIVE_TEXT, "key_result": KR_TEXT}


class FullPath(Exception):
    """The edit is more than typing: roll back and take `service`'s full path."""


def takes(cmd: EditCommand) -> bool:
    """A person typing in text fields only: what this path may answer."""
    fields = LIVE_FIELDS.get(cmd.entity)
    return isinstance(cmd.actor_id, int) and fields is not None and bool(cmd.changes) and set(cmd.changes) <= fields

objectives, key_results, items = Objective.__table__, KeyResult.__table__, MilestoneItem.__table__


def actor_columns() -> list[Any]:
    """The editor's rights, as columns of the locked objective's row (subqueries: they lock nothing)."""
    users, memberships = User.__table__, Membership.__table__
    actor_id: sa.BindParameter[int] = sa.bindparam("actor_id")
    return [
        sa.select(users.c.role).where(users.c.id == actor_id).scalar_subquery().label("actor_role"),
        sa.select(users.c.active).where(users.c.id == actor_id).scalar_subquery().label("actor_active"),
        sa.select(memberships.c.role).where(memberships.c.user_id == actor_id,
                                            memberships.c.team_id == objectives.c.team_id)
        .scalar_subquery().label("actor_team_role"),
    ]


@functools.cache
def _reads_for_objective() -> list[sa.Select]:
    """The objective locked, with the editor's rights; its key results and their milestone items."""
    entity_id: sa.BindParameter[int] = sa.bindparam("entity_id")
    live_krs = sa.and_(key_results.c.objective_id == entity_id, key_results.c.deleted_at.is_(None))
    return [
        sa.select(objectives, *actor_columns()).where(objectives.c.id == entity_id).with_for_update(),
        sa.select(key_results).where(live_krs).order_by(key_results.c.position, key_results.c.id),
        sa.select(items).join(key_results, key_results.c.id == items.c.key_result_id)
        .where(live_krs, key_results.c.kind == "milestone").order_by(items.c.position, items.c.id),
    ]


@functools.cache
def _reads_for_kr() -> list[sa.Select]:
    """The key result and its objective locked, in the full path's order; its milestone items."""
    entity_id: sa.BindParameter[int] = sa.bindparam("entity_id")
    return [
        sa.select(key_results).where(key_results.c.id == entity_id).with_for_update(),
        sa.select(objectives, *actor_columns()).where(
            objectives.c.id == sa.select(key_results.c.objective_id).where(key_results.c.id == entity_id)
            .scalar_subquery()).with_for_update(),
        sa.select(items).where(items.c.key_result_id == entity_id).order_by(items.c.position, items.c.id),
    ]


@functools.cache
def _update(table: sa.Table) -> sa.Update:
    return sa.update(table).where(table.c.id == sa.bindparam("entity_id"))


async def read_batch(tx: BatchTx, statements: list[sa.Select], actor_id: int, entity_id: int) -> list[Rows]:
    values = {"actor_id": actor_id, "entity_id": entity_id}
    return await execute_batch(await tx.connection(), [(s, values) for s in statements])


def actor_from_row(actor_id: int, row: dict[str, Any]) -> Actor:
    """The editor (only their role in the objective's team matters to an edit)."""
    team_role = row["actor_team_role"]
    return actor_of(actor_id, row["actor_role"], row["actor_active"], {row["team_id"]: team_role} if team_role else {})


def entity_from_row(row: dict[str, Any]) -> Any:
    """The row as an object with its model's attributes, which is all the rules and
    `serialize` read of it (not an ORM instance: nothing tracks it)."""
    return SimpleNamespace(**{k: v for k, v in row.items() if not k.startswith("actor_")})


async def edit(tx: BatchTx, actor_id: int, cal: Calendar, cmd: EditCommand) -> EditResult:
    """An edit `takes` accepted; raises `FullPath` when it turns out to need the full path."""
    if cmd.entity == "objective":
        return await _edit_objective(tx, actor_id, cal, cmd)
    return await _edit_kr(tx, actor_id, cal, cmd)


async def _edit_objective(tx: BatchTx, actor_id: int, cal: Calendar, cmd: EditCommand) -> EditResult:
    head, krs, kr_items = await read_batch(tx, _reads_for_objective(), actor_id, cmd.id)
    if not head or head[0]["deleted_at"] is not None:
        raise not_found(f"Objective {cmd.id}")
    row = entity_from_row(head[0])
    actor, obj = actor_from_row(actor_id, head[0]), cast(ObjectiveState, row)
    plan = plan_objective_edit(actor, obj, dict(cmd.changes), cmd.version, cmd.base, cal)
    moment = cal.moment(cal.cycle(obj.cycle))
    krs_data = [kr_data(entity_from_row(kr), [entity_from_row(i) for i in kr_items if i["key_result_id"] == kr["id"]], moment)
                for kr in krs]
    if plan.conflicts:
        raise conflict(plan.conflicts, objective_json(entity_from_row(head[0]), krs_data, moment))
    if not plan.applied:
        return EditResult(version=obj.version, merged=plan.merged)
    if plan.back_to_draft:
        raise FullPath
    _apply(tx, objectives, obj, plan.applied, updated_at=cal.now)
    store.record(tx, obj.id, "objective", obj.id, "updated", actor, cal.now,
                   [{"field": k, "before": b, "after": a} for k, (b, a) in plan.applied.items()])
    store.publish_objective(tx, obj, objective_data(row, krs_data, moment), "updated", actor,
                              list(plan.applied), cmd.op_id)
    return EditResult(version=obj.version, merged=plan.merged)


async def _edit_kr(tx: BatchTx, actor_id: int, cal: Calendar, cmd: EditCommand) -> EditResult:
    head_kr, head, kr_items = await read_batch(tx, _reads_for_kr(), actor_id, cmd.id)
    if not head_kr or head_kr[0]["deleted_at"] is not None:
        raise not_found(f"Key result {cmd.id}")
    if not head or head[0]["deleted_at"] is not None:
        raise not_found(f"Objective {head_kr[0]['objective_id']}")
    actor = actor_from_row(actor_id, head[0])
    kr_row = entity_from_row(head_kr[0])
    obj, kr = cast(ObjectiveState, entity_from_row(head[0])), cast(KeyResultState, kr_row)
    plan = plan_kr_edit(actor, obj, kr, dict(cmd.changes), cmd.version, cmd.base, cal)
    moment = cal.moment(cal.cycle(obj.cycle))
    kr_items_ = [entity_from_row(i) for i in kr_items]
    if plan.conflicts:
        raise conflict(plan.conflicts, kr_data(kr_row, kr_items_, moment).model_dump(mode="json"))
    if not plan.applied:
        return EditResult(version=kr.version, merged=plan.merged)
    if plan.back_to_draft:
        raise FullPath
    _apply(tx, key_results, kr, plan.applied)
    store.record(tx, obj.id, "key_result", kr.id, "updated", actor, cal.now,
                   [{"field": k, "before": b, "after": a} for k, (b, a) in plan.applied.items()])
    store.publish_kr(tx, kr, obj, kr_data(kr_row, kr_items_, moment), "updated", actor, list(plan.applied),
                       cmd.op_id)
    return EditResult(version=kr.version, merged=plan.merged)


def _apply(tx: BatchTx, table: sa.Table, entity: Versioned, applied: dict[str, tuple[Any, Any]], **extra: Any) -> None:
    """The change on the row we hold (for the event) and in the closing batch (for the database)."""
    for name, (_, after) in applied.items():
        setattr(entity, name, after)
    bump(entity, applied)
    for name, value in extra.items():
        setattr(entity, name, value)
    tx.defer(_update(table), {**{name: getattr(entity, name) for name in applied}, "version": entity.version,
                              "field_versions": entity.field_versions, **extra, "entity_id": entity.id})
