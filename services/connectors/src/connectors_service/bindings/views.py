"""/api/connectors/key-results/{kr_id}/binding and the webhook endpoint /hooks/{token}."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from boost_platform.problems import Problem, not_found
from fastapi import APIRouter, Response

from ..deps import ContainerDep, PersonDep, SessionDep
from ..directory import may_bind
from ..models import Binding
from ..runs.service import OkrNotReady, record_reading, run_binding
from ..schemas import Binding as BindingOut
from ..schemas import BindingIn, HookPush, RunResult
from . import service

router = APIRouter(prefix="/api/connectors", tags=["bindings"])


@router.get("/key-results/{kr_id}/binding", response_model=BindingOut)
async def get_binding(kr_id: int, person: PersonDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    b = await service.binding_of(session, kr_id)
    if b is None:
        raise not_found(f"A binding of key result {kr_id}")
    # The webhook URL is a credential: only those who may bind the key result see it.
    with_hook = b.kind == "webhook" and may_bind(person, await c.directory.key_result(kr_id))
    return service.binding_json(b, c.vault, c.settings.public_url, with_hook=with_hook)


@router.put("/key-results/{kr_id}/binding", response_model=BindingOut)
async def put_binding(kr_id: int, body: BindingIn, person: PersonDep, c: ContainerDep,
                      response: Response) -> dict[str, Any]:
    kr = await c.directory.key_result(kr_id)
    async with c.runtime.outbox.transaction() as tx:
        b, created = await service.put_binding(tx, c.kinds, c.vault, person, kr, body, datetime.now(UTC))
        out = service.binding_json(b, c.vault, c.settings.public_url, with_hook=True)
    if created:
        response.status_code = 201
    return out


@router.delete("/key-results/{kr_id}/binding", status_code=204)
async def delete_binding(kr_id: int, person: PersonDep, c: ContainerDep) -> Response:
    kr = await c.directory.key_result(kr_id)
    async with c.runtime.outbox.transaction() as tx:
        await service.delete_binding(tx, person, kr)
    return Response(status_code=204)


@router.post("/key-results/{kr_id}/binding/run", response_model=RunResult)
async def run_now(kr_id: int, person: PersonDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    service.require_bind(person, await c.directory.key_result(kr_id))
    b = await service.binding_of(session, kr_id)
    if b is None:
        raise not_found(f"A binding of key result {kr_id}")
    await session.close()
    try:
        outcome = await run_binding(c, b.id, patience=5.0)
    except OkrNotReady as exc:
        raise Problem(503, "okr could not take the reading yet; try again in a moment.",
                      headers={"Retry-After": "2"}) from exc
    return {"value": outcome.value, "checked_in": outcome.checked_in, "error": outcome.error}


@router.post("/hooks/{token}", status_code=202)
async def push(token: str, body: HookPush, c: ContainerDep) -> dict[str, Any]:
    """No session: the token is the credential. An unknown token answers 404, like a
    missing page, and records nothing."""
    unknown = Problem(404, "No such webhook.")
    if len(token) < 32 or len(token) > 128:
        raise unknown
    async with c.runtime.maker() as session:
        b = (await session.execute(sa.select(Binding).where(Binding.hook_digest == service.digest(token))
                                   )).scalar_one_or_none()
        # The digest found the row; the stored token, compared in constant time, decides.
        if b is None or b.hook_token is None or not hmac.compare_digest(c.vault.open(b.hook_token).encode(),
                                                                        token.encode()):
            raise unknown
        if not b.active:
            raise Problem(409, "This key result's data connection is paused.")
        binding_id, scale = b.id, b.scale
    value = body.value * scale if scale is not None else body.value
    try:
        checked_in = await record_reading(c, binding_id, value, datetime.now(UTC), note=body.note, patience=5.0)
    except OkrNotReady as exc:
        raise Problem(503, "Boost could not take the value yet; send it again in a moment.",
                      headers={"Retry-After": "5"}) from exc
    return {"accepted": True, "checked_in": checked_in}
