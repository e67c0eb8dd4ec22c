"""A three-node JetStream cluster of our own (scripts/nats_cluster.py: the bundled
nats-server, configs from deploy/nats/cluster.conf), for tests that kill, pause and
restart its servers. Also: which server the services are on, and a stream's leader and
replicas as the cluster reports them."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from nats_cluster import LocalCluster, Node, healthy

__all__ = ["NatsCluster", "Node", "StreamState", "running_cluster"]


@dataclass(frozen=True)
class StreamState:
    leader: str | None
    current: frozenset[str]  # servers holding the stream, caught up (leader included)
    lagging: frozenset[str]  # servers holding it that are offline or behind

    @property
    def healthy_replicas(self) -> int:
        return len(self.current)


class NatsCluster(LocalCluster):
    def monitor(self, node: Node, path: str) -> dict[str, object]:
        with urllib.request.urlopen(f"http://127.0.0.1:{node.monitor_port}{path}", timeout=2) as r:
            return json.load(r)  # type: ignore[no-any-return]

    def clients_by_server(self, prefix: str = "boost-") -> Counter[str]:
        """How many connections named `prefix…` (every Boost service's bus) each live server has."""
        counts: Counter[str] = Counter()
        for node in self.nodes:
            if not self.alive(node):
                continue
            try:
                conns = self.monitor(node, "/connz?limit=1024")["connections"]
            except OSError:
                continue
            counts[node.name] = sum(1 for c in conns or [] if str(c.get("name", "")).startswith(prefix))  # type: ignore[union-attr]
        return counts

    def busiest(self) -> Node:
        """The server most services are connected to."""
        counts = self.clients_by_server()
        return self.node(counts.most_common(1)[0][0])

    async def stream_state(self, stream: str) -> StreamState:
        nc = await nats.connect(self.urls, connect_timeout=2, max_reconnect_attempts=1, allow_reconnect=False)
        try:
            info = await nc.jetstream(timeout=3).stream_info(stream)
        finally:
            await nc.close()
        cluster = info.cluster
        if cluster is None:
            return StreamState(None, frozenset(), frozenset())
        current = {cluster.leader} if cluster.leader else set()
        lagging = set()
        for peer in cluster.replicas or []:
            (lagging if peer.offline or not peer.current else current).add(peer.name)
        return StreamState(cluster.leader, frozenset(current), frozenset(lagging))

    async def wait_stream(self, stream: str, replicas: int, timeout: float = 60.0) -> tuple[StreamState, float]:
        """Until the stream has a leader and `replicas` current copies; returns the state and
        how long that took."""
        started = time.monotonic()
        state: StreamState | None = None
        while time.monotonic() - started < timeout:
            try:
                state = await self.stream_state(stream)
                if state.leader and state.healthy_replicas >= replicas:
                    return state, time.monotonic() - started
            except Exception:  # no leader yet, or the server asked is going away
                pass
            await asyncio.sleep(0.25)
        raise TimeoutError(f"stream {stream} not at {replicas} current replicas after {timeout:.0f}s: {state}")

    def pause(self, node: Node) -> None:
        """A network split of one server, as its peers see it: it stops answering."""
        self.signal(node, signal.SIGSTOP)

    def resume(self, node: Node) -> None:
        self.signal(node, signal.SIGCONT)

    def restart(self, node: Node) -> None:
        self.start_node(node)

    def wait_healthy(self, node: Node, timeout: float = 30.0) -> float:
        started = time.monotonic()
        while not healthy(node):
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{node.name} not healthy after {timeout:.0f}s")
            time.sleep(0.1)
        return time.monotonic() - started


@contextmanager
def running_cluster(directory: Path, size: int = 3) -> Iterator[NatsCluster]:
    """A started cluster, stopped afterwards (every server, paused ones too)."""
    cluster = NatsCluster(directory, size)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
