"""Who may open a socket: a valid session token (auth.token) or the session cookie from
Boost's own origin; nobody else, and not with an expired or revoked session or as a
person who is no longer active. Plus the ops endpoints beside the socket."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import socketio
from okr_service.auth.tokens import TokenSigner, load_or_create_key

from .conftest import Client, World, connect


async def _refused(url: str, **kwargs: object) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        client = await connect(url, **kwargs)  # type: ignore[arg-type]
        await client.sio.disconnect()


async def _dropped(client: Client, timeout: float = 3) -> None:
    await asyncio.wait_for(client.disconnected.wait(), timeout)
    assert not client.sio.connected


async def test_unauthenticated_and_forged_sockets_are_refused(world: World) -> None:
    url = world.replicas[0].url
    await _refused(url)
    await _refused(url, token="not-a-token")
    await _refused(url, token=world.token("member")[:-4] + "AAAA")  # signature no longer matches
    # Signed by okr's key but long expired.
    signer = TokenSigner(load_or_create_key(None, world.settings.data_dir))
    expired, _, _ = signer.issue(world.people["member"]["user"]["id"], now=time.time() - 13 * 3600)
    await _refused(url, token=expired)


async def test_the_session_cookie_works_only_from_boosts_origin(world: World, clients: list[Client]) -> None:
    url = world.replicas[1].url
    cookie = f"boost_session={world.token('member')}; boost_csrf=x"
    client = await connect(url, headers={"Cookie": cookie, "Origin": world.public_url})
    clients.append(client)
    assert await client.call("subscribe", {"room": f"cycle:{world.cycle}"}) == {"ok": True}
    await _refused(url, headers={"Cookie": cookie, "Origin": "http://evil.example"})
    await _refused(url, headers={"Cookie": cookie})  # no Origin: not a browser on our page


async def test_a_revoked_session_is_dropped_and_refused(world: World, clients: list[Client]) -> None:
    r = await world.okr.post("/api/auth/dev-login", json={"email": world.people["member"]["user"]["email"]})
    token = r.json()["token"]
    on_one = await connect(world.replicas[0].url, token=token)
    on_two = await connect(world.replicas[1].url, token=token)
    clients.extend([on_one, on_two])

    r = await world.okr.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    await _dropped(on_one)
    await _dropped(on_two)
    await _refused(world.replicas[0].url, token=token)
    await _refused(world.replicas[1].url, token=token)


async def test_a_deactivated_person_is_dropped_and_refused(world: World, clients: list[Client]) -> None:
    admin = world.headers("admin")
    r = await world.okr.post("/api/okr/users", json={"email": "leaver@x.example", "name": "Lee Leaver"}, headers=admin)
    r.raise_for_status()
    leaver = r.json()
    token = (await world.okr.post("/api/auth/dev-login", json={"email": "leaver@x.example"})).json()["token"]
    client = await connect(world.replicas[1].url, token=token)
    clients.append(client)

    r = await world.okr.patch(f"/api/okr/users/{leaver['id']}", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.text
    await _dropped(client)
    await _refused(world.replicas[0].url, token=token)


async def test_ops_endpoints_sit_beside_the_socket(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.replicas[0].url) as http:
        assert (await http.get("/api/realtime/healthz")).json()["status"] == "ok"
        ready = (await http.get("/api/realtime/readyz")).json()
        assert ready["ready"] is True and ready["dependencies"] == {"nats": "up", "signing_keys": "up"}
        metrics = (await http.get("/api/realtime/metrics")).text
        for name in ("boost_realtime_connections", "boost_realtime_emits_total", "boost_realtime_edit_seconds"):
            assert name in metrics
        assert "/socket.io/" not in (await http.get("/api/realtime/openapi.json")).json()["paths"]
