"""The whole of Boost as `make run` starts it (every service, nginx, the demo company), once
per test session, for the end-to-end, sweep and security tests: on the production database
(the test MariaDB) and the test NATS, in a namespace of its own, so these suites test what
runs in production. One smoke stack (`sqlite_stack`) keeps `make run`'s own defaults
(SQLite files and a bundled NATS) honest."""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import IN_CI, free_port

ROOT = Path(__file__).resolve().parents[1]
NOW = "2027-02-20T01:00:00+00:00"  # 2027-Q1 is running; 2027-Q2 is being drafted soon


def skip_or_fail(why: str) -> None:
    if IN_CI:
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


CHROMIUM = os.environ.get("BOOST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# Module scope: Playwright's sync API runs an event loop in this thread while it is
# open, which would stop the asyncio tests that come after it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (the e2e tests and the XSS corpus)."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def internal_port_base() -> int:
    """A free range for a stack's internal ports (see scripts/boost.py)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from boost import free_internal_port_base

    return free_internal_port_base()


@pytest.fixture(scope="session")
def servers(mariadb_url: str, nats_url: str, namespace: str) -> dict[str, str]:
    """Where a full stack keeps its state: the test MariaDB and NATS, under this run's namespace."""
    return {"BOOST_DATABASE_URL": mariadb_url, "BOOST_NATS_URL": nats_url, "BOOST_NAMESPACE": namespace}


def start_stack(tmp_path_factory: pytest.TempPathFactory, name: str, extra_env: dict[str, str] | None = None,
                servers: dict[str, str] | None = None) -> Any:
    """A whole stack; with `servers` (the fixture) on MariaDB and the test NATS, in the namespace
    `<run>_<name>`; without, on SQLite and a bundled NATS exactly as `make run`."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from boost import Stack

    if not (ROOT / "gateway" / "web" / "dist" / "index.html").exists():
        skip_or_fail("the web app is not built (make setup-web)")
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        skip_or_fail("nginx is not installed")
    data_dir = tmp_path_factory.mktemp(name)
    port = free_port()
    env = {
        "BOOST_PORT": str(port),
        "BOOST_DATA_DIR": str(data_dir),
        "BOOST_INTERNAL_PORT_BASE": str(internal_port_base()),
        "BOOST_NOW": NOW,
        "BOOST_DEMO": "1",
        "BOOST_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BOOST_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    for key in ("BOOST_DATABASE_URL", "BOOST_NATS_URL", "BOOST_NAMESPACE"):
        os.environ.pop(key, None)
    if servers:
        env.update({**servers, "BOOST_NAMESPACE": f"{servers['BOOST_NAMESPACE']}_{name}"})
    s = Stack(env, log_dir=data_dir)
    try:
        s.startup_seconds = s.start(timeout=120)
    except Exception:
        s.stop()
        for log in sorted(data_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}")
        raise
    return s


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, servers: dict[str, str]) -> Iterator[Any]:
    """The demo company on MariaDB, for tests that read and edit it like people."""
    s = start_stack(tmp_path_factory, "stack", servers=servers)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo company exactly as `make run` starts it: SQLite files and a bundled NATS."""
    s = start_stack(tmp_path_factory, "sqlite")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def sweep_stack(tmp_path_factory: pytest.TempPathFactory, servers: dict[str, str]) -> Iterator[Any]:
    """A stack of its own for the fuzzing sweep, which renames and deletes what it finds."""
    s = start_stack(tmp_path_factory, "sweep", servers=servers)
    yield s
    s.stop()


def api_login(base_url: str, email: str) -> dict[str, str]:
    """Cookies of a dev sign-in, for a browser context."""
    request = urllib.request.Request(f"{base_url}/api/auth/dev-login", data=json.dumps({"email": email}).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        cookies = {}
        for header in response.headers.get_all("set-cookie"):
            name, _, rest = header.partition("=")
            cookies[name] = rest.split(";", 1)[0]
        return cookies


def api(base_url: str, method: str, path: str, token_cookies: dict[str, str], body: Any = None) -> Any:
    headers = {"content-type": "application/json", "X-Boost-CSRF": token_cookies.get("boost_csrf", ""),
               "cookie": "; ".join(f"{k}={v}" for k, v in token_cookies.items())}
    request = urllib.request.Request(f"{base_url}{path}", data=json.dumps(body).encode() if body is not None else None,
                                     headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return json.loads(raw) if raw else None
