"""FastAPI dependencies of the scheduler: its container and the admin check (the caller,
asked of okr, and a read session come from boost_bus.deps)."""

from __future__ import annotations

from typing import Annotated

from boost_bus.caller import Caller
from boost_bus.deps import CallerDep, SessionDep, container_dep
from fastapi import Depends

from .bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_dep)]

CALENDAR_ADMINS_ONLY = "Only admins can see and run the reminder calendar."


async def get_admin(caller: CallerDep) -> Caller:
    """The caller must be an admin (their role as okr knows it now)."""
    caller.require_admin(CALENDAR_ADMINS_ONLY)
    return caller


AdminDep = Annotated[Caller, Depends(get_admin)]

__all__ = ["AdminDep", "ContainerDep", "SessionDep"]
