"""okr and feedback in-process (tests/support/stack.py), one pair per test module, with the
seeded company. feedback learns the org from okr's events, exactly as in production;
`stack.settle()` waits until it has caught up.

The clock starts at 2027-01-10 (BOOST_NOW): 2027-Q1 is running, 2027-Q2 is next."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.stack import NOW, in_process, module_suffix
from tests.support.stack import Stack as BaseStack
from tests.support.waiting import until


class Stack(BaseStack):
    """okr (`self.okr`) and feedback (`self.fb`, `self.container`), one org."""

    @property
    def fb(self) -> httpx.AsyncClient:
        return self.clients["feedback"]

    @property
    def container(self) -> Any:
        return self.container_of("feedback")

    @property
    def okr_container(self) -> Any:
        return self.okr.container

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("feedback", who, method, path, **kwargs)

    async def post(self, who: str, subject: str, body: str) -> httpx.Response:
        return await self.call(who, "POST", f"/api/feedback/threads/{subject}/messages", json={"body": body})

    async def settle(self, timeout: float = 15.0) -> None:
        """Until everything okr committed is published and feedback's consumer has handled it."""
        from feedback_service.readmodel.service import CONSUMER

        runtime = self.container.runtime
        names = runtime.settings.names

        async def caught_up() -> bool:
            if await self.okr_container.runtime.outbox.backlog() or not self.container.read_model.consuming:
                return False
            # Published means stored in the stream; then nothing pending means handled.
            ci = await runtime.bus.js.consumer_info(names.stream("okr"), names.durable(CONSUMER))
            return not ci.num_pending and not ci.num_ack_pending

        await until(caught_up, timeout, "feedback's read model to catch up with okr", every=0.02)

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
            await self.published("feedback", 5)
            await bus.nc.flush()
            await asyncio.sleep(0.05)
            await sub.unsubscribe()


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any], request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    settings = make_settings(module_suffix(request, "fb"), now=NOW)
    async with in_process(settings, "feedback", seeded=True, stack_class=Stack) as s:
        await s.settle()
        yield s
