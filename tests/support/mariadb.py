"""A MariaDB server of our own (the installed `mariadbd`, a fresh data dir, its own
port and socket), for tests that kill it: the machine's shared server is never touched."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from conftest import free_port


def mariadb_binaries() -> tuple[str, str] | None:
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
    install = shutil.which("mariadb-install-db")
    return (server, install) if server and install else None


class PrivateMariaDB:
    def __init__(self, root: Path) -> None:
        found = mariadb_binaries()
        if found is None:
            raise RuntimeError("mariadbd / mariadb-install-db are not installed")
        self.server, self.install = found
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/"

    def start(self, timeout: float = 30) -> None:
        data = self.root / "data"
        if not data.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            subprocess.run([self.install, "--no-defaults", f"--datadir={data}", "--user=root",
                            "--auth-root-authentication-method=normal", "--skip-test-db"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = (self.root / "mariadbd.log").open("ab")
        # Default durability (innodb_flush_log_at_trx_commit=1): a committed transaction
        # survives kill -9, as on the real server.
        self.proc = subprocess.Popen(
            [self.server, "--no-defaults", f"--datadir={data}", "--user=root", "--bind-address=127.0.0.1",
             f"--port={self.port}", f"--socket={self.root / 'mariadbd.sock'}", f"--pid-file={self.root / 'pid'}",
             "--skip-grant-tables", "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--max-connections=400"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {(self.root / 'mariadbd.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("mariadbd did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
