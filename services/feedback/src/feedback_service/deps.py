"""FastAPI dependencies: the container, the caller, a read session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from boost_platform.auth import Principal, authenticate
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .access import Actor, load_actor
from .bootstrap import Container


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def get_principal(request: Request) -> Principal:
    principal = authenticate(request, get_container(request).runtime.verifier)
    request.state.principal = principal
    return principal


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_container(request).runtime.maker() as session:
        yield session


async def get_actor(
    principal: Annotated[Principal, Depends(get_principal)], session: Annotated[AsyncSession, Depends(get_session)]
) -> Actor:
    return await load_actor(session, principal.user_id)


ContainerDep = Annotated[Container, Depends(get_container)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
ActorDep = Annotated[Actor, Depends(get_actor)]
