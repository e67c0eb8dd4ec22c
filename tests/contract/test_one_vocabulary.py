"""A health reads the same in the web app and in Slack, in each language: the notifier's
messages (notifier_service.messages.i18n) and the web's dictionaries (gateway/web/src/i18n)
are separate files, and "위험" once meant at-risk in one and off-track in the other."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from notifier_service.messages.i18n import TEXTS

WEB_I18N = Path(__file__).resolve().parents[2] / "gateway" / "web" / "src" / "i18n"
HEALTHS = ("on_track", "at_risk", "off_track", "unknown")


def web_texts(locale: str) -> dict[str, str]:
    source = (WEB_I18N / f"{locale}.ts").read_text(encoding="utf-8")
    return dict(re.findall(r"^\s*'([\w.]+)':\s*'([^']*)',", source, re.MULTILINE))


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_health_words_are_the_same_on_the_web_and_in_slack(locale: str) -> None:
    web = web_texts(locale)
    assert {h: web[f"health.{h}"] for h in HEALTHS} == {h: TEXTS[locale][f"health.{h}"] for h in HEALTHS}
