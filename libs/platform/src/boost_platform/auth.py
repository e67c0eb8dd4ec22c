"""Session tokens: verification with okr's public keys (JWKS), a deny list of revoked
token ids, and the FastAPI dependencies that find the caller.

okr signs tokens (EdDSA); every other service only verifies them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Request
from jwt.algorithms import OKPAlgorithm

from .problems import Problem

SESSION_COOKIE = "boost_session"
CSRF_COOKIE = "boost_csrf"
CSRF_HEADER = "x-boost-csrf"
ISSUER = "boost"
AUDIENCE = "boost"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (from a session token) or a service."""

    user_id: int
    jti: str
    exp: int
    via_cookie: bool = False
    claims: dict[str, Any] = field(default_factory=dict)


class AuthError(Exception):
    pass


class TokenVerifier:
    """Checks a token's signature and claims once: what verified is remembered by the token
    itself until its `exp` (every request of a session carries the same token), while the
    deny list is still asked on every call, so a sign-out takes effect at once. New keys
    (`load_jwks`) forget everything verified with the old ones."""

    MAX_VERIFIED = 10_000

    def __init__(self) -> None:
        self._keys: dict[str, Any] = {}
        self._revoked: dict[str, int] = {}
        self._verified: dict[str, tuple[float, dict[str, Any]]] = {}  # token → (exp, claims)

    @property
    def ready(self) -> bool:
        return bool(self._keys)

    def load_jwks(self, jwks: dict[str, Any]) -> None:
        keys = {}
        for jwk in jwks.get("keys", []):
            keys[jwk["kid"]] = OKPAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self._verified = {}

    def revoke(self, jti: str, exp: int) -> None:
        now = int(time.time())
        self._revoked[jti] = exp
        if len(self._revoked) > 10_000:
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}

    def is_revoked(self, jti: str) -> bool:
        return jti in self._revoked

    def verify(self, token: str) -> dict[str, Any]:
        known = self._verified.get(token)
        if known is not None and time.time() < known[0]:
            if self.is_revoked(known[1]["jti"]):
                raise AuthError("session revoked")
            return known[1]
        claims = self._verify(token)
        if len(self._verified) >= self.MAX_VERIFIED:
            now = time.time()
            self._verified = {t: v for t, v in self._verified.items() if now < v[0]}
            if len(self._verified) >= self.MAX_VERIFIED:
                self._verified = {}
        self._verified[token] = (float(claims["exp"]), claims)
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        key = self._keys.get(header.get("kid", ""))
        if key is None:
            raise AuthError("unknown signing key")
        try:
            claims = jwt.decode(token, key=key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER,
                                options={"require": ["exp", "sub", "jti"]})
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("session expired") from exc
        except jwt.PyJWTError as exc:
            raise AuthError("invalid token") from exc
        if self.is_revoked(claims["jti"]):
            raise AuthError("session revoked")
        return claims


def token_from_request(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie, True


def authenticate(request: Request, verifier: TokenVerifier) -> Principal:
    token, via_cookie = token_from_request(request)
    if not token:
        raise Problem(401, "Sign in first.", headers={"WWW-Authenticate": "Bearer"})
    try:
        claims = verifier.verify(token)
    except AuthError as exc:
        raise Problem(401, f"Your session is not valid ({exc}); sign in again.") from exc
    if via_cookie and request.method not in SAFE_METHODS:
        csrf_cookie = request.cookies.get(CSRF_COOKIE)
        if not csrf_cookie or request.headers.get(CSRF_HEADER) != csrf_cookie:
            raise Problem(403, "Missing or wrong X-Boost-CSRF header.", title="CSRF check failed")
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise Problem(401, "invalid token subject") from exc
    return Principal(user_id=user_id, jti=claims["jti"], exp=int(claims["exp"]), via_cookie=via_cookie, claims=claims)
