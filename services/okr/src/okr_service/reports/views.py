"""REST for the CSV export and search: lag-tolerant reads, served by the read replica when
there is one (`Container.reads`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from ..deps import ActorDep, ContainerDep
from ..org.service import calendar
from ..responses import SearchResults
from . import service

router = APIRouter(prefix="/api/okr", tags=["dashboard"])
CycleQ = Annotated[str | None, Query(max_length=16)]


@router.get("/export.csv", summary="Every objective and key result of a cycle, as CSV", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def export(actor: ActorDep, c: ContainerDep, cycle: CycleQ = None) -> Response:
    async def read(session: AsyncSession) -> tuple[str, str]:
        cal = await calendar(session, c.runtime.clock)
        return await service.export_csv(session, cal, cycle), cal.resolve(cycle).id

    body, name = await c.reads.read(read)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="boost-{name}.csv"'})


@router.get("/search", response_model=SearchResults, summary="Objectives, key results, people and teams matching q")
async def search(actor: ActorDep, c: ContainerDep, q: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
    return await c.reads.read(lambda session: service.search(session, q))
