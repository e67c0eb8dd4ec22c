"""Data-source secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`)
keyed by BOOST_SECRETS_KEY. In dev mode without a key, one is generated once under
BOOST_DATA_DIR (mode 0600) so a restart can still read what it stored."""

from __future__ import annotations

import os
from pathlib import Path

from boost_platform.settings import BoostSettings
from cryptography.fernet import Fernet, InvalidToken


class Vault:
    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)

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
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
    return Vault(path.read_bytes().strip())
