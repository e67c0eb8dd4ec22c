"""The JetStream streams, declared once. Services create or update them at start;
a server that refuses the declared config is an error (see boost_bus.streams)."""

from __future__ import annotations

from dataclasses import dataclass

from .subjects import Names

DAY = 24 * 3600


@dataclass(frozen=True)
class StreamSpec:
    source: str  # the owning service: okr, feedback, scheduler, notifier
    max_age_seconds: int = 30 * DAY
    duplicate_window_seconds: int = 120
    replicas: int = 1

    def name(self, names: Names) -> str:
        return names.stream(self.source)

    def subjects(self, names: Names) -> list[str]:
        return [names.events_of(self.source)]


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("okr"),
    StreamSpec("feedback"),
    StreamSpec("scheduler"),
    StreamSpec("notifier"),
    StreamSpec("connectors"),
)


def stream_for(source: str) -> StreamSpec:
    for spec in STREAMS:
        if spec.source == source:
            return spec
    raise KeyError(source)
