"""Helpers for tests that need the okr service (the org, people, sign-in, OKRs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from boost_platform.settings import BoostSettings


@asynccontextmanager
async def okr_app(settings: BoostSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The okr service running in-process (lifespan, bus, outbox), with a client."""
    from okr_service.main import create_app

    from conftest import running_app

    async with running_app(create_app(settings)) as client:
        yield client


async def login(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """Dev sign-in; returns bearer headers for that person."""
    response = await client.post("/api/auth/dev-login", json={"email": email})
    response.raise_for_status()
    client.cookies.clear()  # bearer only: tests of cookie sessions set their own
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def login_user(client: httpx.AsyncClient, email: str) -> tuple[dict[str, str], dict[str, Any]]:
    response = await client.post("/api/auth/dev-login", json={"email": email})
    response.raise_for_status()
    client.cookies.clear()
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, body["user"]


async def seed_company(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    """A small org: company (root) → Product, Engineering; people with roles. Returns ids."""
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
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, Any] = {}

    async def as_(self, who: str) -> dict[str, str]:
        if who not in self.headers:
            email = who if "@" in who else f"{who}@x.example"
            self.headers[who], self.users[who] = await login_user(self.client, email)
        return self.headers[who]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**(await self.as_(who)), **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def objective(self, who: str, team: str = "product", cycle: str = "2027-Q2", **body: Any) -> dict[str, Any]:
        payload = {"cycle": cycle, "team_id": self.ids[team]["id"], "title": body.pop("title", "Win the market"),
                   "key_results": body.pop("key_results", [{"title": "Revenue", "start": 0, "target": 100}]), **body}
        r = await self.call(who, "POST", "/api/okr/objectives", json=payload)
        assert r.status_code == 201, r.text
        return r.json()
