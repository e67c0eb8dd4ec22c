"""The one in-process stack for integration tests: okr first, then any of feedback, the
notifier, connectors and the scheduler, all in this process on one settings (one namespace
of the real MariaDB and NATS) and one clock, each waited for until it is ready. People sign
in once (`Okr.as_`) and call any service with their headers (`Stack.request`).

Suites wrap it thinly (tests/support/notifier.py, tests/integration/feedback/conftest.py,
tests/integration/connectors/conftest.py) with their own helpers. The whole system as
processes behind nginx, for the e2e tier, is `start_stack` in tests/conftest.py.

The seeded company (`Okr.seed_company`): Product = lead (lead), member; Engineering (child of
Product) = other; the company (root) = ceo (lead); admin is an admin."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest
from boost_platform.clock import Clock
from boost_platform.settings import BoostSettings

from conftest import running_app
from tests.support.waiting import until

NOW = "2027-01-10T01:00:00+00:00"  # BOOST_NOW of most suites: 2027-Q1 is running, 2027-Q2 is next
ADMIN = "admin@boost.example"
WITH_KNOBS = frozenset({"notifier", "scheduler"})  # create_app(settings, clock, knobs)
READY: dict[str, Callable[[Any], bool]] = {  # beyond the bus and okr's keys
    "scheduler": lambda c: bool(c.jobs.running),
}


def module_suffix(request: pytest.FixtureRequest, prefix: str = "") -> str:
    """A namespace suffix of the test module's own: a clean world per module."""
    return prefix + request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:12 - len(prefix)]


