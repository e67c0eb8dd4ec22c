"""REST for people, teams and the CSV import."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from boost_platform.ids import PathId
from boost_platform.problems import Problem
from fastapi import APIRouter, Query, Request

from ..deps import ActorDep, ContainerDep, PrincipalDep, SessionDep
from ..models import Team, User
from ..responses import ImportResult
from ..responses import Team as TeamOut
from ..responses import User as UserOut
from ..schemas import MemberRole, TeamCreate, TeamPatch, UserCreate, UserPatch
from ..serialize import team_json, user_json
from ..uow import work
from . import service

router = APIRouter(prefix="/api/okr", tags=["directory"])


@router.get("/users", response_model=list[UserOut], summary="People")
async def list_users(actor: ActorDep, session: SessionDep, active: bool | None = None,
                     q: Annotated[str | None, Query(max_length=100)] = None) -> list[dict[str, Any]]:
    stmt = sa.select(User).order_by(User.name, User.id)
    if active is not None:
        stmt = stmt.where(User.active == active)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(like), User.email.like(like)))
    return [user_json(u) for u in (await session.execute(stmt.limit(5000))).scalars()]


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a person (admins)")
async def create_user(body: UserCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        return user_json(await service.create_user(w.tx, w.actor, body.model_dump()))


@router.get("/users/{user_id}", response_model=UserOut, summary="One person")
async def get_user(user_id: PathId, actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    return user_json(await service.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, summary="Change a person (admins; people their own language, timezone, muted reminders)")
async def patch_user(user_id: PathId, body: UserPatch, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        changes = body.model_dump(exclude_unset=True, exclude={"version", "base"})
        return user_json(await service.update_user(w.tx, w.actor, user_id, changes, version=body.version, base=body.base))


@router.get("/teams", response_model=list[TeamOut], summary="Teams, the company first")
async def list_teams(actor: ActorDep, session: SessionDep) -> list[dict[str, Any]]:
    teams = (await session.execute(sa.select(Team).order_by(Team.parent_id.is_not(None), Team.name))).scalars()
    return [team_json(t) for t in teams]


@router.post("/teams", response_model=TeamOut, status_code=201, summary="Add a team (admins)")
async def create_team(body: TeamCreate, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        return team_json(await service.create_team(w.tx, w.actor, body.model_dump()))


@router.get("/teams/{team_id}", response_model=TeamOut, summary="One team with its members")
async def get_team(team_id: PathId, actor: ActorDep, session: SessionDep) -> dict[str, Any]:
    return team_json(await service.get_team(session, team_id))


@router.patch("/teams/{team_id}", response_model=TeamOut, summary="Change a team (admins)")
async def patch_team(team_id: PathId, body: TeamPatch, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        changes = body.model_dump(exclude_unset=True, exclude={"version", "base"})
        return team_json(await service.update_team(w.tx, w.actor, team_id, changes, version=body.version, base=body.base))


@router.put("/teams/{team_id}/members/{user_id}", response_model=TeamOut, summary="Add a member or change their role (admins)")
async def put_member(team_id: PathId, user_id: PathId, body: MemberRole, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        return team_json(await service.put_member(w.tx, w.actor, team_id, user_id, body.role, version=body.version,
                                                  base_role=body.base_role))


@router.delete("/teams/{team_id}/members/{user_id}", response_model=TeamOut, summary="Remove a member (admins)")
async def delete_member(team_id: PathId, user_id: PathId, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    async with work(c, principal.user_id) as w:
        return team_json(await service.remove_member(w.tx, w.actor, team_id, user_id))


@router.post("/import", response_model=ImportResult, summary="CSV of people and teams: all or nothing, with per-row errors",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}})
async def import_csv(request: Request, principal: PrincipalDep, c: ContainerDep,
                     dry_run: Annotated[bool, Query(description="show what would change; write nothing")] = False,
                     ) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        raise Problem(422, "Send the CSV as the request body (text/csv).")
    if request.headers.get("content-type", "").startswith("multipart/"):
        form = await request.form()
        upload = next((v for v in form.values() if hasattr(v, "read")), None)
        if upload is None:
            raise Problem(422, "Attach the CSV file.")
        raw = await upload.read()  # type: ignore[union-attr]
    try:
        async with work(c, principal.user_id) as w:
            return await service.import_csv(w.tx, w.actor, raw, dry_run=dry_run)
    except service.DryRun as preview:  # rolled back: nothing written, no event sent
        return preview.result
