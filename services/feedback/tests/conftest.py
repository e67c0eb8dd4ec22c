"""okr and feedback running in-process on one namespace (real MariaDB and NATS), one
pair per test module, with a seeded company. feedback learns the org from okr's events,
exactly as in production; `stack.settle()` waits until it has caught up.

The clock starts at 2027-01-10 (BOOST_NOW): 2027-Q1 is running, 2027-Q2 is next.

People (tests/support/okr.py): Product = lead (lead), member; Engineering (child of
Product) = other; the company (root) = ceo (lead); admin is an admin."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.okr import Okr, login_user, okr_app, seed_company
from tests.support.waiting import until

NOW = "2027-01-10T01:00:00+00:00"


class Stack:
    """okr (through `self.okr`) and feedback (`self.fb`), one org, one namespace."""

    def __init__(self, okr: Okr, fb: httpx.AsyncClient) -> None:
        self.okr = okr
        self.fb = fb

    @property
    def ids(self) -> dict[str, Any]:
        return self.okr.ids

    @property
    def container(self) -> Any:
        return self.fb.boost_app.state.container  # type: ignore[attr-defined]

    @property
    def okr_container(self) -> Any:
        return self.okr.client.boost_app.state.container  # type: ignore[attr-defined]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**await self.okr.as_(who), **kwargs.pop("headers", {})}
        return await self.fb.request(method, path, headers=headers, **kwargs)

    async def post(self, who: str, subject: str, body: str) -> httpx.Response:
        return await self.call(who, "POST", f"/api/feedback/threads/{subject}/messages", json={"body": body})

    async def settle(self, timeout: float = 15.0) -> None:
        """Until everything okr committed is published and feedback's consumer has handled it."""
        await settle(self.okr_container, self.container, timeout)

    @asynccontextmanager
    async def capture(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Collect the envelopes feedback publishes while the block runs."""
        seen: list[dict[str, Any]] = []
        bus = self.container.runtime.bus

        async def _on(msg: Any) -> None:
            seen.append(json.loads(msg.data))

        sub = await bus.nc.subscribe(bus.names.events_of("feedback"), cb=_on)
        await bus.nc.flush()
        try:
            yield seen
        finally:
            await until(lambda: _zero(self.container.runtime.outbox.backlog()), 5)
            await bus.nc.flush()
            await asyncio.sleep(0.05)
            await sub.unsubscribe()


async def settle(okr_container: Any, fb_container: Any, timeout: float = 15.0) -> None:
    from feedback_service.readmodel.service import CONSUMER

    names = fb_container.runtime.settings.names
    bus = fb_container.runtime.bus
    deadline = time.monotonic() + timeout
    while True:
        if await okr_container.runtime.outbox.backlog() == 0 and fb_container.read_model.consuming:
            # Published means stored in the stream; then nothing pending means handled.
            ci = await bus.js.consumer_info(names.stream("okr"), names.durable(CONSUMER))
            if not ci.num_pending and not ci.num_ack_pending:
                return
        if time.monotonic() > deadline:
            raise AssertionError("feedback's read model did not catch up with okr")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def feedback_app(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    from feedback_service.main import create_app

    from conftest import running_app

    async with running_app(create_app(settings)) as client:
        container = client.boost_app.state.container
        await until(lambda: _true(container.runtime.verifier.ready), 15)
        yield client


async def _true(value: bool) -> bool:
    return value


async def _zero(count: Awaitable[int]) -> bool:
    return await count == 0


async def seeded_okr(client: httpx.AsyncClient) -> Okr:
    o = Okr(client)
    o.headers["admin"], o.users["admin"] = await login_user(client, "admin@boost.example")
    seeded = await seed_company(client, o.headers["admin"])
    o.ids = {"root": seeded["root"], "product": seeded["product"], "engineering": seeded["engineering"],
             "admin": o.users["admin"], **seeded["people"]}
    return o


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any], request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    suffix = "fb" + request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:10]
    settings = make_settings(suffix, now=NOW)
    async with okr_app(settings) as okr_client:
        okr = await seeded_okr(okr_client)
        async with feedback_app(settings) as fb:
            s = Stack(okr, fb)
            await s.settle()
            yield s
