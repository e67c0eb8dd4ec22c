"""Live-data key results, okr's side (contract §9): which key results are bound to a data
source (learned from `connectors.events.binding.*`), and the readings connectors sends
through `okr.cmd.check_in` as `service:connectors`.

A reading is accepted only for the binding the key result is bound to. One that differs
from the key result's current value is a check-in (authored by the key result's owner,
with its `source`); one equal to it only moves the source's `last_run_at`, so the key
result is not stale and its history is not flooded — and a reading handed over twice
(connectors retrying after a crash) is never recorded twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boost_bus import Tx
from boost_bus.inbox import claim
from boost_contracts.envelope import Envelope
from boost_contracts.events import BindingData
from boost_contracts.messages import CheckInCommand
from boost_platform.logging import get_logger
from boost_platform.problems import Problem

from .access import SYSTEM, Actor, load_actor
from .calendar import Calendar
from .check_ins import service as check_ins
from .models import KeyResult, inbox
from .objectives import store
from .org.service import calendar, stamp
from .serialize import check_in_json

if TYPE_CHECKING:
    from .bootstrap import Container

CONSUMER = "okr_connectors"
log = get_logger("okr.connected")


async def follow_bindings(c: Container) -> None:
    """A durable consumer of connectors' binding events, each handled once (inbox)."""

    async def handle(envelope: Envelope) -> None:
        if envelope.source != "connectors" or envelope.entity != "binding":
            return
        async with c.runtime.outbox.transaction() as tx:
            if not await claim(tx, inbox, CONSUMER, envelope.id):
                return
            if await apply_binding_event(tx, envelope):
                # The key result's badge changed (connected, failing, recovered, paused,
                # disconnected): its event, so open pages show it without a reload. Its
                # version stays: no field a person edits moved.
                kr = await store.get_kr(tx.session, int(envelope.data["key_result_id"]), deleted=True)
                obj = await store.get_objective(tx.session, kr.objective_id, deleted=True)
                cal = await calendar(tx.session, c.runtime.clock)
                await store.emit_kr(tx, cal, kr, obj, "updated", SYSTEM, ["source"])

    await c.runtime.bus.consume(source="connectors", durable=CONSUMER, handler=handle)


async def apply_binding_event(tx: Tx, envelope: Envelope) -> bool:
    """Keep the key result's `source`; True when what people see of it changed."""
    data = BindingData.model_validate(envelope.data)
    kr = await tx.session.get(KeyResult, data.key_result_id, with_for_update=True)
    if kr is None:
        return False
    known = kr.source or {}
    if known.get("binding_id") == data.id and int(known.get("version", 0)) >= data.version:
        return False  # a late or replayed event never undoes a newer one
    if envelope.action == "deleted":
        if known.get("binding_id") in (None, data.id) and kr.source is not None:
            kr.source = None
            return True
        return False
    state = "paused" if not data.active else data.state
    kr.source = {"binding_id": data.id, "kind": data.kind, "version": data.version, "state": state,
                 "last_run_at": _last_run(known, data),
                 "failing_since": data.failing_since.isoformat() if data.failing_since else None}
    return known.get("state") != state or known.get("kind") != data.kind


def _last_run(known: dict[str, Any], data: BindingData) -> str | None:
    """The binding's last run: the event's, or okr's own later reading of the same binding
    (readings okr took itself are newer than the event's view)."""
    run = data.last_run_at.isoformat() if data.last_run_at else None
    mine = known.get("last_run_at") if known.get("binding_id") == data.id else None
    if mine and (run is None or datetime.fromisoformat(mine) > datetime.fromisoformat(run)):
        return str(mine)
    return run


async def record_reading(tx: Tx, actor: Actor, cal: Calendar, cmd: CheckInCommand) -> dict[str, Any]:
    assert cmd.source is not None
    if actor.service != "service:connectors":
        raise Problem(403, "Only the connectors service records data readings.")
    kr = await store.get_kr(tx.session, cmd.key_result_id, lock=True)
    source = dict(kr.source or {})
    if source.get("binding_id") != cmd.source.binding_id:
        # Usually okr has not yet seen the binding's `created` event: connectors tries again.
        raise Problem(409, f"Key result {kr.id} is not bound to binding {cmd.source.binding_id}.")
    fetched = cmd.source.fetched_at.astimezone(UTC)
    taken = source.get("last_run_at")
    if taken and datetime.fromisoformat(taken) > fetched:
        return {"checked_in": False}  # a newer reading was already taken: this one is older news
    source["last_run_at"] = fetched.isoformat()
    if source.get("state") == "failing":
        source["state"], source["failing_since"] = "ok", None
    if kr.kind == "milestone":
        raise Problem(422, "A milestone key result counts its ticked items; it takes no number from data.")
    kr.source = source
    obj = await store.get_objective(tx.session, kr.objective_id)
    if kr.current == cmd.value or obj.status == "closed":
        # Looked at, nothing new: the dashboard learns the run's time (its stale list), no check-in.
        stamp(tx, obj.cycle, kr_id=kr.id, kr_objective_id=kr.objective_id)
        return {"checked_in": False}
    # The owner answers for their data: the check-in is theirs, under their own rights.
    owner = await load_actor(tx.session, kr.owner_id)
    ci = await check_ins.check_in(tx, owner, cal, kr.id, value=cmd.value, confidence=cmd.confidence,
                                   note=cmd.note, source={"kind": cmd.source.kind, "binding_id": cmd.source.binding_id,
                                                          "fetched_at": fetched.isoformat()})
    return {**check_in_json(ci), "checked_in": True}

