"""Sign-in and the session (`/api/auth/*`): Sign in with Slack, dev sign-in, tokens,
logout, JWKS. The session is an EdDSA token in the HttpOnly `boost_session` cookie,
with a double-submit CSRF cookie; it is renewed silently while in use."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
import sqlalchemy as sa
from boost_contracts.events import SessionRevokedData, make_event
from boost_platform.auth import CSRF_COOKIE, SESSION_COOKIE, Principal
from boost_platform.problems import Problem
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..deps import ContainerDep, PrincipalDep, SessionDep, get_container
from ..directory.service import match_or_create_slack_user
from ..models import Membership, RevokedSession, Team, User
from ..responses import DevSignIn, DevUser, Jwks, Me, Ok, SignInMethods, Token
from ..serialize import user_json
from .tokens import RENEW_WHEN_LEFT, SESSION_SECONDS

router = APIRouter(prefix="/api/auth", tags=["auth"])
STATE_COOKIE = "boost_oidc_state"


class DevLogin(BaseModel):
    email: str = Field(min_length=3, max_length=254)


def safe_next(next_path: str | None) -> str:
    """Only Boost paths: `/x`, never `//evil` or a full URL."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return "/"
    return next_path


def set_session_cookies(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), max_age=SESSION_SECONDS, httponly=False,
                        samesite="lax", secure=secure, path="/")


def _secure(request: Request) -> bool:
    return get_container(request).settings.public_url.startswith("https://")


@router.get("/jwks.json", response_model=Jwks, summary="Public keys that verify session tokens")
async def jwks(c: ContainerDep) -> dict[str, Any]:
    return c.signer.jwks()


@router.get("/dev-users", response_model=list[DevUser], summary="Dev mode: the people to pick from, with their teams")
async def dev_users(c: ContainerDep, session: SessionDep) -> list[dict[str, Any]]:
    if c.settings.auth_mode != "dev":
        raise Problem(404, "Dev sign-in is off.")
    users = (await session.execute(sa.select(User).where(User.active).order_by(User.role, User.name))).scalars()
    rows = await session.execute(sa.select(Membership.user_id, Team.id, Team.name, Membership.role)
                                 .join(Team, Team.id == Membership.team_id).order_by(Team.name))
    teams: dict[int, list[dict[str, Any]]] = {}
    for user_id, team_id, name, role in rows:
        teams.setdefault(user_id, []).append({"id": team_id, "name": name, "role": role})
    return [{**user_json(u), "teams": teams.get(u.id, [])} for u in users]


