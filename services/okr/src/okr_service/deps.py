"""FastAPI dependencies of okr: its container and the acting person (the caller and a
read session come from boost_bus.deps)."""

from __future__ import annotations

from typing import Annotated

from boost_bus.deps import PrincipalDep, SessionDep, acting, container_dep, get_container
from fastapi import Depends

from .access import Actor, load_actor
from .bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_dep)]
ActorDep = Annotated[Actor, Depends(acting(load_actor))]

__all__ = ["ActorDep", "ContainerDep", "PrincipalDep", "SessionDep", "get_container"]
