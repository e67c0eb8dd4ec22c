"""Signing session tokens (Ed25519). okr holds the private key; the JWKS it serves
(and answers on `okr.query.jwks`) lets every other service verify."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

import jwt
from boost_platform.auth import AUDIENCE, ISSUER
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

SESSION_SECONDS = 12 * 3600
RENEW_WHEN_LEFT = 6 * 3600


def load_or_create_key(pem: str | None, data_dir: Path) -> Ed25519PrivateKey:
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("BOOST_SIGNING_KEY must be an Ed25519 private key (PEM)")
        return key
    path = data_dir / "signing_key.pem"
    if path.exists():
        return load_or_create_key(path.read_text(), data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    tmp.chmod(0o600)
    try:
        # First writer wins: replicas starting together end up signing with one key.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return load_or_create_key(path.read_text(), data_dir)


class TokenSigner:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        public_jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
        thumb = hashlib.sha256(json.dumps({k: public_jwk[k] for k in ("crv", "kty", "x")}, sort_keys=True,
                                          separators=(",", ":")).encode()).digest()
        self.kid = base64.urlsafe_b64encode(thumb).decode().rstrip("=")[:16]
        public_jwk.update({"kid": self.kid, "alg": "EdDSA", "use": "sig"})
        self._jwk = public_jwk

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    def issue(self, user_id: int, now: float | None = None) -> tuple[str, str, int]:
        """A new token for the user: (token, jti, exp)."""
        issued = int(now or time.time())
        exp = issued + SESSION_SECONDS
        jti = secrets.token_urlsafe(16)
        token = jwt.encode(
            {"sub": str(user_id), "jti": jti, "iat": issued, "exp": exp, "iss": ISSUER, "aud": AUDIENCE},
            self._key,
            algorithm="EdDSA",
            headers={"kid": self.kid},
        )
        return token, jti, exp
