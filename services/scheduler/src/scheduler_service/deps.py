"""FastAPI dependencies: the container, a session, and the admin check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from boost_bus import BusReplyError
from boost_platform.auth import Principal, authenticate
from boost_platform.problems import Problem
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_container(request).runtime.maker() as session:
        yield session


async def get_admin(request: Request) -> Principal:
    """The caller must be an admin: the role comes from okr (`okr.query.user`)."""
    container = get_container(request)
    principal = authenticate(request, container.runtime.verifier)
    names = container.settings.names
    try:
        user: dict[str, Any] = await container.runtime.bus.request(
            names.query("okr", "user"), {"actor_id": "service:scheduler", "id": principal.user_id}, timeout=3)
    except BusReplyError as exc:
        if exc.error.get("status") == 404:
            raise Problem(401, "Your account is not known; sign in again.") from exc
        raise exc.as_problem() from exc
    except Exception as exc:
        raise Problem(503, "okr did not answer; try again shortly.") from exc
    if not user.get("active", True):
        raise Problem(401, "Your account is not active; sign in again.")
    if user.get("role") != "admin":
        raise Problem(403, "Only admins can see and run the reminder calendar.")
    return principal


ContainerDep = Annotated[Container, Depends(get_container)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
AdminDep = Annotated[Principal, Depends(get_admin)]
