"""A Boost service as its own process (`python -m <service>_service --port N`), for
tests that kill it with SIGKILL and start it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from conftest import free_port


def service_env(settings: Any, nats_url: str, **extra: str) -> dict[str, str]:
    """The environment a service process gets from a test's settings (its namespace, data
    dir and clock), with a fast outbox sweep; `extra` adds BOOST_* variables."""
    env = {**os.environ, "BOOST_DATABASE_URL": settings.database_url, "BOOST_NATS_URL": nats_url,
           "BOOST_NAMESPACE": settings.namespace, "BOOST_DATA_DIR": str(settings.data_dir),
           "BOOST_NOW": settings.now or "", "BOOST_DEMO": "0", "BOOST_LOG_LEVEL": "WARNING",
           "BOOST_OUTBOX_SWEEP_SECONDS": "0.5"}
    env.update(extra)
    return env


@dataclass
class ReadModelTally:
    """Objectives okr stored, the ones feedback's read model holds (a list: a double shows),
    and okr's outbox rows not yet published."""

    stored: set[int]
    in_model: list[int]
    unsent: int

    def lost(self, acknowledged: list[int]) -> list[int]:
        return sorted(set(acknowledged) - self.stored)

    def undelivered(self, acknowledged: list[int]) -> list[int]:
        return sorted(set(acknowledged) - set(self.in_model))

    @property
    def doubled(self) -> int:
        return len(self.in_model) - len(set(self.in_model))


def tally_when_settled(settings: Any, acknowledged: list[int], timeout: float, every: float = 0.3) -> ReadModelTally:
    """Wait until every acknowledged objective reached feedback's read model and okr's outbox
    is empty (or the timeout), then count what is where."""
    engine = sa.create_engine(sa.engine.make_url(settings.database_url))
    okr_db, fb_db = settings.names.schema("okr"), settings.names.schema("feedback")
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as c:
                tally = ReadModelTally(
                    stored=set(c.execute(sa.text(f"SELECT id FROM `{okr_db}`.objectives")).scalars()),
                    in_model=list(c.execute(sa.text(f"SELECT id FROM `{fb_db}`.rm_objectives")).scalars()),
                    unsent=c.execute(sa.text(f"SELECT COUNT(*) FROM `{okr_db}`.outbox WHERE published_at IS NULL"))
                    .scalar_one())
            if (set(acknowledged) <= set(tally.in_model) and tally.unsent == 0) or time.monotonic() > deadline:
                return tally
            time.sleep(every)
    finally:
        engine.dispose()


class Service:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, label: str | None = None) -> None:
        self.name, self.env, self.log_dir = name, env, log_dir
        self.label = label or name
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.log_dir / f"{self.label}.log"

    def start(self, timeout: float = 60, wait_ready: bool = True) -> None:
        log = self.log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", f"{self.name}_service", "--port", str(self.port)],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if wait_ready:
            self.wait_ready(timeout)

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/{self.name}/readyz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def wait_ready(self, timeout: float = 60) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited: {self.log.read_text()[-3000:]}")
            if self.ready():
                return time.monotonic() - started
            time.sleep(0.1)
        raise TimeoutError(f"{self.label} not ready after {timeout}s: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
