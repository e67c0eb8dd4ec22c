"""Key-result bindings: who may connect a key result to a source (its owner, a lead of its
team, an admin), and the binding's life (created, changed, paused, deleted), each change
committed with its `connectors.events.binding.*` event, from which okr learns the source."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from boost_bus import Tx
from boost_contracts.events import BindingData, make_event
from boost_platform.problems import Problem, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from ..directory import KeyResultRef, Person, may_bind
from ..kinds import Kind
from ..models import Binding, Source
from ..schemas import BindingIn
from ..sources.service import invalid, spec
from ..vault import Vault

TOKEN_BYTES = 32  # token_urlsafe(32): 43 URL-safe characters


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def binding_data(b: Binding, source_name: str = "") -> BindingData:
    return BindingData(id=b.id, key_result_id=b.key_result_id, source_id=b.source_id, kind=b.kind,
                       every_minutes=b.every_minutes, active=b.active, state=b.state,  # type: ignore[arg-type]
                       last_value=b.last_value, last_run_at=b.last_run_at, failing_since=b.failing_since,
                       error=b.error, owner_id=b.owner_id, source_name=source_name, version=b.version)


def emit(tx: Tx, b: Binding, action: str, actor: int | str, source_name: str = "",
         changes: list[str] | None = None) -> None:
    tx.emit(make_event("connectors", f"binding.{action}", binding_data(b, source_name), actor_id=actor,
                       changes=changes or []))


def binding_json(b: Binding, vault: Vault, public_url: str, *, with_hook: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": b.id, "key_result_id": b.key_result_id, "source_id": b.source_id, "kind": b.kind, "query": b.query,
        "every_minutes": b.every_minutes, "scale": b.scale, "active": b.active, "state": b.state,
        "last_value": b.last_value, "last_run_at": b.last_run_at, "failing_since": b.failing_since,
        "error": b.error,
    }
    if b.kind == "webhook" and with_hook and b.hook_token:
        body["webhook_url"] = f"{public_url.rstrip('/')}/api/connectors/hooks/{vault.open(b.hook_token)}"
    return body


async def binding_of(session: AsyncSession, kr_id: int, *, lock: bool = False) -> Binding | None:
    stmt = sa.select(Binding).where(Binding.key_result_id == kr_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


def require_bind(person: Person, kr: KeyResultRef) -> None:
    if not may_bind(person, kr):
        raise Problem(403, "Only the key result's owner, a lead of its team or an admin can connect it to data.")


async def put_binding(tx: Tx, kinds: dict[str, Kind], vault: Vault, person: Person, kr: KeyResultRef,
                      body: BindingIn, now: datetime) -> tuple[Binding, bool]:
    """Create or replace the key result's binding. True when it was created."""
    require_bind(person, kr)
    if kr.kind == "milestone":
        raise invalid("a milestone key result counts its ticked items; it cannot take a number from data",
                      "source_id")
    source = await tx.session.get(Source, body.source_id)
    if source is None:
        raise invalid(f"source {body.source_id} does not exist", "source_id")
    kind = kinds[source.kind]
    try:
        query = kind.check_query(spec(source, vault), body.query)
    except ValueError as exc:
        raise invalid(str(exc), "query") from exc
    b = await binding_of(tx.session, kr.id, lock=True)
    created = b is None
    if b is None:
        b = Binding(key_result_id=kr.id, created_by=person.user_id, created_at=now, state="ok", version=0)
        tx.session.add(b)
    moved = b.source_id != source.id or b.query != query
    b.source_id, b.kind, b.query = source.id, source.kind, query
    b.every_minutes, b.scale, b.active = body.every_minutes, body.scale, body.active
    b.owner_id = kr.owner_id
    b.version += 1
    b.updated_at = now
    if not body.active:
        b.state = "paused"
    elif b.state == "paused" or moved:
        b.state, b.error, b.failing_since = "ok", None, None
    if source.kind == "webhook":
        if b.hook_token is None:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            b.hook_digest, b.hook_token = digest(token), vault.seal(token)
        b.next_run_at = None
    else:
        b.hook_digest = b.hook_token = None
        b.next_run_at = now  # a new or changed binding runs soon; the schedule follows from there
    await tx.session.flush()
    emit(tx, b, "created" if created else "updated", person.user_id, source.name)
    return b, created


async def delete_binding(tx: Tx, person: Person, kr: KeyResultRef) -> None:
    require_bind(person, kr)
    b = await binding_of(tx.session, kr.id, lock=True)
    if b is None:
        raise not_found(f"A binding of key result {kr.id}")
    b.version += 1
    emit(tx, b, "deleted", person.user_id)
    await tx.session.delete(b)

