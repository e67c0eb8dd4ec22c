"""FastAPI dependencies of feedback: its container and the acting person (the caller and a
read session come from boost_bus.deps)."""

from __future__ import annotations

from typing import Annotated

from boost_bus.deps import PrincipalDep, SessionDep, get_principal, get_session
from fastapi import Depends, Request

from .access import Actor, load_actor
from .bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_actor(principal: PrincipalDep, session: SessionDep) -> Actor:
    return await load_actor(session, principal.user_id)


ContainerDep = Annotated[Container, Depends(get_container)]
ActorDep = Annotated[Actor, Depends(get_actor)]

__all__ = ["ActorDep", "ContainerDep", "PrincipalDep", "SessionDep", "get_container", "get_principal", "get_session"]
