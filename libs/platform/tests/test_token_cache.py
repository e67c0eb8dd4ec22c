"""A token is verified once and then remembered until it expires (issue 23: the signature
check ran on every request), yet a sign-out, an expiry or new signing keys still refuse it
at once."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from boost_platform.auth import AUDIENCE, ISSUER, AuthError, TokenVerifier
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm


def _keys(kid: str) -> tuple[Ed25519PrivateKey, dict[str, object]]:
    key = Ed25519PrivateKey.generate()
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    return key, {"keys": [{**jwk, "kid": kid}]}


def _token(key: Ed25519PrivateKey, kid: str, exp: float, jti: str = "j1") -> str:
    claims = {"sub": "7", "jti": jti, "iat": int(time.time()), "exp": int(exp), "iss": ISSUER, "aud": AUDIENCE}
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


def test_a_verified_token_is_remembered_but_a_sign_out_refuses_it_at_once() -> None:
    key, jwks = _keys("k1")
    verifier = TokenVerifier()
    verifier.load_jwks(jwks)
    token = _token(key, "k1", time.time() + 3600)
    assert verifier.verify(token)["sub"] == "7"
    assert verifier.verify(token)["sub"] == "7"  # the remembered answer
    verifier.revoke("j1", int(time.time()) + 3600)
    with pytest.raises(AuthError, match="revoked"):
        verifier.verify(token)


def test_a_remembered_token_expires_with_its_exp() -> None:
    key, jwks = _keys("k1")
    verifier = TokenVerifier()
    verifier.load_jwks(jwks)
    exp = int(time.time()) + 2
    token = _token(key, "k1", exp)
    verifier.verify(token)
    time.sleep(exp - time.time() + 0.1)
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(token)


def test_new_signing_keys_forget_tokens_of_the_old_ones() -> None:
    old_key, old_jwks = _keys("old")
    verifier = TokenVerifier()
    verifier.load_jwks(old_jwks)
    token = _token(old_key, "old", time.time() + 3600)
    verifier.verify(token)
    verifier.load_jwks(_keys("new")[1])
    with pytest.raises(AuthError, match="unknown signing key"):
        verifier.verify(token)


def test_a_tampered_token_is_never_taken_for_a_remembered_one() -> None:
    key, jwks = _keys("k1")
    verifier = TokenVerifier()
    verifier.load_jwks(jwks)
    token = _token(key, "k1", time.time() + 3600)
    verifier.verify(token)
    with pytest.raises(AuthError):
        verifier.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_a_session_s_signature_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    key, jwks = _keys("k1")
    verifier = TokenVerifier()
    verifier.load_jwks(jwks)
    token = _token(key, "k1", time.time() + 3600)
    decoded = []
    decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **kw: decoded.append(1) or decode(*a, **kw))
    for _ in range(5):
        verifier.verify(token)
    assert len(decoded) == 1
