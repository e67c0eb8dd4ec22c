"""The delivery log over REST (contract §3): everyone lists their own (`user_id=me`), admins
all; the web app's notification bell and the admin "Slack messages" page read it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from boost_contracts.events import REMINDER_KINDS
from boost_platform.ids import PathId, QueryId
from boost_platform.problems import Problem
from fastapi import APIRouter, Query

from ..deps import Caller, CallerDep, ContainerDep, SessionDep
from ..models import STATUSES
from ..responses import Delivery, DeliveryCounts
from . import store

router = APIRouter(prefix="/api/notifier", tags=["deliveries"])

Status = Literal["recorded", "scheduled", "sending", "sent", "failed", "unknown", "skipped"]
# Digits are bounded so that no id overflows a database integer (a 422, not a 500).
UserQ = Annotated[str | None, Query(pattern=r"^(me|[0-9]{1,15})$", description="a person's id, or `me`")]


def _scope(caller: Caller, user_id: str | None) -> int | None:
    """Whose deliveries: everyone's (admins), or one person's (their own, or anyone's for admins)."""
    if not user_id:
        if not caller.is_admin:
            raise Problem(403, "Only admins see everyone's messages; ask for your own with user_id=me.")
        return None
    if user_id == "me":
        return caller.user_id
    try:
        wanted = int(user_id)
    except ValueError as exc:
        raise Problem(422, "user_id is a person's id or `me`.", title="Unprocessable Content",
                      errors=[{"loc": ["query", "user_id"], "msg": "a person's id or me", "type": "value_error"}]) from exc
    if wanted != caller.user_id and not caller.is_admin:
        raise Problem(403, "You can see only your own messages.")
    return wanted


@router.get("/deliveries", response_model=list[Delivery], summary="What was sent (or recorded), to whom, with status and the rendered message")
async def list_deliveries(caller: CallerDep, session: SessionDep,
                          user_id: UserQ = None,
                          kind: Annotated[str | None, Query()] = None, status: Annotated[Status | None, Query()] = None,
                          before: QueryId = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    if kind and kind not in REMINDER_KINDS:
        raise Problem(422, f"unknown kind {kind!r}", title="Unprocessable Content",
                      errors=[{"loc": ["query", "kind"], "msg": "unknown kind", "type": "value_error"}])
    scope = _scope(caller, user_id)
    rows = await store.list_deliveries(session, user_id=scope, kind=kind, status=status, before=before, limit=limit)
    return [store.delivery_json(r) for r in rows]


@router.get("/deliveries/summary", response_model=DeliveryCounts, summary="Counts by status (unknowns included: counted and shown)")
async def summary(caller: CallerDep, session: SessionDep,
                  user_id: UserQ = None) -> dict[str, Any]:
    scope = _scope(caller, user_id)
    counts = await store.counts(session, scope)
    return {"by_status": {s: counts.get(s, 0) for s in STATUSES}}



@router.post("/deliveries/{delivery_id}/resend", response_model=Delivery, status_code=201,
             summary="Admins: send an `unknown` or `failed` message again, deliberately (a new delivery, due now)")
async def resend(delivery_id: PathId, caller: CallerDep, c: ContainerDep) -> dict[str, Any]:
    caller.require_admin()
    if c.slack is None:
        raise Problem(409, "There is no Slack bot token (record-only mode): nothing can be sent.")
    try:
        async with c.runtime.outbox.transaction() as tx:
            row = await store.resend(tx, delivery_id, c.runtime.clock.now(), caller.user_id)
    except ValueError as exc:
        raise Problem(409, f"Only an unknown or failed message can be resent; this one is {exc}.") from exc
    if row is None:
        raise Problem(404, "There is no such delivery.")
    c.sender.wake()
    return store.delivery_json(row)
