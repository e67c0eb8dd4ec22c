"""End to end in Chromium, against a whole stack connected to a fake Slack (its own process)
that lists a few channels: an admin picks a team's digest channel from Slack's list, and is
told when Boost is not in the channel picked."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import free_port
from services.notifier.tests.fake_slack import SIGNING_SECRET, TOKEN
from tests.conftest import ROOT, api, api_login, start_stack

pytestmark = pytest.mark.e2e
ADMIN = "admin@boost.example"
CHANNELS = [
    {"id": "C0GENERAL", "name": "general", "is_private": False, "is_member": True},
    {"id": "C0RANDOM", "name": "random", "is_private": False, "is_member": False},
    {"id": "G0LEADS", "name": "product-leads", "is_private": True, "is_member": True},
    {"id": "G0SECRET", "name": "secret", "is_private": True, "is_member": False},
    {"id": "C0PARTNER", "name": "partner-connect", "is_private": False, "is_member": True, "is_ext_shared": True},
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """This module's own stack (the `new_page` fixture uses it), with Slack connected to the fake."""
    port = free_port()
    fake = subprocess.Popen([sys.executable, "-m", "services.notifier.tests.fake_slack", "--port", str(port),
                             "--channels", json.dumps(CHANNELS)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert time.monotonic() < deadline, "the fake Slack did not start"
            time.sleep(0.1)
    s = start_stack(tmp_path_factory, "slackui", {
        "BOOST_SLACK_BOT_TOKEN": TOKEN, "BOOST_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "BOOST_SLACK_API_URL": f"http://127.0.0.1:{port}/api/"})
    yield s
    s.stop()
    fake.terminate()
    fake.wait(5)


def test_an_admin_picks_the_digest_channel_from_slack_and_is_told_when_boost_is_not_in_it(
        stack: Any, new_page: Any) -> None:
    cookies = api_login(stack.base_url, ADMIN)
    team = next(t for t in api(stack.base_url, "GET", "/api/okr/teams", cookies) if not t.get("slack_channel_id"))
    listed = api(stack.base_url, "GET", "/api/notifier/slack/channels", cookies)
    assert {c["name"] for c in listed} == {"general", "random", "product-leads"}
    page = new_page(ADMIN)
    page.goto("/admin/people")
    page.get_by_role("button", name=team["name"], exact=False).first.click()
    picker = page.get_by_role("combobox", name="Slack channel for the team digest")  # Slack's list, not a typed id
    expect(picker).to_be_visible()
    options = picker.locator("option").all_inner_texts()
    assert "#general" in options and "#random" in options and "#product-leads (private)" in options
    assert not any("secret" in o or "partner" in o for o in options)  # hidden, or shared outside the org
    picker.select_option("C0RANDOM")
    expect(page.get_by_test_id("slack-channel-warning")).to_contain_text("Boost is not in #random")
    picker.select_option("G0LEADS")
    expect(page.get_by_test_id("slack-channel-warning")).to_have_count(0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        saved = next(t for t in api(stack.base_url, "GET", "/api/okr/teams", cookies) if t["id"] == team["id"])
        if saved.get("slack_channel_id") == "G0LEADS":
            break
        time.sleep(0.2)
    assert saved.get("slack_channel_id") == "G0LEADS"
