"""Subject, stream, durable and KV names, with the optional BOOST_NAMESPACE prefix.

`{ns}.okr.events…` for subjects; `{ns}_…` for streams, buckets, durables, locks and schemas."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NS_RE = re.compile(r"^[A-Za-z0-9_]*$")

# Commands and queries answered by okr (request/reply, queue group "okr").
OKR_COMMANDS = ("edit", "check_in", "approve", "request_changes", "upsert_users")
OKR_QUERIES = (
    "org",
    "user",
    "objective",
    "key_results",
    "reminder_targets",
    "jwks",
    "users",
    "teams",
    "objectives",
    "dashboard",
)


def validate_namespace(ns: str) -> str:
    if not _NS_RE.match(ns):
        raise ValueError("BOOST_NAMESPACE may hold only letters, digits and '_'")
    return ns


@dataclass(frozen=True)
class Names:
    """All bus and storage names for one namespace."""

    namespace: str = ""

    def __post_init__(self) -> None:
        validate_namespace(self.namespace)

    # subjects -------------------------------------------------------------
    def subject(self, raw: str) -> str:
        return f"{self.namespace}.{raw}" if self.namespace else raw

    def unprefix(self, subject: str) -> str:
        if self.namespace and subject.startswith(self.namespace + "."):
            return subject[len(self.namespace) + 1 :]
        return subject

    def event(self, source: str, event_type: str) -> str:
        return self.subject(f"{source}.events.{event_type}")

    def events_of(self, source: str) -> str:
        return self.subject(f"{source}.events.>")

    def cmd(self, service: str, name: str) -> str:
        return self.subject(f"{service}.cmd.{name}")

    def query(self, service: str, name: str) -> str:
        return self.subject(f"{service}.query.{name}")

    def presence(self) -> str:
        return self.subject("realtime.presence")

    # storage names --------------------------------------------------------
    def prefixed(self, name: str) -> str:
        return f"{self.namespace}_{name}" if self.namespace else name

    def stream(self, source: str) -> str:
        return self.prefixed(f"{source.upper()}_EVENTS")

    def durable(self, consumer: str) -> str:
        return self.prefixed(consumer)

    def bucket(self, name: str) -> str:
        return self.prefixed(name)

    def schema(self, service: str) -> str:
        return self.prefixed(f"boost_{service}")

    def lock(self, name: str) -> str:
        return self.prefixed(name)
