"""Edits as people type (`okr.cmd.edit` from the realtime service): the text fields of
objectives and key results, in two round trips to the database.

Typing sends an edit every few keystrokes, and on this kind of machine a round trip costs
more than the statement it carries. So the edit reads everything it needs in one batch (the
row locked, the editor's rights, the key results its event reports) and writes everything
it changed in another (the row, the history, the receipt, the event's outbox row and the
dashboard stamp, whose procedure COMMITs): `boost_platform.db.execute_batch`.

Both go on a pooled connection without an ORM session (`Outbox.batch_transaction`): on
this kind of machine the session's begin, checkout, commit and close cost more than the
SQL. The rules are the full path's own (`service`: validation, per-field versions and the
text merge, the event's data). Whatever is not a plain text edit (owners, parents, numbers,
kinds, milestone items, or a title edit that sends a submitted objective back to draft)
raises `FullPath`: the caller rolls back and takes the full path."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from boost_bus import BatchTx
from boost_contracts.messages import EditCommand
from boost_platform.db import Rows, execute_batch
from boost_platform.problems import Problem, not_found

from ..access import Actor
from ..calendar import Calendar
from ..models import KeyResult, Membership, MilestoneItem, Objective, User
from ..serialize import kr_data, objective_data, objective_json
from . import service

LIVE_FIELDS = {"objective": service.OBJECTIVE_TEXT, "key_result": service.KR_TEXT}


class FullPath(Exception):
    """The edit is more than typing: roll back and take `service`'s full path."""


def takes(cmd: EditCommand) -> bool:
    """A person typing in text fields only: what this path may answer."""
    fields = LIVE_FIELDS.get(cmd.entity)
    return isinstance(cmd.actor_id, int) and fields is not None and bool(cmd.changes) and set(cmd.changes) <= fields

objectives, key_results, items = Objective.__table__, KeyResult.__table__, MilestoneItem.__table__


def _actor_columns() -> list[Any]:
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
        sa.select(objectives, *_actor_columns()).where(objectives.c.id == entity_id).with_for_update(),
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
        sa.select(objectives, *_actor_columns()).where(
            objectives.c.id == sa.select(key_results.c.objective_id).where(key_results.c.id == entity_id)
            .scalar_subquery()).with_for_update(),
        sa.select(items).where(items.c.key_result_id == entity_id).order_by(items.c.position, items.c.id),
    ]


@functools.cache
def _update(table: sa.Table) -> sa.Update:
    return sa.update(table).where(table.c.id == sa.bindparam("entity_id"))


async def _read(tx: BatchTx, statements: list[sa.Select], actor_id: int, entity_id: int) -> list[Rows]:
    values = {"actor_id": actor_id, "entity_id": entity_id}
    return await execute_batch(await tx.connection(), [(s, values) for s in statements])


def _actor(actor_id: int, row: dict[str, Any]) -> Actor:
    if not row["actor_active"]:
        raise Problem(401, "Your account is not active; sign in again.")
    team_role = row["actor_team_role"]
    return Actor(user_id=actor_id, role=row["actor_role"], teams={row["team_id"]: team_role} if team_role else {})


def _entity(row: dict[str, Any]) -> Any:
    """The row as an object with its model's attributes, which is all `service` and
    `serialize` read of it (not an ORM instance: nothing tracks it)."""
    return SimpleNamespace(**{k: v for k, v in row.items() if not k.startswith("actor_")})


async def edit(tx: BatchTx, actor_id: int, cal: Calendar, cmd: EditCommand) -> service.EditResult:
    """An edit `takes` accepted; raises `FullPath` when it turns out to need the full path."""
    if cmd.entity == "objective":
        return await _edit_objective(tx, actor_id, cal, cmd)
    return await _edit_kr(tx, actor_id, cal, cmd)


