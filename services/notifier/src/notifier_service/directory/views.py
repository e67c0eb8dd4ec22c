"""Admin: sync Slack's directory into Boost now (it also runs daily)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import CallerDep, ContainerDep
from ..responses import DirectorySynced

router = APIRouter(prefix="/api/notifier", tags=["directory"])


@router.post("/directory/sync", response_model=DirectorySynced, summary="Slack's users into Boost now (admins); also runs daily")
async def sync_directory(caller: CallerDep, c: ContainerDep) -> dict[str, Any]:
    caller.require_admin()
    return await c.directory.sync()
