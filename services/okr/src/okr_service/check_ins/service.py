"""Check-ins: one click records progress (and confidence, a note); corrections within a
day, back-filled history (admins), and the key result following its latest check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from boost_bus import BatchTx, Tx
from boost_contracts.cycles import local_today
from boost_contracts.envelope import Envelope
from boost_contracts.events import CheckInData, make_event
from boost_contracts.rules import RULES
from boost_platform.problems import Problem, invalid, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..access import Actor
from ..calendar import Calendar
from ..forecast import service as forecasts
from ..models import CheckIn, KeyResult, MilestoneItem, Objective
from ..objectives.edits import (
    bump,
)
from ..objectives.edits import number as _number
from ..objectives.store import (
    emit_kr,
    get_kr,
    get_objective,
    items_of,
    record,
    scope_of,
)
from ..serialize import check_in_json

CORRECTION_WINDOW = timedelta(hours=24)



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
                   created_at: datetime | None = None, source: dict[str, Any] | None = None) -> CheckIn:
    kr = await get_kr(tx.session, kr_id, lock=True)
    obj = await get_objective(tx.session, kr.objective_id)
    check_rules(actor, cal, obj, kr, confidence=confidence, note=note, created_at=created_at)
    if kr.kind == "milestone":
        if item_id is not None:
            item = await tx.session.get(MilestoneItem, item_id)
            if item is None or item.key_result_id != kr.id:
                raise invalid(f"item {item_id} is not on this key result", "item_id")
            item.done = bool(done) if done is not None else not item.done
            await tx.session.flush()
        all_items = (await items_of(tx.session, [kr.id])).get(kr.id, [])
        value = float(sum(1 for i in all_items if i.done))
    else:
        value = typed_value(kr, value)
    ci = CheckIn(key_result_id=kr.id, value=value, confidence=confidence, note=note or "", author_id=actor.user_id,
                 created_at=created_at.astimezone(UTC) if created_at is not None else cal.now, source=source)
    tx.session.add(ci)
    await tx.session.flush()
    if created_at is not None:
        await _follow_latest(tx, kr)  # a back-filled one is the latest only if nothing came after it
    else:
        follow(kr, ci)
    bump(kr, FOLLOWED)
    await forecasts.refit(tx.session, cal, kr, obj.cycle)
    tx.emit(created_event(ci, actor, obj))
    tx.state[kr_key(kr.id)] = await emit_kr(tx, cal, kr, obj, "updated", actor, FOLLOWED)
    return ci


FOLLOWED = ["current", "confidence", "last_check_in_at"]


def check_rules(actor: Actor, cal: Calendar, obj: Objective | Any, kr: KeyResult | Any, *, confidence: int | None,
                note: str, created_at: datetime | None) -> None:
    """Who may check in on this key result, when, and with what confidence and note (both
    ways of storing a check-in, the ORM's here and `live`'s batches, ask this)."""
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


def typed_value(kr: KeyResult | Any, value: float | None) -> float:
    """The value a person typed, as the key result's kind keeps it (not milestones: theirs
    is the count of ticked items)."""
    if value is None:
        raise invalid("a value is required", "value")
    value = _number(value, "value")
    if kr.kind == "boolean":
        value = 1.0 if value >= RULES.boolean_done_from else 0.0
    return value


def follow(kr: KeyResult | Any, ci: CheckIn | Any) -> None:
    """The key result takes a new (not back-filled) check-in's value and confidence."""
    kr.current = ci.value
    if ci.confidence is not None:
        kr.confidence = ci.confidence
    kr.last_check_in_at = ci.created_at


def created_event(ci: CheckIn | Any, actor: Actor, obj: Objective | Any) -> Envelope:
    return make_event("okr", "check_in.created", _ci_data(ci), actor_id=actor.user_id, scope=scope_of(obj))


def kr_key(kr_id: int) -> str:
    return f"check_in.key_result:{kr_id}"


def recorded(tx: BatchTx, ci: CheckIn) -> dict[str, Any]:
    """The answer to a check-in: it, with its key result as it now stands — the view its
    event carries, made once in `check_in` rather than read back again."""
    return {**check_in_json(ci), "key_result": tx.state[kr_key(ci.key_result_id)].model_dump(mode="json")}


def _ci_data(ci: CheckIn | Any) -> CheckInData:
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
    tx.emit(make_event("okr", "check_in.updated", _ci_data(ci), actor_id=actor.user_id, scope=scope_of(obj)))
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
    tx.emit(make_event("okr", "check_in.deleted", data, actor_id=actor.user_id, scope=scope_of(obj)))
    await emit_kr(tx, cal, kr, obj, "updated", actor, ["current", "confidence", "last_check_in_at"])
