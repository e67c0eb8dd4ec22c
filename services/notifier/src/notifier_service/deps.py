"""FastAPI dependencies of the notifier: its container and the caller with their role from
okr (the signed-in principal and a read session come from boost_bus.deps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from boost_bus import BusReplyError
from boost_bus.deps import PrincipalDep, SessionDep, container_dep, get_container
from boost_platform.people import Roles
from boost_platform.problems import Problem
from fastapi import Depends

from .bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_dep)]


@dataclass(frozen=True)
class Caller(Roles):
    """The caller and their org role (`Roles`: `is_admin`, `require_admin`)."""

    user_id: int
    role: str
    teams: dict[int, str] = field(default_factory=dict)  # okr's answer is not asked for them


async def get_caller(principal: PrincipalDep, container: ContainerDep) -> Caller:
    try:
        user: dict[str, Any] | None = await container.okr.user(principal.user_id, timeout=3)
    except BusReplyError as exc:
        raise exc.as_problem() from exc
    except Exception as exc:
        raise Problem(503, "okr did not answer; try again shortly.") from exc
    if user is None or not user.get("active", True):
        raise Problem(401, "Your account is not active; sign in again.")
    return Caller(user_id=principal.user_id, role=str(user.get("role") or "member"))


CallerDep = Annotated[Caller, Depends(get_caller)]

__all__ = ["Caller", "CallerDep", "ContainerDep", "SessionDep", "get_caller", "get_container"]
