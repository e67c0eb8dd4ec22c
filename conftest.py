"""Fixtures every test can use: real MariaDB and NATS (the machine's, or a bundled
nats-server), an isolated BOOST_NAMESPACE per run that is dropped at the end, and
settings/app factories. Under CI=true a missing MariaDB or NATS fails the run."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent
IN_CI = os.environ.get("CI", "").lower() == "true"


TIERS = ("unit", "integration", "e2e", "chaos")
SERVER_FIXTURES = frozenset({"mariadb_url", "nats_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test gets one tier: e2e and chaos are marked by their modules; a test that uses a
    real server (through any fixture that needs `mariadb_url` or `nats_url`) is `integration`;
    the rest is `unit`, which `make check` runs without MariaDB or NATS."""
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        needs_servers = SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        item.add_marker("integration" if needs_servers else "unit")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is not reachable and CI=true: integration tests need it", pytrace=False)
    pytest.skip(f"{what} is not reachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def namespace() -> str:
    return "t" + secrets.token_hex(4)


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    url = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
    if not _reachable(url, 3306):
        _missing(f"MariaDB at {url}")
    return url


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
    if _reachable(url, 4222):
        yield url
        return
    # No shared NATS: start the bundled one.
    binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if not binary:
        _missing(f"NATS at {url}")
    port = free_port()
    proc = subprocess.Popen([binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd",
                             str(tmp_path_factory.mktemp("nats"))], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not _reachable(f"nats://127.0.0.1:{port}", port) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"nats://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(5)


@pytest.fixture(scope="session", autouse=True)
def _drop_namespace(request: pytest.FixtureRequest, namespace: str) -> Iterator[None]:
    """At the end of the run, drop this run's schemas and streams (shared servers keep state)."""
    yield
    url = os.environ.get("BOOST_TEST_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/")
    if _reachable(url, 3306):
        if True:
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for (schema,) in conn.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": namespace + "\\_%"}):
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{schema}`")
            engine.dispose()
    nats = os.environ.get("BOOST_TEST_NATS_URL", "nats://127.0.0.1:4222")
    if _reachable(nats, 4222):
        asyncio.run(_drop_streams(nats, namespace))


async def _drop_streams(url: str, namespace: str) -> None:
    import nats

    nc = await nats.connect(url, connect_timeout=2)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            name = info.config.name or ""
            if name.startswith(namespace + "_") or name.startswith(f"KV_{namespace}_"):
                await js.delete_stream(name)
    finally:
        await nc.close()


@pytest.fixture(scope="session")
def make_settings(mariadb_url: str, nats_url: str, namespace: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    """Settings for a service under test: real MariaDB and NATS, this run's namespace
    (plus an optional suffix so a test module can have a clean world of its own)."""
    from boost_platform.settings import BoostSettings

    def factory(suffix: str = "", **overrides: Any) -> BoostSettings:
        ns = f"{namespace}_{suffix}" if suffix else namespace
        values: dict[str, Any] = {
            "database_url": mariadb_url, "nats_url": nats_url, "namespace": ns,
            "data_dir": tmp_path_factory.mktemp(f"data_{suffix or 'main'}"), "demo": False, "log_json": True,
            "log_level": "WARNING", "outbox_sweep_seconds": 0.5, "admin_emails": "admin@boost.example",
            # Integration tests check the dashboard write by write; its lag under a stream of
            # writes (production: 1 s) is tested on its own, and the e2e stacks run with it.
            "dashboard_max_lag_seconds": 0.0,
        }
        values.update(overrides)
        return BoostSettings(_env_file=None, **values)  # type: ignore[call-arg]

    return factory


@asynccontextmanager
async def running_app(app: Any) -> AsyncIterator[Any]:
    """An app with its lifespan running, and an httpx client talking to it in-process."""
    import httpx
    from asgi_lifespan import LifespanManager

    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            client.boost_app = app  # type: ignore[attr-defined]  # tests reach the container through it
            yield client


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="boost-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
