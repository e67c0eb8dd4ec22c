"""The one schemathesis sweep over every service's OpenAPI document, through the
gateway, on the stack of tests/conftest.py (its own data dir and NATS): bad input of
every shape gets a 4xx, never a 5xx, and responses match their documented schemas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import api_login

SERVICES = ("okr", "feedback", "realtime", "scheduler", "notifier", "connectors")
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.mark.parametrize("service", SERVICES)
def test_no_server_errors(sweep_stack: Any, service: str) -> None:
    stack = sweep_stack
    token = api_login(stack.base_url, "admin@boost.example")["boost_session"]
    cmd = [
        str(SCHEMATHESIS), "run", f"{stack.base_url}/api/{service}/openapi.json", "--url", stack.base_url,
        "-H", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error,response_schema_conformance",
        # Signing out would revoke the sweep's own token; sign-in routes are rate limited.
        "--exclude-path", "/api/auth/logout", "--exclude-path-regex", "^/api/auth/(dev-login|slack/)",
        "--max-examples", os.environ.get("BOOST_SWEEP_EXAMPLES", "12"), "--workers", "1",  # hypothesis describes lambdas with ast.parse, which races across threads on 3.11
        "--phases", "examples,coverage,fuzzing", "--seed", "20271", "--request-timeout", "20",
        "--suppress-health-check", "all", "--warnings", "off",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    summary = result.stdout[-6000:]
    assert result.returncode == 0, f"schemathesis found problems in {service}:\n{summary}\n{result.stderr[-2000:]}"