@router.post("/dev-login", response_model=DevSignIn, summary="Dev mode: sign in as anyone by email")
async def dev_login(body: DevLogin, request: Request, response: Response, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    if c.settings.auth_mode != "dev":
        raise Problem(404, "Dev sign-in is off.")
    user = (await session.execute(sa.select(User).where(User.email == body.email.strip().lower()))).scalar_one_or_none()
    if user is None or not user.active:
        raise Problem(404, "No active person with that email.")
    token, _, _ = c.signer.issue(user.id)
    set_session_cookies(response, token, _secure(request))
    return {"token": token, "user": user_json(user)}


@router.post("/token", response_model=Token, summary="A bearer token for the signed-in person")
async def token(principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    new_token, _, exp = c.signer.issue(principal.user_id)
    return {"token": new_token, "expires_at": exp}


@router.get("/me", response_model=Me, summary="The signed-in person, with their teams")
async def me(principal: PrincipalDep, c: ContainerDep, session: SessionDep) -> dict[str, Any]:
    user = await session.get(User, principal.user_id)
    if user is None or not user.active:
        raise Problem(401, "Your account is not active.")
    rows = await session.execute(
        sa.select(Team.id, Team.name, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user.id)
        .order_by(Team.name)
    )
    return {"user": user_json(user), "role": user.role,
            "teams": [{"id": r.id, "name": r.name, "role": r.role} for r in rows], "now": c.runtime.clock.now()}


@router.post("/logout", response_model=Ok, summary="End the session (the token is revoked everywhere)")
async def logout(request: Request, response: Response, principal: PrincipalDep, c: ContainerDep) -> dict[str, Any]:
    await revoke(c, principal.jti, principal.exp, principal.user_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"ok": True}


async def revoke(c: Any, jti: str, exp: int, user_id: int | None) -> None:
    async with c.runtime.outbox.transaction() as tx:
        if await tx.session.get(RevokedSession, jti) is None:
            tx.session.add(RevokedSession(jti=jti, exp=exp))
        tx.emit(make_event("okr", "session.revoked", SessionRevokedData(jti=jti, exp=exp), actor_id=user_id))
    c.runtime.verifier.revoke(jti, exp)


# ---------------------------------------------------------------- Sign in with Slack


def _slack_client(c: Any) -> Any:
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncWebClient(base_url=c.settings.slack_api_url)


async def _is_guest(c: Any, slack_user_id: str | None) -> bool:
    """A single- or multi-channel guest (`users.info` with the bot token: OpenID Connect does
    not say). Without a bot token nothing can be checked (and nothing else of Slack is used);
    when Slack does not answer, the sign-in is refused rather than a guest let in."""
    if not c.settings.slack_bot_token:
        return False
    from slack_sdk.web.async_client import AsyncWebClient

    try:
        reply = await AsyncWebClient(token=c.settings.slack_bot_token,
                                     base_url=c.settings.slack_api_url).users_info(user=slack_user_id or "")
    except Exception as exc:
        raise Problem(502, "Slack did not say who you are; try again.", title="Bad Gateway") from exc
    user = reply.get("user") or {}
    return bool(user.get("is_restricted") or user.get("is_ultra_restricted"))


def _state_key(c: Any) -> bytes:
    """The key that signs the sign-in state: derived from the client secret, full length."""
    return hashlib.sha256(b"boost-oidc-state:" + c.settings.slack_client_secret.encode()).digest()


def _redirect_uri(c: Any) -> str:
    return c.settings.public_url.rstrip("/") + "/api/auth/slack/callback"


# Sign in with Slack is a browser's trip: a refusal there is a sentence on the sign-in page in
# the person's language (SignIn.tsx maps these codes), not a JSON document. API clients
# (anything that does not ask for HTML) still get the problem+json.
SIGNIN_ERROR_CODES = {404: "slack_unconfigured", 400: "slack_stale", 403: "slack_refused", 502: "slack_failed"}


def _to_signin(request: Request, problem: Problem) -> RedirectResponse:
    if "text/html" not in request.headers.get("accept", ""):
        raise problem
    code = SIGNIN_ERROR_CODES.get(problem.status, "slack_failed")
    return RedirectResponse(f"/signin?error={code}", status_code=302)


@router.get("/methods", response_model=SignInMethods, summary="Which ways of signing in this deployment offers")
async def sign_in_methods(c: ContainerDep) -> dict[str, Any]:
    return {"slack": bool(c.settings.slack_client_id and c.settings.slack_client_secret),
            "dev": c.settings.auth_mode == "dev"}


@router.get("/slack/login", summary="Start Sign in with Slack", response_class=RedirectResponse, status_code=302)
async def slack_login(request: Request, c: ContainerDep, next: Annotated[str | None, Query(max_length=2000)] = None) -> RedirectResponse:
    try:
        return await _slack_login(request, c, next)
    except Problem as problem:
        return _to_signin(request, problem)


async def _slack_login(request: Request, c: Any, next: str | None) -> RedirectResponse:
    from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator

    if not (c.settings.slack_client_id and c.settings.slack_client_secret):
        raise Problem(404, "Sign in with Slack is not configured (BOOST_SLACK_CLIENT_ID / _SECRET).")
    nonce = secrets.token_urlsafe(16)
    state = jwt.encode({"next": safe_next(next), "nonce": nonce, "exp": int(time.time()) + 600},
                       _state_key(c), algorithm="HS256")
    generator = OpenIDConnectAuthorizeUrlGenerator(
        client_id=c.settings.slack_client_id,
        scopes=["openid", "email", "profile"],
        redirect_uri=_redirect_uri(c),
    )
    url = generator.generate(state=state, nonce=nonce, team=c.settings.slack_team_id)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(STATE_COOKIE, state, max_age=600, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/slack/callback", summary="Finish Sign in with Slack", response_class=RedirectResponse, status_code=302)
async def slack_callback(
    request: Request,
    c: ContainerDep,
    code: Annotated[str | None, Query(max_length=500)] = None,
    state: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    try:
        return await _slack_callback(request, c, code, state, error)
    except Problem as problem:
        return _to_signin(request, problem)


async def _slack_callback(request: Request, c: Any, code: str | None, state: str | None,
                          error: str | None) -> RedirectResponse:
    if not (c.settings.slack_client_id and c.settings.slack_client_secret):
        raise Problem(404, "Sign in with Slack is not configured.")
    if error:
        return RedirectResponse("/signin?error=" + urlencode({"e": error})[2:], status_code=302)
    if not code or not state or request.cookies.get(STATE_COOKIE) != state:
        raise Problem(400, "The sign-in link is stale or was opened in another browser; try again.")
    try:
        claims = jwt.decode(state, _state_key(c), algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        raise Problem(400, "The sign-in link expired; try again.") from exc
    info = await _slack_identity(c, code)
    guest = await _admissible(c, info)
    async with c.runtime.outbox.transaction() as tx:
        user = await match_or_create_slack_user(
            tx, c, email=info["email"], name=info.get("name") or info["email"],
            slack_user_id=info.get("https://slack.com/user_id"), avatar_url=info.get("picture"),
            locale=info.get("locale"), guest=guest,
        )
        user_id = user.id
    token_value, _, _ = c.signer.issue(user_id)
    response = RedirectResponse(safe_next(claims.get("next")), status_code=302)
    set_session_cookies(response, token_value, _secure(request))
    response.delete_cookie(STATE_COOKIE)
    return response


async def _slack_identity(c: Any, code: str) -> Any:
    """Who Slack says signed in (OpenID Connect: the code for a token, the token for the user)."""
    client = _slack_client(c)
    try:
        tokens = await client.openid_connect_token(client_id=c.settings.slack_client_id,
                                                   client_secret=c.settings.slack_client_secret,
                                                   code=code, redirect_uri=_redirect_uri(c))
        return await client.openid_connect_userInfo(token=tokens["access_token"])
    except Exception as exc:
        raise Problem(502, "Slack did not confirm the sign-in; try again.", title="Bad Gateway") from exc


async def _admissible(c: Any, info: Any) -> bool:
    """Refuse another workspace, an unverified email and (unless allowed) a Slack guest;
    whether the person is a Slack guest."""
    team_id = info.get("https://slack.com/team_id")
    if c.settings.slack_team_id and team_id != c.settings.slack_team_id:
        raise Problem(403, "This Slack workspace is not the one Boost is set up for.")
    if not info.get("email") or not info.get("email_verified", True):
        raise Problem(403, "Slack did not share a verified email.")
    guest: bool = await _is_guest(c, info.get("https://slack.com/user_id"))
    if guest and not c.settings.slack_allow_guests:
        raise Problem(403, "Slack guests can't sign in to Boost; ask an admin (BOOST_SLACK_ALLOW_GUESTS).")
    return guest


def renewal_cookie(request: Request, status: int) -> bytes | None:
    """Silent renewal: a cookie session past half its life gets a fresh token (the
    Set-Cookie header's value, or None)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or not principal.via_cookie or status >= 400:
        return None
    if principal.exp - time.time() > RENEW_WHEN_LEFT:
        return None
    c = get_container(request)
    new_token, _, _ = c.signer.issue(principal.user_id)
    carrier = Response()
    carrier.set_cookie(SESSION_COOKIE, new_token, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                       secure=_secure(request), path="/")
    return next(value for name, value in carrier.raw_headers if name == b"set-cookie")


class RenewSessions:
    """`renewal_cookie` on every answer, as plain ASGI: a `@app.middleware("http")` runs
    each request in a task of its own behind memory streams, which cost okr more CPU than
    the renewal's one comparison."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def renewing(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = renewal_cookie(Request(scope), message["status"])
                if cookie is not None:
                    message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, renewing)


