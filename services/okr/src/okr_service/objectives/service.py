"""Objectives: create, edit (per-field versions and text merge, decided by `edits`),
delete and restore."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from boost_bus import Tx
from boost_platform.problems import invalid

from ..access import Actor
from ..calendar import Calendar
from ..key_results.service import create_kr
from ..models import Objective, Team
from .edits import (
    EditResult,
    bump,
    check_title,
    conflict,
    plan_objective_edit,
)
from .store import (
    back_to_draft,
    check_owner,
    check_parent,
    emit_objective,
    get_objective,
    objective_view,
    record,
)


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
        changed += await back_to_draft(tx, cal, obj, actor, now)
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
