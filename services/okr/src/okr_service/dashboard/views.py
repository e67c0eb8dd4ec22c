"""REST for the dashboard."""

from __future__ import annotations

from typing import Annotated

from boost_platform.ids import QueryId
from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..deps import ActorDep, ContainerDep, SessionDep
from ..org.service import calendar
from ..responses import Dashboard
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
