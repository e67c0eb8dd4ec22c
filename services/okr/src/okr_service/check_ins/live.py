"""A person's one-click check-in in three round trips, without an ORM session (issue 23).

Check-ins are the hottest write after typing. Through the session one cost about ten round
trips (the person, the key result locked, its objective, the INSERT, the forecast's points,
the items, the UPDATE, the events) plus the unit of work's bookkeeping. Here, as for typing
(`objectives.live`): one batch reads the key result locked, its objective with the person's
rights, its items and the forecast's points; one INSERTs the check-in (its id goes in the
events); the closing batch updates the key result, adds the events' outbox rows and stamps
the dashboard, COMMITting.

Only the loading and storing are this module's: who may check in and what the value
becomes are `service.check_rules` and `service.typed_value`, how the key result follows
`service.follow` and `bump`, the forecast `forecasts.fit`, the events `service.created_event`
and `store.publish_kr` — what the full path (`service.check_in`) runs. Anything else
(milestones, back-filled check-ins, a missing or deleted key result or objective, a history
dense enough for `refit` to sample) raises `FullPath`: the batch rolls back and the caller
takes the full path."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from boost_bus import BatchTx
from boost_platform.db import execute_batch, last_insert_id

from ..calendar import Calendar
from ..forecast import service as forecasts
from ..models import CheckIn
from ..objectives import store
from ..objectives.edits import bump
from ..objectives.live import (
    FullPath,
    actor_columns,
    actor_from_row,
    entity_from_row,
    items,
    key_results,
    objectives,
    read_batch,
)
from ..schemas import CheckInCreate
from ..serialize import kr_data
from . import service

check_ins = CheckIn.__table__


def takes(body: CheckInCreate) -> bool:
    """A value typed now (not a milestone's item, not back-filled): what this path may store."""
    return body.value is not None and body.item_id is None and body.done is None and body.created_at is None


@functools.cache
def _reads() -> list[sa.Select]:
    """The key result locked (as the full path locks it), its objective with the person's
    rights, its items, and the latest points the forecast fits (the new one comes first)."""
    kr_id: sa.BindParameter[int] = sa.bindparam("entity_id")
    c = check_ins.c
    return [
        sa.select(key_results).where(key_results.c.id == kr_id).with_for_update(),
        sa.select(objectives, *actor_columns()).where(
            objectives.c.id == sa.select(key_results.c.objective_id).where(key_results.c.id == kr_id).scalar_subquery()),
        sa.select(items).where(items.c.key_result_id == kr_id).order_by(items.c.position, items.c.id),
        sa.select(c.created_at, c.value).where(c.key_result_id == kr_id)
        .order_by(c.created_at.desc(), c.id.desc()).limit(forecasts.MAX_POINTS - 1),
    ]


@functools.cache
def _insert() -> tuple[sa.Insert, sa.Select]:
    return sa.insert(check_ins), last_insert_id("mysql")


@functools.cache
def _update_kr() -> sa.Update:
    return sa.update(key_results).where(key_results.c.id == sa.bindparam("entity_id"))


async def check_in(tx: BatchTx, actor_id: int, cal: Calendar, kr_id: int, body: CheckInCreate) -> Any:
    """A check-in `takes` accepted, as the full path would record it; raises `FullPath`
    when it turns out to need that path."""
    if tx.dialect != "mysql":
        raise FullPath  # LAST_INSERT_ID is MariaDB's
    head_kr, head, kr_items, points = await read_batch(tx, _reads(), actor_id, kr_id)
    if not head_kr or head_kr[0]["deleted_at"] is not None or not head or head[0]["deleted_at"] is not None:
        raise FullPath  # the full path says which one is missing
    kr, obj = entity_from_row(head_kr[0]), entity_from_row(head[0])
    if kr.kind == "milestone" or len(points) == forecasts.MAX_POINTS - 1:
        raise FullPath
    actor = actor_from_row(actor_id, head[0])
    service.check_rules(actor, cal, obj, kr, confidence=body.confidence, note=body.note, created_at=None)
    values = {"key_result_id": kr.id, "value": service.typed_value(kr, body.value), "confidence": body.confidence,
              "note": body.note or "", "author_id": actor_id, "created_at": cal.now, "source": None}
    insert, last_id = _insert()
    _, ids = await execute_batch(await tx.connection(), [(insert, values), last_id])
    ci = SimpleNamespace(id=int(ids[0]["id"]), **values)
    service.follow(kr, ci)
    bump(kr, service.FOLLOWED)
    forecasts.fit(cal, kr, obj.cycle, [(ci.created_at, ci.value), *((p["created_at"], p["value"]) for p in points)])
    tx.defer(_update_kr(), {"current": kr.current, "confidence": kr.confidence,
                            "last_check_in_at": kr.last_check_in_at, "version": kr.version,
                            "field_versions": kr.field_versions, "forecast": kr.forecast, "entity_id": kr.id})
    tx.emit(service.created_event(ci, actor, obj))
    data = kr_data(kr, [entity_from_row(i) for i in kr_items], cal.moment(cal.cycle(obj.cycle)))
    store.publish_kr(tx, kr, obj, data, "updated", actor, service.FOLLOWED)
    tx.state[service.kr_key(kr.id)] = data
    return ci
