"""/api/connectors/key-results/{kr_id}/binding and the webhook endpoint /hooks/{token}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from boost_platform.ids import PathId
from boost_platform.problems import Problem, not_found
from fastapi import APIRouter, Response

from ..deps import ContainerDep, PersonDep, SessionDep
from ..directory import may_bind
from ..runs.service import OkrNotReady, run_binding
from ..schemas import Binding as BindingOut
from ..schemas import BindingIn, HookPush, RunResult
from . import hooks, service

router = APIRouter(prefix="/api/connectors", tags=["bindings"])


@router.get("/key-results/{kr_id}/binding", response_model=BindingOut)
async def get_binding(kr_id: PathId, person: PersonDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    b = await service.binding_of(session, kr_id)
    if b is None:
        raise not_found(f"A binding of key result {kr_id}")
    # The webhook URL is a credential: only those who may bind the key result see it.
    with_hook = False
    if b.kind == "webhook":
        try:
            with_hook = may_bind(person, await c.directory.key_result(kr_id))
        except Problem as exc:
            if exc.status != 404:  # a deleted key result: its binding is still shown, its URL is not
                raise
    return service.binding_json(b, c.vault, c.settings.public_url, with_hook=with_hook)


@router.put("/key-results/{kr_id}/binding", response_model=BindingOut)
async def put_binding(kr_id: PathId, body: BindingIn, person: PersonDep, c: ContainerDep,
                      response: Response) -> dict[str, Any]:
    kr = await c.directory.key_result(kr_id)
    async with c.runtime.outbox.transaction() as tx:
        b, created = await service.put_binding(tx, c.kinds, c.vault, person, kr, body, datetime.now(UTC))
        out = service.binding_json(b, c.vault, c.settings.public_url, with_hook=True)
    if created:
        response.status_code = 201
    return out


@router.delete("/key-results/{kr_id}/binding", status_code=204)
async def delete_binding(kr_id: PathId, person: PersonDep, c: ContainerDep) -> Response:
    kr = await c.directory.key_result(kr_id)
    async with c.runtime.outbox.transaction() as tx:
        await service.delete_binding(tx, person, kr)
    return Response(status_code=204)


@router.post("/key-results/{kr_id}/binding/run", response_model=RunResult)
async def run_now(kr_id: PathId, person: PersonDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
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
    """No session: the token is the credential (rate-limited at the gateway)."""
    return {"accepted": True, "checked_in": await hooks.accept(c, token, body.value, body.note)}