async def _edit_objective(tx: BatchTx, actor_id: int, cal: Calendar, cmd: EditCommand) -> service.EditResult:
    head, krs, kr_items = await _read(tx, _reads_for_objective(), actor_id, cmd.id)
    if not head or head[0]["deleted_at"] is not None:
        raise not_found(f"Objective {cmd.id}")
    actor, obj = _actor(actor_id, head[0]), _entity(head[0])
    actor.require_write_team(obj.team_id)
    service.require_open(obj)
    changes = dict(cmd.changes)
    service.check_objective_text(changes)
    moment = cal.moment(cal.cycle(obj.cycle))
    krs_data = [kr_data(_entity(kr), [_entity(i) for i in kr_items if i["key_result_id"] == kr["id"]], moment)
                for kr in krs]
    applied, merged, conflicts = service.apply_fields(obj, changes, cmd.version, cmd.base, service.OBJECTIVE_TEXT)
    if conflicts:
        raise service.conflict(conflicts, objective_json(obj, krs_data, moment))
    service.check_objective_text(merged)
    if not applied:
        return service.EditResult(version=obj.version, merged=merged)
    if service.OBJECTIVE_STRUCTURAL & set(applied) and obj.status in ("submitted", "approved") \
            and not cal.started(cal.cycle(obj.cycle)):
        raise FullPath  # back to draft
    _apply(tx, objectives, obj, applied, updated_at=cal.now)
    service.record(tx, obj.id, "objective", obj.id, "updated", actor, cal.now,
                   [{"field": k, "before": b, "after": a} for k, (b, a) in applied.items()])
    service.publish_objective(tx, obj, objective_data(obj, krs_data, moment), "updated", actor, list(applied), cmd.op_id)
    return service.EditResult(version=obj.version, merged=merged)


async def _edit_kr(tx: BatchTx, actor_id: int, cal: Calendar, cmd: EditCommand) -> service.EditResult:
    head_kr, head, kr_items = await _read(tx, _reads_for_kr(), actor_id, cmd.id)
    if not head_kr or head_kr[0]["deleted_at"] is not None:
        raise not_found(f"Key result {cmd.id}")
    if not head or head[0]["deleted_at"] is not None:
        raise not_found(f"Objective {head_kr[0]['objective_id']}")
    actor, obj, kr = _actor(actor_id, head[0]), _entity(head[0]), _entity(head_kr[0])
    actor.require_write_team(obj.team_id)
    service.require_open(obj)
    changes = dict(cmd.changes)
    service.check_kr_text(changes)
    moment = cal.moment(cal.cycle(obj.cycle))
    kr_items_ = [_entity(i) for i in kr_items]
    applied, merged, conflicts = service.apply_fields(kr, changes, cmd.version, cmd.base, service.KR_TEXT)
    if conflicts:
        raise service.conflict(conflicts, kr_data(kr, kr_items_, moment).model_dump(mode="json"))
    service.check_kr_text(merged)
    if not applied:
        return service.EditResult(version=kr.version, merged=merged)
    _apply(tx, key_results, kr, applied)
    service.record(tx, obj.id, "key_result", kr.id, "updated", actor, cal.now,
                   [{"field": k, "before": b, "after": a} for k, (b, a) in applied.items()])
    service.publish_kr(tx, kr, obj, kr_data(kr, kr_items_, moment), "updated", actor, list(applied), cmd.op_id)
    return service.EditResult(version=kr.version, merged=merged)


def _apply(tx: BatchTx, table: sa.Table, entity: SimpleNamespace, applied: dict[str, tuple[Any, Any]], **extra: Any) -> None:
    """The change on the row we hold (for the event) and in the closing batch (for the database)."""
    for name, (_, after) in applied.items():
        setattr(entity, name, after)
    service.bump(entity, applied)
    for name, value in extra.items():
        setattr(entity, name, value)
    tx.defer(_update(table), {**{name: getattr(entity, name) for name in applied}, "version": entity.version,
                              "field_versions": entity.field_versions, **extra, "entity_id": entity.id})