async def login_user(client: httpx.AsyncClient, email: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Dev sign-in on okr: bearer headers for that person, and the person."""
    response = await client.post("/api/auth/dev-login", json={"email": email})
    response.raise_for_status()
    client.cookies.clear()  # bearer only: tests of cookie sessions set their own
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["user"]


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    return (await login_user(client, email))[0]


async def seed_company(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    """A small org: company (root) → Product → Engineering; people with roles. Returns ids."""
    people = {}
    for email, name in (("lead@x.example", "Lena Lead"), ("member@x.example", "Min Member"),
                        ("other@x.example", "Otto Other"), ("ceo@x.example", "Chae CEO")):
        r = await client.post("/api/okr/users", json={"email": email, "name": name}, headers=admin)
        r.raise_for_status()
        people[email.split("@")[0]] = r.json()
    teams = (await client.get("/api/okr/teams", headers=admin)).json()
    root = next(t for t in teams if t["parent_id"] is None)
    product = (await client.post("/api/okr/teams", json={"name": "Product", "parent_id": root["id"], "members": [
        {"user_id": people["lead"]["id"], "role": "lead"}, {"user_id": people["member"]["id"], "role": "member"}]},
        headers=admin)).json()
    eng = (await client.post("/api/okr/teams", json={"name": "Engineering", "parent_id": product["id"], "members": [
        {"user_id": people["other"]["id"], "role": "member"}]}, headers=admin)).json()
    await client.put(f"/api/okr/teams/{root['id']}/members/{people['ceo']['id']}", json={"role": "lead"}, headers=admin)
    return {"people": people, "root": root, "product": product, "engineering": eng}


class Okr:
    """okr's client and the people signed in to it ("lead" is lead@x.example, "admin" the admin)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, Any] = {}

    @property
    def container(self) -> Any:
        return self.client.boost_app.state.container  # type: ignore[attr-defined]

    async def as_(self, who: str) -> dict[str, str]:
        if who not in self.headers:
            email = ADMIN if who == "admin" else who if "@" in who else f"{who}@x.example"
            self.headers[who], self.users[who] = await login_user(self.client, email)
        return self.headers[who]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**(await self.as_(who)), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ok(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        """A call that must succeed: its JSON body (None when empty)."""
        r = await self.call(who, method, path, **kwargs)
        assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    async def objective(self, who: str, team: str = "product", cycle: str = "2027-Q2", **body: Any) -> dict[str, Any]:
        payload = {"cycle": cycle, "team_id": self.ids[team]["id"], "title": body.pop("title", "Win the market"),
                   "key_results": body.pop("key_results", [{"title": "Revenue", "start": 0, "target": 100}]), **body}
        r = await self.call(who, "POST", "/api/okr/objectives", json=payload)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def seed_company(self) -> None:
        """The company above; `ids` then names its teams and people (and the admin)."""
        seeded = await seed_company(self.client, await self.as_("admin"))
        self.ids = {"root": seeded["root"], "product": seeded["product"], "engineering": seeded["engineering"],
                    "admin": self.users["admin"], **seeded["people"]}


class Stack:
    """Services running in-process: okr (`self.okr`) and whatever was started beside it."""

    def __init__(self, settings: BoostSettings, clock: Clock | None, okr: Okr) -> None:
        self.settings = settings
        self.clock = clock
        self.okr = okr
        self.clients: dict[str, httpx.AsyncClient] = {"okr": okr.client}
        self._running: dict[str, AbstractAsyncContextManager[httpx.AsyncClient]] = {}

    @property
    def ids(self) -> dict[str, Any]:
        return self.okr.ids

    def container_of(self, service: str) -> Any:
        return self.clients[service].boost_app.state.container  # type: ignore[attr-defined]

    async def as_(self, who: str) -> dict[str, str]:
        return await self.okr.as_(who)

    async def request(self, service: str, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """`who`'s request to one of the running services."""
        headers = {**(await self.okr.as_(who)), **kwargs.pop("headers", {})}
        return await self.clients[service].request(method, path, headers=headers, **kwargs)

    async def published(self, service: str = "okr", timeout: float = 10.0) -> None:
        """Until everything `service` committed is published (its outbox is empty)."""
        outbox = self.container_of(service).runtime.outbox

        async def empty() -> bool:
            return bool(await outbox.backlog() == 0)
        await until(empty, timeout, f"{service}'s outbox to empty")

    async def start(self, service: str, knobs: Any = None) -> httpx.AsyncClient:
        """Start a service (again after a `stop`: a restart) and wait until it is ready:
        connected to the bus, holding okr's keys, and whatever else it needs (READY)."""
        assert service not in self._running, f"{service} is already running"
        create_app = importlib.import_module(f"{service}_service.main").create_app
        app = create_app(self.settings, self.clock, knobs) if service in WITH_KNOBS else create_app(self.settings, self.clock)
        running = running_app(app)
        client = await running.__aenter__()
        self._running[service], self.clients[service] = running, client
        runtime = self.container_of(service).runtime
        await runtime.bus.wait_connected(15)
        await until(lambda: runtime.verifier.ready, 15, f"{service} to hold okr's keys")
        if service in READY:
            await until(lambda: READY[service](self.container_of(service)), 15, f"{service} to be ready")
        return client

    async def stop(self, service: str) -> None:
        running = self._running.pop(service, None)
        if running is not None:
            del self.clients[service]
            await running.__aexit__(None, None, None)

    @asynccontextmanager
    async def running(self, service: str, knobs: Any = None) -> AsyncIterator[httpx.AsyncClient]:
        """A service started for one block of a test, stopped after it."""
        client = await self.start(service, knobs)
        try:
            yield client
        finally:
            await self.stop(service)

    async def stop_all(self) -> None:
        for service in reversed(list(self._running)):
            await self.stop(service)


S = TypeVar("S", bound=Stack)


@asynccontextmanager
async def in_process(settings: BoostSettings, *services: str, clock: Clock | None = None, seeded: bool = False,
                     knobs: dict[str, Any] | None = None, stack_class: type[S] = Stack) -> AsyncIterator[S]:  # type: ignore[assignment]
    """okr (with the seeded company when `seeded`), then `services` in that order; all stopped
    in reverse at the end. Without `clock`, each service reads BOOST_NOW (`settings.now`)."""
    from okr_service.main import create_app

    async with AsyncExitStack() as exits:
        client = await exits.enter_async_context(running_app(create_app(settings, clock)))
        stack = stack_class(settings, clock, Okr(client))
        exits.push_async_callback(stack.stop_all)
        if seeded:
            await stack.okr.seed_company()
        for service in services:
            await stack.start(service, (knobs or {}).get(service))
        yield stack
