"""Sign in with Slack against a local fake of Slack's OpenID Connect endpoints (the real
slack-sdk client code path, pointed at it with BOOST_SLACK_API_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from aiohttp import web

from conftest import free_port
from tests.support.stack import in_process


class FakeSlackOidc:
    def __init__(self) -> None:
        self.port = free_port()
        self.team_id = "T0BOOST"
        self.users = {"good-code": {"email": "newcomer@x.example", "name": "New Comer", "user": "U0NEW"},
                      "wrong-team": {"email": "outsider@x.example", "name": "Out Sider", "user": "U0OUT", "team": "T0OTHER"},
                      "guest-code": {"email": "guest@partner.example", "name": "Gus Guest", "user": "U0GUEST"},
                      "mc-guest-code": {"email": "mc@partner.example", "name": "Mia Multi", "user": "U0MCGUEST"}}
        self.guests = {"U0GUEST": "is_ultra_restricted", "U0MCGUEST": "is_restricted"}
        self.tokens: dict[str, dict[str, str]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        code = str(form.get("code", ""))
        if code not in self.users:
            return web.json_response({"ok": False, "error": "invalid_code"})
        access = f"token-{code}"
        self.tokens[access] = self.users[code]
        return web.json_response({"ok": True, "access_token": access, "token_type": "Bearer", "id_token": "unused"})

    async def users_info(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer xoxb-oidc-test":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        form = await request.post()
        user = str(form.get("user") or request.query.get("user", ""))
        flag = self.guests.get(user)
        return web.json_response({"ok": True, "user": {"id": user, "is_restricted": flag is not None,
                                                       "is_ultra_restricted": flag == "is_ultra_restricted"}})

    async def userinfo(self, request: web.Request) -> web.Response:
        access = request.headers.get("Authorization", "").removeprefix("Bearer ")
        user = self.tokens.get(access)
        if user is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "sub": user["user"], "email": user["email"], "email_verified": True,
                                  "name": user["name"], "picture": "https://example.com/a.png", "locale": "ko-KR",
                                  "https://slack.com/user_id": user["user"],
                                  "https://slack.com/team_id": user.get("team", self.team_id)})


@pytest.fixture(scope="module")
async def slack_okr(make_settings: Callable[..., Any]) -> AsyncIterator[tuple[httpx.AsyncClient, FakeSlackOidc]]:
    async for pair in _slack_okr(make_settings, "oidc"):
        yield pair


@pytest.fixture(scope="module")
async def slack_okr_with_guests(make_settings: Callable[..., Any]) -> AsyncIterator[tuple[httpx.AsyncClient, FakeSlackOidc]]:
    """The same, with BOOST_SLACK_ALLOW_GUESTS=1."""
    async for pair in _slack_okr(make_settings, "oidcguest", slack_allow_guests=True):
        yield pair


async def _slack_okr(make_settings: Callable[..., Any], name: str,
                     **extra: Any) -> AsyncIterator[tuple[httpx.AsyncClient, FakeSlackOidc]]:
    fake = FakeSlackOidc()
    app = web.Application()
    app.router.add_post("/api/openid.connect.token", fake.token)
    app.router.add_post("/api/openid.connect.userInfo", fake.userinfo)
    app.router.add_route("*", "/api/users.info", fake.users_info)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", fake.port).start()
    settings = make_settings(name, slack_client_id="123.456", slack_client_secret="fake-for-tests-secret",
                             slack_team_id=fake.team_id, slack_api_url=fake.url, public_url="http://testserver",
                             slack_bot_token="xoxb-oidc-test", slack_signing_secret="oidc-test-signing", **extra)
    async with in_process(settings) as stack:
        yield stack.okr.client, fake
    await runner.cleanup()


async def test_sign_in_with_slack_creates_the_person_and_lands_on_next(slack_okr: tuple[httpx.AsyncClient, FakeSlackOidc]) -> None:
    client, _ = slack_okr
    r = await client.get("/api/auth/slack/login", params={"next": "/objectives/7?kr=3"})
    assert r.status_code == 302
    authorize = urlparse(r.headers["location"])
    query = parse_qs(authorize.query)
    assert authorize.netloc == "slack.com"
    assert set(query["scope"][0].replace(",", " ").split()) == {"openid", "email", "profile"}
    assert query["redirect_uri"] == ["http://testserver/api/auth/slack/callback"] and query["team"] == ["T0BOOST"]
    state = query["state"][0]
    r = await client.get("/api/auth/slack/callback", params={"code": "good-code", "state": state})
    assert r.status_code == 302 and r.headers["location"] == "/objectives/7?kr=3"
    me = (await client.get("/api/auth/me")).json()
    assert me["user"]["email"] == "newcomer@x.example" and me["user"]["slack_user_id"] == "U0NEW"
    assert me["user"]["locale"] == "ko"
    client.cookies.clear()


async def test_other_workspaces_and_forged_state_are_refused(slack_okr: tuple[httpx.AsyncClient, FakeSlackOidc]) -> None:
    client, _ = slack_okr
    r = await client.get("/api/auth/slack/login", params={"next": "https://evil.example"})
    state = parse_qs(urlparse(r.headers["location"]).query)["state"][0]
    r = await client.get("/api/auth/slack/callback", params={"code": "wrong-team", "state": state})
    assert r.status_code == 403 and "workspace" in r.json()["detail"]
    r = await client.get("/api/auth/slack/callback", params={"code": "good-code", "state": "forged"})
    assert r.status_code == 400
    client.cookies.clear()
    r = await client.get("/api/auth/slack/callback", params={"code": "good-code", "state": state})
    assert r.status_code == 400  # the state cookie belongs to the browser that started


async def test_next_never_leaves_boost(slack_okr: tuple[httpx.AsyncClient, FakeSlackOidc]) -> None:
    client, _ = slack_okr
    r = await client.get("/api/auth/slack/login", params={"next": "//evil.example/x"})
    state = parse_qs(urlparse(r.headers["location"]).query)["state"][0]
    r = await client.get("/api/auth/slack/callback", params={"code": "good-code", "state": state})
    assert r.status_code == 302 and r.headers["location"] == "/"
    client.cookies.clear()


async def test_slack_guests_cannot_sign_in(slack_okr: tuple[httpx.AsyncClient, FakeSlackOidc]) -> None:
    client, _ = slack_okr
    for code in ("guest-code", "mc-guest-code"):
        r = await client.get("/api/auth/slack/login", params={"next": "/"})
        state = parse_qs(urlparse(r.headers["location"]).query)["state"][0]
        r = await client.get("/api/auth/slack/callback", params={"code": code, "state": state})
        assert r.status_code == 403 and "guests" in r.json()["detail"]
        assert (await client.get("/api/auth/me")).status_code == 401
        client.cookies.clear()


async def test_with_guests_allowed_a_guest_signs_in_read_only(
        slack_okr_with_guests: tuple[httpx.AsyncClient, FakeSlackOidc]) -> None:
    """BOOST_SLACK_ALLOW_GUESTS=1: both kinds of guest get in, as `guest` (they read, write
    nothing); a full member of the workspace still comes in as a member."""
    client, _ = slack_okr_with_guests
    for code, email in (("guest-code", "guest@partner.example"), ("mc-guest-code", "mc@partner.example"),
                        ("good-code", "newcomer@x.example")):
        r = await client.get("/api/auth/slack/login", params={"next": "/"})
        state = parse_qs(urlparse(r.headers["location"]).query)["state"][0]
        r = await client.get("/api/auth/slack/callback", params={"code": code, "state": state})
        assert r.status_code == 302, r.text
        me = (await client.get("/api/auth/me")).json()
        expected = "member" if code == "good-code" else "guest"
        assert (me["user"]["email"], me["role"]) == (email, expected)
        assert (await client.get("/api/okr/objectives", params={"cycle": "current"})).status_code == 200
        teams = (await client.get("/api/okr/teams")).json()
        r = await client.post("/api/okr/objectives", headers={"x-boost-csrf": client.cookies.get("boost_csrf") or ""},
                              json={"cycle": "current", "team_id": teams[0]["id"], "title": "Mine"})
        if expected == "guest":
            assert r.status_code == 403 and "Guests can read Boost" in r.json()["detail"], r.text
        client.cookies.clear()
