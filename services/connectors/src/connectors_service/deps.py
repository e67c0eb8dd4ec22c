"""FastAPI dependencies of connectors: its container and the calling person (role and
teams asked of okr)."""

from __future__ import annotations

from typing import Annotated

from boost_bus.deps import PrincipalDep, SessionDep, container_dep
from fastapi import Depends

from .bootstrap import Container
from .directory import Person

ContainerDep = Annotated[Container, Depends(container_dep)]


async def get_person(principal: PrincipalDep, container: ContainerDep) -> Person:
    return await container.directory.person(principal.user_id)


PersonDep = Annotated[Person, Depends(get_person)]

__all__ = ["ContainerDep", "PersonDep", "SessionDep"]
