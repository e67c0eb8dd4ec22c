"""Data-source secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`)
keyed by BOOST_SECRETS_KEY. In dev mode without a key, one is generated once under
BOOST_DATA_DIR (mode 0600) so a restart can still read what it stored.

Rotation: BOOST_SECRETS_KEY may list several keys, comma-separated (MultiFernet): the
first seals, every one opens; `rotate` re-seals a stored secret with the first."""

from __future__ import annotations

import os
from pathlib import Path

from boost_platform.settings import BoostSettings
from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Vault:
    def __init__(self, key: str | bytes) -> None:
        text = key.decode() if isinstance(key, bytes) else key
        keys = [k.strip() for k in text.split(",") if k.strip()]
        if not keys:
            raise ValueError("BOOST_SECRETS_KEY is empty")
        self.rotating = len(keys) > 1  # an old key is still listed: stored secrets get re-sealed
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except ValueError as exc:
            raise ValueError("BOOST_SECRETS_KEY must be Fernet keys (32 url-safe base64-encoded bytes each)") from exc

    def rotate(self, sealed: str) -> str:
        return self._fernet.rotate(sealed.encode()).decode()

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            # Named without the ciphertext: a rotated key must not leak anything either.
            raise ValueError("the stored secret cannot be read with BOOST_SECRETS_KEY (was the key changed?)") from exc


def load_vault(settings: BoostSettings) -> Vault:
    if settings.secrets_key:
        return Vault(settings.secrets_key)
    if settings.auth_mode != "dev":
        raise ValueError("BOOST_AUTH_MODE=slack needs BOOST_SECRETS_KEY (it encrypts data-source secrets)")
    path = Path(settings.data_dir) / "secrets.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another replica made it first
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
    return Vault(path.read_bytes().strip())
