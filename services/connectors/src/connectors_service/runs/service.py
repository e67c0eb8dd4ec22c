"""One run of a binding: fetch the number, hand it to okr as `service:connectors`, and keep
the binding's state. okr decides whether a reading is a check-in (it is when it differs
from the key result's current value; otherwise only the source's last_run_at moves), so a
run repeated after a crash never records a value twice.

A failing fetch records nothing: the binding turns `failing` with the error (its first
failure of a spell emits `binding.failing`, from which the owner is told once), and the
next success turns it back (`binding.recovered`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from boost_bus.client import BusReplyError
from boost_platform.logging import get_logger
from boost_platform.problems import Problem

from ..bindings.service import emit
from ..directory import ACTOR
from ..kinds import FetchError
from ..models import Binding, Source
from ..safehttp import Refused
from ..sources.service import scrub, spec

if TYPE_CHECKING:
    from ..bootstrap import Container

log = get_logger("connectors.runs")


class OkrNotReady(Exception):
    """okr could not take the reading now (unreachable, or it has not yet learned the binding):
    the source is fine, so nothing turns failing; the run is tried again soon."""


class KeyResultGone(Exception):
    """okr no longer has the key result (deleted): the binding is paused, nothing is recorded."""


@dataclass
class Outcome:
    value: float | None
    checked_in: bool
    error: str | None = None


async def run_binding(c: Container, binding_id: int, *, patience: float = 0.0) -> Outcome:
    """Fetch and record. `patience`: seconds to keep offering the reading to okr while it
    has not learned a new binding yet (run now, right after connecting)."""
    async with c.runtime.maker() as session:
        b = await session.get(Binding, binding_id)
        if b is None:
            return Outcome(None, False, "the binding was removed")
        source = await session.get(Source, b.source_id)
        assert source is not None
        src = spec(source, c.vault)
        kind, query, scale, name = c.kinds[src.kind], b.query, b.scale, source.name
    fetched_at = c.runtime.clock.now()  # the org's clock, as okr counts staleness with it
    try:
        value = await kind.fetch(src, query, c.http)
    except (FetchError, Refused, ValueError) as exc:
        error = scrub(f"{name}: {exc}", src.secret)
        await record_failure(c, binding_id, error, fetched_at)
        return Outcome(None, False, error)
    except Exception as exc:  # a driver's own error type: still the source's failure, never a crash
        error = scrub(f"{name}: the fetch failed ({type(exc).__name__})", src.secret)
        await record_failure(c, binding_id, error, fetched_at)
        return Outcome(None, False, error)
    if scale is not None:
        value *= scale
    try:
        checked_in = await record_reading(c, binding_id, value, fetched_at, patience=patience)
    except KeyResultGone as exc:
        return Outcome(None, False, str(exc))
    return Outcome(value, checked_in)


async def record_reading(c: Container, binding_id: int, value: float, fetched_at: datetime, *, note: str = "",
                         patience: float = 0.0) -> bool:
    """Hand one reading to okr, then mark the binding ok. True when okr recorded a check-in."""
    async with c.runtime.maker() as session:
        b = await session.get(Binding, binding_id)
        if b is None:
            raise OkrNotReady("the binding was removed")
        body: dict[str, Any] = {"actor_id": ACTOR, "key_result_id": b.key_result_id, "value": value, "note": note,
                                "source": {"kind": b.kind, "binding_id": b.id, "fetched_at": fetched_at.isoformat()}}
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            reply = await c.runtime.bus.request(c.settings.names.cmd("okr", "check_in"), body, timeout=5)
            break
        except BusReplyError as exc:
            status = int(exc.error.get("status", 500))
            if status == 409 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.2)
                continue
            if status == 409:
                raise OkrNotReady(str(exc)) from exc
            if status == 404:
                await pause_gone(c, binding_id)
                raise KeyResultGone("the key result no longer exists; its data connection is paused") from exc
            raise Problem.from_body(exc.error) from exc
        except (TimeoutError, ConnectionError) as exc:
            raise OkrNotReady("okr is not answering") from exc
    async with c.runtime.outbox.transaction() as tx:
        b = await tx.session.get(Binding, binding_id, with_for_update=True)
        # Two runs of one binding may overlap (run now beside the schedule): an older
        # reading never overwrites a newer one, nor clears a failure that came after it.
        if b is not None and (b.last_run_at is None or fetched_at >= b.last_run_at):
            b.last_value, b.last_run_at = value, fetched_at
            if b.state == "failing" and (b.failing_since is None or fetched_at >= b.failing_since):
                b.state, b.error, b.failing_since = "ok", None, None
                b.version += 1
                emit(tx, b, "recovered", ACTOR, changes=["state"])
    return bool(reply.get("checked_in"))


async def pause_gone(c: Container, binding_id: int) -> None:
    async with c.runtime.outbox.transaction() as tx:
        b = await tx.session.get(Binding, binding_id, with_for_update=True)
        if b is None or not b.active:
            return
        b.active, b.state, b.error = False, "paused", "the key result no longer exists"
        b.version += 1
        emit(tx, b, "updated", ACTOR, changes=["active", "state"])


async def record_failure(c: Container, binding_id: int, error: str, at: datetime) -> None:
    async with c.runtime.outbox.transaction() as tx:
        b = await tx.session.get(Binding, binding_id, with_for_update=True)
        if b is None or (b.last_run_at is not None and b.last_run_at > at):
            return  # a later run already succeeded: this older failure is history
        b.error = error[:2000]
        log.warning("source failing", binding_id=binding_id, key_result_id=b.key_result_id, error=b.error)
        if b.state == "ok":
            b.state, b.failing_since = "failing", at
            b.version += 1
            source = await tx.session.get(Source, b.source_id)
            emit(tx, b, "failing", ACTOR, source.name if source else "", changes=["state"])
