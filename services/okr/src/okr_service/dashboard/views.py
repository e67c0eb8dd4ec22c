"""REST for the dashboard, the CSV export and search."""

from __future__ import annotations

from typing import Annotated, Any

from boost_platform.ids import QueryId
from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from ..deps import ActorDep, ContainerDep, SessionDep
from ..org.service import calendar
from ..responses import Dashboard, SearchResults
from . import service

router = APIRouter(prefix="/api/okr", tags=["dashboard"])
CycleQ = Annotated[str | None, Query(max_length=16)]


@router.get("/dashboard", summary="Company and team progress, counts, attention lists, alignment tree",
            response_class=Response, responses={200: {"model": Dashboard, "description": "The dashboard"}})
async def dashboard(actor: ActorDep, c: ContainerDep, session: SessionDep, cycle: CycleQ = None,
                    team_id: QueryId = None) -> Response:
    cal = await calendar(session, c.runtime.clock)
    # The company dashboard is a large document on a hot path: it comes serialised (orjson)
    # and cached; `Dashboard` documents it, and a returned Response is not validated again.
    body = await service.dashboard(session, cal, c.dashboard_cache, cycle, team_id)
    return Response(body, media_type="application/json")


@router.get("/export.csv", summary="Every objective and key result of a cycle, as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def export(actor: ActorDep, c: ContainerDep, cycle: CycleQ = None) -> Response:
    async def read(session: AsyncSession) -> tuple[str, str]:  # lag-tolerant: the read replica
        cal = await calendar(session, c.runtime.clock)
        return await service.export_csv(session, cal, cycle), cal.resolve(cycle).id

    body, name = await c.reads.read(read)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="boost-{name}.csv"'})


@router.get("/search", response_model=SearchResults, summary="Objectives, key results, people and teams matching q")
async def search(actor: ActorDep, c: ContainerDep, q: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
    return await c.reads.read(lambda session: service.search(session, q))  # lag-tolerant: the read replica
