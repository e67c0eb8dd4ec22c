"""/api/connectors/sources: admins manage data sources; everyone signed in sees their
names and kinds (to pick one when connecting a key result)."""

from __future__ import annotations

from typing import Any

from boost_platform.ids import PathId
from fastapi import APIRouter, Response

from ..deps import ContainerDep, PersonDep, SessionDep
from ..directory import may_bind
from ..schemas import Source, SourceIn, SourcePatch, SourceTest, TestResult
from . import service

router = APIRouter(prefix="/api/connectors", tags=["sources"])


@router.get("/sources", response_model=list[Source])
async def list_sources(person: PersonDep, session: SessionDep) -> list[dict[str, Any]]:
    return [service.source_json(s, admin=person.is_admin) for s in await service.list_sources(session)]


@router.post("/sources", response_model=Source, status_code=201)
async def create_source(body: SourceIn, person: PersonDep, c: ContainerDep) -> dict[str, Any]:
    person.require_admin()
    async with c.runtime.maker() as session, session.begin():
        source = await service.create_source(session, c.kinds, c.vault, body)
        return service.source_json(source, admin=True)


@router.get("/sources/{source_id}", response_model=Source)
async def get_source(source_id: PathId, person: PersonDep, session: SessionDep) -> dict[str, Any]:
    person.require_admin()
    return service.source_json(await service.get_source(session, source_id), admin=True)


@router.patch("/sources/{source_id}", response_model=Source)
async def update_source(source_id: PathId, body: SourcePatch, person: PersonDep, c: ContainerDep) -> dict[str, Any]:
    person.require_admin()
    async with c.runtime.maker() as session, session.begin():
        source = await service.update_source(session, c.kinds, c.vault, source_id, body)
        return service.source_json(source, admin=True)


@router.delete("/sources/{source_id}", status_code=204)
async def delete_source(source_id: PathId, person: PersonDep, c: ContainerDep) -> Response:
    person.require_admin()
    async with c.runtime.maker() as session, session.begin():
        await service.delete_source(session, source_id)
    return Response(status_code=204)


@router.post("/sources/{source_id}/test", response_model=TestResult)
async def test_source(source_id: PathId, body: SourceTest, person: PersonDep, c: ContainerDep) -> dict[str, Any]:
    if not person.is_admin:
        if body.key_result_id is None:
            person.require_admin()
        else:
            kr = await c.directory.key_result(body.key_result_id)
            if not may_bind(person, kr):
                person.require_admin()
    async with c.runtime.maker() as session:
        source = await service.get_source(session, source_id)
        spec = service.spec(source, c.vault)
    return await service.try_source(c.kinds[spec.kind], spec, body.query, c.http)
