"""FastAPI dependencies: the container, a session, and the caller (with their role from okr)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from boost_bus import BusReplyError
from boost_platform.auth import authenticate
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


@dataclass(frozen=True)
class Caller:
    user_id: int
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Problem(403, "Only admins can do this.")


async def get_caller(request: Request) -> Caller:
    container = get_container(request)
    principal = authenticate(request, container.runtime.verifier)
    try:
        user: dict[str, Any] | None = await container.okr.user(principal.user_id, timeout=3)
    except BusReplyError as exc:
        raise exc.as_problem() from exc
    except Exception as exc:
        raise Problem(503, "okr did not answer; try again shortly.") from exc
    if user is None or not user.get("active", True):
        raise Problem(401, "Your account is not active; sign in again.")
    return Caller(user_id=principal.user_id, role=str(user.get("role") or "member"))


ContainerDep = Annotated[Container, Depends(get_container)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
CallerDep = Annotated[Caller, Depends(get_caller)]
