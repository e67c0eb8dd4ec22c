"""The end of an objective: close it with a score and a note, carry it over to the next cycle."""

from __future__ import annotations

import sqlalchemy as sa
from boost_bus import Tx
from boost_platform.problems import Problem, invalid

from ..access import Actor
from ..calendar import Calendar
from ..models import KeyResult, Objective
from ..objectives.edits import (
    bump,
)
from ..objectives.service import create_objective
from ..objectives.store import (
    emit_objective,
    get_objective,
    items_of,
    objective_view,
    record,
)


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
