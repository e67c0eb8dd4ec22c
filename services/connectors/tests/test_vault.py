"""Secrets at rest: Fernet ciphertext, keys rotated without losing what is stored, and no
start outside dev mode without a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from boost_platform.settings import BoostSettings
from connectors_service.vault import Vault, load_vault
from cryptography.fernet import Fernet


def test_a_rotated_key_still_opens_what_the_old_one_sealed() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = Vault(old).seal("db-password")
    assert "db-password" not in sealed
    rotated_vault = Vault(f"{new},{old}")
    assert rotated_vault.open(sealed) == "db-password"
    resealed = rotated_vault.rotate(sealed)
    assert Vault(new).open(resealed) == "db-password"
    with pytest.raises(ValueError, match="cannot be read"):
        Vault(Fernet.generate_key()).open(sealed)


def test_dev_mode_generates_one_key_and_keeps_it(tmp_path: Path) -> None:
    settings = BoostSettings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    sealed = load_vault(settings).seal("x")
    assert load_vault(settings).open(sealed) == "x"
    assert (tmp_path / "secrets.key").stat().st_mode & 0o777 == 0o600


def test_slack_mode_needs_a_key(tmp_path: Path) -> None:
    settings = BoostSettings(_env_file=None, data_dir=tmp_path, auth_mode="slack", signing_key="k",  # type: ignore[call-arg]
                             slack_client_id="i", slack_client_secret="s", slack_team_id="T")
    with pytest.raises(ValueError, match="BOOST_SECRETS_KEY"):
        load_vault(settings)
    with pytest.raises(ValueError, match="Fernet keys"):
        Vault("not-a-key")
