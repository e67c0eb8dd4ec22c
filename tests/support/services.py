"""A Boost service as its own process (`python -m <service>_service --port N`), for
tests that kill it with SIGKILL and start it again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import free_port


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
