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
DB_POOL_IN_USE = Gauge("boost_db_pool_in_use", "Database connections checked out of the pool right now "
                       "(the pool holds pool_size + overflow; a request past that waits)", ["service"])
GC_PAUSE = Histogram(
    "boost_gc_pause_seconds",
    "Time the garbage collector stopped the process (its event loop with it)",
    ["service", "generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
GC_PAUSE_WARN_SECONDS = 0.1
_gc_watched = False


def watch_gc_pauses(service: str) -> None:
    """Time every collection; a long one is also logged, since it stalls every request the
    process is serving at that moment. Once per process (a process is one service; in a
    test process that builds several apps, the first one names it)."""
    import gc
    import time

    from .logging import get_logger

    global _gc_watched
    if _gc_watched:
        return
    _gc_watched = True
    log = get_logger("boost.gc")
    started = 0.0

    def callback(phase: str, info: dict[str, int]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
            return
        pause = time.perf_counter() - started
        GC_PAUSE.labels(service, str(info["generation"])).observe(pause)
        if pause >= GC_PAUSE_WARN_SECONDS and not _freezing:
            log.warning("long garbage collection", generation=info["generation"], pause_ms=round(pause * 1000),
                        collected=info["collected"], tracked_objects=len(gc.get_objects(info["generation"])))

    gc.callbacks.append(callback)


_startup_frozen = False
_freezing = False
GC_YOUNG_THRESHOLD = 10_000


def freeze_startup_objects() -> None:
    """What a process builds to start (modules, models, routes, compiled SQL, pools: about
    170,000 objects in okr) lives as long as it does. Moved out of the collector's way once
    startup is done, so that a full collection walks only what came after: before, okr and
    realtime paused 100-130 ms for each one, and every edit in flight waited (one fell
    inside the live-editing bench's load in most runs). Once per process, like the watch
    above.

    The youngest generation is then collected every `GC_YOUNG_THRESHOLD` container
    allocations instead of CPython's 700: a request allocates hundreds, most of them freed by
    their reference counts a moment later, so at 700 every few requests paid a collection
    that found next to nothing and pushed what was still in flight into the older
    generations, whose collections came with it. Under the load bench at 200 req/s okr spent
    2.7 % of its wall time collecting, with 50 ms at once; with 10,000, 0.02 %."""
    import gc

    global _startup_frozen, _freezing
    if _startup_frozen:
        return
    _startup_frozen = True
    _freezing = True  # this collection is the startup's own, before any request: not worth a warning
    try:
        gc.collect()
    finally:
        _freezing = False
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def move_out_of_collectors_way() -> None:
    """A process has just built thousands of objects that live as long as it does (a cache's
    full load): freeze them, or every full collection walks them (seen as 100+ ms p95 spikes
    on okr's dashboard). Performance tuning lives here, not in the modules that call it."""
    import gc

    gc.freeze()


READ_REPLICA_FALLBACKS = Counter("boost_read_replica_fallbacks_total",
                                 "Lag-tolerant reads answered by the primary because the replica failed", ["service"])
