"""FastAPI dependencies of the scheduler: its container and the admin check (the caller and
a read session come from boost_bus.deps)."""

from __future__ import annotations

from typing import Annotated, Any

from boost_bus import BusReplyError
from boost_bus.deps import PrincipalDep, SessionDep, container_dep, get_container
from boost_platform.auth import Principal
from boost_platform.problems import Problem
from fastapi import Depends

from .bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_dep)]


async def get_admin(principal: PrincipalDep, container: ContainerDep) -> Principal:
    """The caller must be an admin: the role comes from okr (`okr.query.user`)."""
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


AdminDep = Annotated[Principal, Depends(get_admin)]

__all__ = ["AdminDep", "ContainerDep", "SessionDep", "get_admin", "get_container"]
