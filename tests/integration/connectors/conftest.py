"""okr and connectors in-process (tests/support/stack.py), one pair per test module, with
the seeded company; a module's `SETTINGS` dict overrides settings. The events connectors
publish are in `stack.events`, okr's `key_result.updated` in `stack.okr_events`.

The clock starts at 2027-01-10 (BOOST_NOW): 2027-Q1 is running."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.support.stack import NOW, in_process, module_suffix
from tests.support.stack import Stack as BaseStack
from tests.support.waiting import until


class Stack(BaseStack):
    """okr (`self.okr`) and connectors (`self.conn`, `self.container`), one org."""

    events: list[dict[str, Any]]
    okr_events: list[dict[str, Any]]

    @property
    def conn(self) -> httpx.AsyncClient:
        return self.clients["connectors"]

    @property
    def container(self) -> Any:
        return self.container_of("connectors")

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("connectors", who, method, path, **kwargs)

    async def kr(self, kr_id: int) -> dict[str, Any]:
        return dict(await self.okr.ok("admin", "GET", f"/api/okr/key-results/{kr_id}"))

    async def check_ins(self, kr_id: int) -> list[dict[str, Any]]:
        return list(await self.okr.ok("admin", "GET", f"/api/okr/key-results/{kr_id}/check-ins"))

    async def new_kr(self, owner: str = "member", team: str = "product", **kr: Any) -> dict[str, Any]:
        """An objective of `team` in the running quarter with one key result owned by `owner`."""
        body = {"title": kr.pop("title", "Weekly active teams"), "start": 0, "target": 100,
                "owner_id": self.ids[owner]["id"], **kr}
        obj = await self.okr.objective("admin", team=team, cycle="2027-Q1", key_results=[body])
        return dict(obj["key_results"][0])

    async def source_bound(self, kr_id: int) -> None:
        """Until okr has learned the key result's binding (from connectors' event)."""
        async def known() -> bool:
            return (await self.kr(kr_id)).get("source") is not None
        await until(known, 10)

    async def events_of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]


@pytest.fixture(scope="module")
async def stack(make_settings: Callable[..., Any], request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    overrides = getattr(request.module, "SETTINGS", {})
    settings = make_settings(module_suffix(request, "cn"), **{"now": NOW, "connectors_tick_seconds": 0.2, **overrides})
    async with in_process(settings, "connectors", seeded=True, stack_class=Stack) as s:
        s.events, s.okr_events = [], []
        bus = s.container.runtime.bus

        async def on_event(msg: Any) -> None:
            s.events.append(json.loads(msg.data))

        async def on_okr_event(msg: Any) -> None:
            s.okr_events.append(json.loads(msg.data))

        sub = await bus.nc.subscribe(bus.names.events_of("connectors"), cb=on_event)
        okr_sub = await bus.nc.subscribe(bus.names.event("okr", "key_result.updated"), cb=on_okr_event)
        try:
            yield s
        finally:
            await sub.unsubscribe()
            await okr_sub.unsubscribe()
