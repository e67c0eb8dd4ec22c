"""Prometheus metrics shared by every service (one process = one service, so the
default registry is enough; metrics are labelled by service anyway)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_LATENCY = Histogram(
    "boost_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BUS_PUBLISHED = Counter("boost_bus_published_total", "Events published to JetStream", ["service", "stream"])
BUS_PUBLISH_ERRORS = Counter("boost_bus_publish_errors_total", "Failed JetStream publishes", ["service"])
BUS_CONSUMED = Counter("boost_bus_consumed_total", "Events handled by consumers", ["service", "consumer", "outcome"])
BUS_CONSUMER_LAG = Gauge("boost_bus_consumer_lag", "Messages pending for a durable consumer", ["service", "consumer"])
BUS_REQUESTS = Histogram(
    "boost_bus_request_seconds",
    "Time to answer a bus command or query",
    ["service", "subject", "outcome"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
OUTBOX_BACKLOG = Gauge("boost_outbox_backlog", "Outbox rows not yet published", ["service"])
