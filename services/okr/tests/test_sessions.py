"""Sign-in and sessions: dev sign-in, cookies with CSRF, bearer tokens, logout revokes,
silent renewal, JWKS, safe `next`, and dev mode off."""

from __future__ import annotations

import time

import httpx
import jwt
from okr_service.auth.tokens import TokenSigner
from okr_service.auth.views import safe_next

from tests.support.stack import Okr


def fresh(okr: Okr) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=okr.client._transport, base_url="http://testserver")


async def test_dev_users_and_login_set_cookies(okr: Okr) -> None:
    async with fresh(okr) as c:
        people = (await c.get("/api/auth/dev-users")).json()
        assert "member@x.example" in [p["email"] for p in people]
        r = await c.post("/api/auth/dev-login", json={"email": "MEMBER@x.example"})
        assert r.status_code == 200 and r.json()["user"]["email"] == "member@x.example"
        set_cookie = r.headers.get_list("set-cookie")
        session_cookie = next(h for h in set_cookie if h.startswith("boost_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        me = (await c.get("/api/auth/me")).json()
        assert me["user"]["email"] == "member@x.example"
        assert {t["name"] for t in me["teams"]} == {"Product"}
        assert (await c.post("/api/auth/dev-login", json={"email": "nobody@x.example"})).status_code == 404


async def test_cookie_writes_need_the_csrf_header(okr: Okr) -> None:
    async with fresh(okr) as c:
        await c.post("/api/auth/dev-login", json={"email": "member@x.example"})
        body = {"cycle": "2027-Q2", "team_id": okr.ids["product"]["id"], "title": "Via cookie"}
        r = await c.post("/api/okr/objectives", json=body)
        assert r.status_code == 403 and "CSRF" in r.json()["title"]
        r = await c.post("/api/okr/objectives", json=body, headers={"X-Boost-CSRF": "wrong"})
        assert r.status_code == 403
        r = await c.post("/api/okr/objectives", json=body, headers={"X-Boost-CSRF": c.cookies["boost_csrf"]})
        assert r.status_code == 201


async def test_logout_revokes_the_token(okr: Okr) -> None:
    async with fresh(okr) as c:
        token = (await c.post("/api/auth/dev-login", json={"email": "lead@x.example"})).json()["token"]
        c.cookies.clear()
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await c.get("/api/auth/me", headers=bearer)).status_code == 200
        assert (await c.post("/api/auth/logout", headers=bearer)).status_code == 200
        r = await c.get("/api/auth/me", headers=bearer)
        assert r.status_code == 401 and "revoked" in r.json()["detail"]


async def test_bearer_token_endpoint_and_jwks(okr: Okr) -> None:
    headers = await okr.as_("member")
    token = (await okr.client.post("/api/auth/token", headers=headers)).json()["token"]
    jwks = (await okr.client.get("/api/auth/jwks.json")).json()
    key = jwt.PyJWK(jwks["keys"][0])
    claims = jwt.decode(token, key=key, algorithms=["EdDSA"], audience="boost")
    assert claims["sub"] == str(okr.ids["member"]["id"]) and claims["exp"] - claims["iat"] == 12 * 3600


async def test_expired_and_forged_tokens_are_refused(okr: Okr) -> None:
    app = okr.client.boost_app  # type: ignore[attr-defined]
    signer: TokenSigner = app.state.container.signer
    expired, _, _ = signer.issue(okr.ids["member"]["id"], now=time.time() - 13 * 3600)
    r = await okr.client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    impostor = TokenSigner(Ed25519PrivateKey.generate())
    impostor.kid = signer.kid  # same key id, wrong key
    forged, _, _ = impostor.issue(okr.ids["admin"]["id"])
    assert (await okr.client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})).status_code == 401


async def test_cookie_sessions_are_renewed_while_in_use(okr: Okr) -> None:
    app = okr.client.boost_app  # type: ignore[attr-defined]
    signer: TokenSigner = app.state.container.signer
    old, _, _ = signer.issue(okr.ids["member"]["id"], now=time.time() - 7 * 3600)
    async with fresh(okr) as c:
        c.cookies.set("boost_session", old)
        r = await c.get("/api/auth/me")
        assert r.status_code == 200
        renewed = next(h for h in r.headers.get_list("set-cookie") if h.startswith("boost_session="))
        assert old not in renewed


def test_next_only_goes_to_boost_paths() -> None:
    assert safe_next("/cycles/2027-Q1/teams/3/draft") == "/cycles/2027-Q1/teams/3/draft"
    for bad in ("https://evil.example", "//evil.example", "/\\evil", None, ""):
        assert safe_next(bad) == "/"


async def test_slack_login_is_404_when_not_configured(okr: Okr) -> None:
    r = await okr.client.get("/api/auth/slack/login", params={"next": "/"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
