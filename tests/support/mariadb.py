"""A MariaDB server of our own (the installed `mariadbd`, a fresh data dir, its own
port and socket), for tests that kill it: the machine's shared server is never touched."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from conftest import free_port


def mariadb_binaries() -> tuple[str, str] | None:
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
    install = shutil.which("mariadb-install-db")
    return (server, install) if server and install else None


class PrivateMariaDB:
    def __init__(self, root: Path, extra_args: Sequence[str] = ()) -> None:
        found = mariadb_binaries()
        if found is None:
            raise RuntimeError("mariadbd / mariadb-install-db are not installed")
        self.server, self.install = found
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra_args = list(extra_args)  # after the defaults: they win

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
             "--skip-grant-tables", "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--max-connections=400",
             *self.extra_args],
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


# A primary writes a binary log (row-based, as replication wants); a replica has its own id.
# Both with grant tables, as a real server: a stored procedure's DEFINER (okr has some) is
# then a real account, which the replica can apply (root without a password, from
# mariadb-install-db).
PRIMARY_ARGS = ("--skip-grant-tables=0", "--log-bin=mariadb-bin", "--server-id=1", "--binlog-format=ROW")
REPLICA_ARGS = ("--skip-grant-tables=0", "--server-id=2", "--read-only=1", "--relay-log=relay-bin")


def replicate(primary: PrivateMariaDB, replica: PrivateMariaDB) -> None:
    """Make `replica` a replica of `primary` from the primary's current binlog position
    (both fresh: everything from then on). The replica connects as root, who has no
    password on a fresh data dir."""
    import sqlalchemy as sa

    source = sa.create_engine(primary.url, isolation_level="AUTOCOMMIT")
    target = sa.create_engine(replica.url, isolation_level="AUTOCOMMIT")
    try:
        with source.connect() as c:
            status = c.exec_driver_sql("SHOW MASTER STATUS").mappings().one()
        with target.connect() as c:
            c.exec_driver_sql(
                f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, MASTER_USER='root', "
                f"MASTER_PASSWORD='', MASTER_LOG_FILE='{status['File']}', MASTER_LOG_POS={int(status['Position'])}, "
                "MASTER_CONNECT_RETRY=1")
            c.exec_driver_sql("START SLAVE")
    finally:
        source.dispose()
        target.dispose()


def replica_status(replica: PrivateMariaDB) -> dict[str, object]:
    import sqlalchemy as sa

    engine = sa.create_engine(replica.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            return dict(c.exec_driver_sql("SHOW SLAVE STATUS").mappings().one())
    finally:
        engine.dispose()
