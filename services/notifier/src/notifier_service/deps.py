"""FastAPI dependencies of the notifier: its container (the signed-in principal, a read
session and the caller with their role and teams, asked of okr, come from boost_bus.deps)."""

from __future__ import annotations

from typing import Annotated

from boost_bus.caller import Caller
from boost_bus.deps import CallerDep, SessionDep, container_dep
from fastapi import Depends

from .bootstrap import Container

ContainerDep = Annotated[Container, Depends(container_dep)]

__all__ = ["Caller", "CallerDep", "ContainerDep", "SessionDep"]
