"""FastAPI dependencies every service with a Runtime shares: the caller (session token,
CSRF-checked) and a read session. Each service's own deps.py adds its container and
actor types on top."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from boost_platform.auth import Principal, authenticate
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from .runtime import Runtime


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
