"""FastAPI dependencies every service with a Runtime shares: its container, the caller
(session token, CSRF-checked), a read session and the acting person loaded from them
(`acting(load_actor)` where the service holds people, okr and feedback; `CallerDep`, asked
of okr by `boost_bus.caller`, where it does not).
Each service's own deps.py names them with its own types:
`ContainerDep = Annotated[Container, Depends(container_dep)]`,
`ActorDep = Annotated[Actor, Depends(acting(load_actor))]`.

Every dependency here is `async def`: FastAPI runs a plain `def` dependency in its thread
pool, a thread hop on every request for what is an attribute lookup."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from boost_platform.auth import Principal, authenticate
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .caller import Caller, ask_caller
from .runtime import Runtime

A = TypeVar("A")


def get_container(request: Request) -> Any:
    """The service's container (its composition root put it on the app's state)."""
    return request.app.state.container


async def container_dep(request: Request) -> Any:
    """`get_container` as a dependency (async: no thread-pool hop)."""
    return get_container(request)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.container.runtime
    return runtime


async def get_principal(request: Request) -> Principal:
    principal = authenticate(request, runtime_of(request).verifier)
    request.state.principal = principal  # okr renews cookie sessions from it
    return principal


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).maker() as session:
        yield session


PrincipalDep = Annotated[Principal, Depends(get_principal)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


def acting(load: Callable[[AsyncSession, int], Awaitable[A]]) -> Callable[..., Awaitable[A]]:
    """A dependency that loads the signed-in caller as the service's acting person."""

    async def get_actor(principal: PrincipalDep, session: SessionDep) -> A:
        return await load(session, principal.user_id)

    return get_actor


async def get_caller(principal: PrincipalDep, request: Request) -> Caller:
    """The signed-in person with their role and teams, asked of okr (`boost_bus.caller`)."""
    return await ask_caller(runtime_of(request).bus, principal.user_id, Caller)


CallerDep = Annotated[Caller, Depends(get_caller)]
