"""Deep links point where the gateway really is (issue 21, item 2: with BOOST_PORT=8090
every Slack "Open in Boost" button pointed to http://localhost:8080)."""

from __future__ import annotations

import pytest
from boost_platform.settings import BoostSettings


def test_the_public_url_follows_the_gateway_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOOST_PUBLIC_URL", raising=False)
    monkeypatch.setenv("BOOST_PORT", "8090")
    assert BoostSettings(_env_file=None).public_url == "http://localhost:8090"  # type: ignore[call-arg]
    monkeypatch.setenv("BOOST_PUBLIC_URL", "")
    assert BoostSettings(_env_file=None).public_url == "http://localhost:8090"  # type: ignore[call-arg]
    monkeypatch.delenv("BOOST_PORT")
    assert BoostSettings(_env_file=None).public_url == "http://localhost:8080"  # type: ignore[call-arg]


def test_a_set_public_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOST_PORT", "8090")
    monkeypatch.setenv("BOOST_PUBLIC_URL", "https://okr.example.com")
    assert BoostSettings(_env_file=None).public_url == "https://okr.example.com"  # type: ignore[call-arg]
