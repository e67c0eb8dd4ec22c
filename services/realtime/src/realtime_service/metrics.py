"""realtime's Prometheus metrics (served by the shared `/api/realtime/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONNECTIONS = Gauge("boost_realtime_connections", "Socket.IO connections open on this replica")
REFUSED = Counter("boost_realtime_refused_total", "Socket connections refused", ["reason"])
EMITS = Counter("boost_realtime_emits_total", "Messages sent to sockets (one per socket reached)", ["event"])
EDIT_LATENCY = Histogram(
    "boost_realtime_edit_seconds",
    "From an `edit` message to its ack (okr's answer included)",
    ["outcome"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
SLOW_DROPPED = Counter("boost_realtime_slow_clients_dropped_total", "Sockets dropped for not reading their messages")
DISCARDED = Counter("boost_realtime_discarded_messages_total",
                    "Messages thrown away with the queue of a socket dropped for not reading them (its client reconnects and refetches)")
PRESENCE_HEARTBEATS = Counter("boost_realtime_presence_heartbeats_total", "Presence heartbeats", ["origin"])
PRESENCE_SHED = Counter(
    "boost_realtime_presence_shed_total",
    "Presence work put off or skipped because the replica was saturated (edits and events never are)",
    ["how"],  # deferred: a broadcast coalesced into the next sweep; not_relayed: an unchanged
    # heartbeat not sent to the other replicas; busy_socket: not queued to a socket far behind
)
