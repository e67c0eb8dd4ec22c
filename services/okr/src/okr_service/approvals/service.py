"""The approval flow: submit, approve, request changes (who decides: `access.require_decide`)."""

from __future__ import annotations

import sqlalchemy as sa
from boost_bus import Tx
from boost_platform.problems import Problem, invalid

from ..access import Actor, require_decide
from ..calendar import Calendar
from ..models import KeyResult, Objective
from ..objectives.edits import (
    bump,
)
from ..objectives.store import (
    emit_objective,
    get_objective,
    objective_view,
    record,
)


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
