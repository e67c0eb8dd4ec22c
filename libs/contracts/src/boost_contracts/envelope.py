"""The bus envelope (ARCHITECTURE.md §5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from ulid import ULID


def new_event_id() -> str:
    """A ULID, minted when the event is written to the outbox: sortable, never a DB counter."""
    return str(ULID())


class Scope(BaseModel):
    """Which realtime rooms an event concerns."""

    model_config = ConfigDict(extra="forbid")

    cycle: str | None = None
    team_id: int | None = None
    objective_id: int | None = None
    thread: str | None = None

    def rooms(self) -> list[str]:
        rooms: list[str] = []
        if self.cycle:
            rooms.append(f"cycle:{self.cycle}")
            if self.team_id is not None:
                rooms.append(f"team:{self.team_id}:{self.cycle}")
        if self.objective_id is not None:
            rooms.append(f"objective:{self.objective_id}")
        if self.thread:
            rooms.append(f"thread:{self.thread}")
        return rooms


class Envelope(BaseModel):
    """One event on the bus. `type` is `{entity}.{action}`; the subject is `{source}.events.{type}`."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_event_id)
    type: str
    source: str
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    actor_id: int | str | None = None
    op_id: str | None = None
    subject_id: int | str | None = None
    version: int | None = None
    scope: Scope = Field(default_factory=Scope)
    changes: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    trace_id: str | None = None

    @property
    def entity(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def action(self) -> str:
        return self.type.split(".", 1)[1]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        return cls.model_validate_json(raw)
