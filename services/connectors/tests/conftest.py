"""okr and connectors running in-process on one namespace (real MariaDB and NATS), one pair
per test module, with a seeded company (tests/support/okr.py): Product = lead (lead),
member; Engineering (child of Product) = other; the company (root) = ceo (lead); admin.

The clock starts at 2027-01-10 (BOOST_NOW): 2027-Q1 is running."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.support.okr import Okr, login_user, okr_app, seed_company
from tests.support.waiting import until

NOW = "2027-01-10T01:00:00+00:00"


class Stack:
    def __init__(self, okr: Okr, conn: httpx.AsyncClient) -> None:
        self.okr = okr
        self.conn = conn
        self.events: list[dict[str, Any]] = []
        self.okr_events: list[dict[str, Any]] = []

    @property
    def ids(self) -> dict[str, Any]:
        return self.okr.ids

    @property
    def container(self) -> Any:
        return self.conn.boost_app.state.container  # type: ignore[attr-defined]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**await self.okr.as_(who), **kwargs.pop("headers", {})}
        return await self.conn.request(method, path, headers=headers, **kwargs)

    async def kr(self, kr_id: int) -> dict[str, Any]:
        r = await self.okr.call("admin", "GET", f"/api/okr/key-results/{kr_id}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def check_ins(self, kr_id: int) -> list[dict[str, Any]]:
        r = await self.okr.call("admin", "GET", f"/api/okr/key-results/{kr_id}/check-ins")
        assert r.status_code == 200, r.text
        out: list[dict[str, Any]] = r.json()
        return out

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
    from connectors_service.main import create_app

    from conftest import running_app

    suffix = "cn" + request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:10]
    overrides = getattr(request.module, "SETTINGS", {})
    settings = make_settings(suffix, **{"now": NOW, "connectors_tick_seconds": 0.2, **overrides})
    async with okr_app(settings) as okr_client:
        o = Okr(okr_client)
        o.headers["admin"], o.users["admin"] = await login_user(okr_client, "admin@boost.example")
        seeded = await seed_company(okr_client, o.headers["admin"])
        o.ids = {"root": seeded["root"], "product": seeded["product"], "engineering": seeded["engineering"],
                 "admin": o.users["admin"], **seeded["people"]}
        async with running_app(create_app(settings)) as conn:
            s = Stack(o, conn)
            container = s.container
            await until(lambda: _ready(container), 15)
            bus = container.runtime.bus

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


async def _ready(container: Any) -> bool:
    return bool(container.runtime.verifier.ready and container.runtime.bus.is_connected)

