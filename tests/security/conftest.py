"""A whole stack of its own with the Slack app configured (a fake Slack Web API as its own
process, the test signing secret), for the permission matrix and the fuzzing of what
reaches Boost from outside REST: Socket.IO and Slack's requests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import free_port
from services.notifier.tests.fake_slack import SIGNING_SECRET, TOKEN
from tests.conftest import ROOT, start_stack


@pytest.fixture(scope="session")
def fake_slack_url() -> Iterator[str]:
    port = free_port()
    # --record: the permission matrix reads what Boost told a person (GET /_said/{to}).
    proc = subprocess.Popen([sys.executable, "-m", "services.notifier.tests.fake_slack", "--port", str(port), "--record"],
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert time.monotonic() < deadline, "the fake Slack did not start"
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/api/"
    proc.terminate()
    proc.wait(5)


@pytest.fixture(scope="session")
def slack_stack(tmp_path_factory: pytest.TempPathFactory, fake_slack_url: str, servers: dict[str, str]) -> Iterator[Any]:
    """No demo data (the tests build the teams they need); Slack connected to the fake."""
    s = start_stack(tmp_path_factory, "secure", {
        "BOOST_DEMO": "0", "BOOST_SLACK_BOT_TOKEN": TOKEN, "BOOST_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "BOOST_SLACK_API_URL": fake_slack_url}, servers=servers)
    yield s
    s.stop()
