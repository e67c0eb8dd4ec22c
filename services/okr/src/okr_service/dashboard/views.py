"""REST for the dashboard."""

from __future__ import annotations

from typing import Annotated

from boost_platform.ids import QueryId
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..deps import ContainerDep, PrincipalDep
from ..org.service import calendar_of
from ..responses import Dashboard
from . import service

router = APIRouter(prefix="/api/okr", tags=["dashboard"])
CycleQ = Annotated[str | None, Query(max_length=16)]


@router.get("/dashboard", summary="Company and team progress, counts, attention lists, alignment tree",
            response_class=Response, responses={200: {"model": Dashboard, "description": "The dashboard"}})
async def dashboard(request: Request, principal: PrincipalDep, c: ContainerDep, cycle: CycleQ = None,
                    team_id: QueryId = None) -> Response:
    runtime = c.runtime
    cal = await calendar_of(runtime.maker, runtime.clock)
    # The company dashboard is a large document on a hot path: it comes serialised (orjson)
    # and cached; `Dashboard` documents it, and a returned Response is not validated again.
    # Gzipped here once per change rather than by the gateway at every request (nginx passes
    # a response that has a Content-Encoding through as it is). A session is opened only to
    # render: most requests are answered from the cache after one round trip (`served`).
    found = await service.served(runtime.maker, cal, c.dashboard_cache, cycle, team_id, principal.user_id)
    if isinstance(found, service.Answer):
        answer = found
    else:
        async with runtime.maker() as session:
            answer = await service.dashboard(session, cal, c.dashboard_cache, cycle, team_id, asked=found)
    gzipped = answer.gzipped() if accepts_gzip(request.headers.get("accept-encoding")) else None
    if gzipped is not None:
        return Response(gzipped, media_type="application/json", headers={**VARY, "Content-Encoding": "gzip"})
    return Response(answer.body, media_type="application/json", headers=VARY)


VARY = {"Vary": "Accept-Encoding"}


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header admits gzip (RFC 9110 §12.5.3: `gzip`, `x-gzip` or
    `*`, unless its q is 0; an explicit `gzip;q=0` wins over `*`)."""
    star = False
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return star
