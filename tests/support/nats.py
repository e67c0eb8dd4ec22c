"""A nats-server of our own (the bundled binary), for tests that kill it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port


class PrivateNats:
    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        conf = self.store / "nats.conf"
        # As the bundled server of `make run`: every acknowledged message is on disk, so
        # kill -9 loses nothing that was acknowledged (R1 has no other copy).
        conf.write_text(f'listen: "127.0.0.1:{self.port}"\njetstream {{\n  store_dir: "{self.store}"\n'
                        "  sync_interval: always\n}\n")
        binary = Path(sys.executable).parent / "nats-server"
        self.proc = subprocess.Popen([str(binary), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)
