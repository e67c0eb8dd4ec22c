"""W3C trace context (`traceparent`), carried from the HTTP request that caused a change
through the outbox, NATS headers and every consumer, so one trace id ties a click to
the Slack message it caused. The format is OpenTelemetry's, so a collector can join in."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
current_trace: ContextVar[str | None] = ContextVar("boost_trace_id", default=None)


def new_trace_id() -> str:
    return secrets.token_hex(16)


def parse_traceparent(header: str | None) -> str | None:
    match = _TRACEPARENT.match((header or "").strip().lower())
    if not match or match.group(1) == "0" * 32:
        return None
    return match.group(1)


def traceparent(trace_id: str) -> str:
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"
