"""What each event carries in `data`: the entity's own fields and its derived ones.

Field names follow ARCHITECTURE.md §2 (snake_case). Producers build these models;
consumers parse `Envelope.data` with `parse_data(envelope)`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .envelope import Envelope, Scope
from .tracing import current_trace

Role = Literal["admin", "member"]
TeamRole = Literal["member", "lead"]
ObjectiveStatus = Literal["draft", "submitted", "approved", "changes_requested", "closed"]
KrKind = Literal["number", "percent", "boolean", "milestone"]
Health = Literal["on_track", "at_risk", "off_track", "unknown"]
FeedbackKind = Literal["praise", "suggestion", "question", "retro"]
ReminderKind = Literal[
    "drafting_open",
    "approval_due",
    "approval_requested",
    "approval_decided",
    "weekly_check_in",
    "review_mid_quarter",
    "retro_open",
    "feedback_received",
    "mentioned",
    "team_digest",
]
REMINDER_KINDS: tuple[str, ...] = ReminderKind.__args__  # type: ignore[attr-defined]
DeliveryStatus = Literal["recorded", "scheduled", "sending", "sent", "failed", "unknown"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ReminderOverride(_Data):
    enabled: bool = True
    weekday: int | None = None  # 0 = Monday
    time: str | None = None  # "HH:MM", local


class OrgData(_Data):
    name: str
    timezone: str
    fiscal_year_start_month: int
    holidays: list[date] = []
    reminders: dict[str, ReminderOverride] = {}
    version: int = 1  # a default: org events written before it existed still parse


class UserData(_Data):
    id: int
    email: str
    name: str
    avatar_url: str | None = None
    slack_user_id: str | None = None
    role: Role = "member"
    active: bool = True
    locale: Literal["ko", "en"] | None = None
    timezone: str | None = None
    muted_reminders: list[str] = []
    version: int = 1  # bumped on every change; a default so events written before it still parse


class Membership(_Data):
    user_id: int
    role: TeamRole = "member"


class TeamData(_Data):
    id: int
    name: str
    parent_id: int | None = None
    slack_channel_id: str | None = None
    members: list[Membership] = []
    version: int = 1  # bumped on every change, membership changes included


class Review(_Data):
    by: int | None = None
    at: datetime | None = None
    comment: str | None = None


class ObjectiveData(_Data):
    """An objective without its key results (events stay small)."""

    id: int
    cycle: str
    team_id: int
    owner_id: int
    parent_id: int | None = None
    title: str
    description: str = ""
    status: ObjectiveStatus = "draft"
    review: Review | None = None
    version: int
    progress: float = 0.0
    expected_progress: float = 0.0
    health: Health = "unknown"
    score: float | None = None
    closing_note: str | None = None
    carried_from_id: int | None = None
    deleted: bool = False


class MilestoneItem(_Data):
    id: int
    title: str
    done: bool = False


class KeyResultData(_Data):
    id: int
    objective_id: int
    title: str
    owner_id: int
    kind: KrKind = "number"
    start: float = 0.0
    target: float = 1.0
    current: float = 0.0
    unit: str = ""
    weight: float = 1.0
    confidence: int | None = None
    last_check_in_at: datetime | None = None
    version: int
    progress: float = 0.0
    health: Health = "unknown"
    behind: bool = False
    stale: bool = False
    items: list[MilestoneItem] = []
    deleted: bool = False


class CheckInData(_Data):
    id: int
    key_result_id: int
    value: float
    confidence: int | None = None
    note: str = ""
    author_id: int
    created_at: datetime


class SessionRevokedData(_Data):
    jti: str
    exp: int


class MessageData(_Data):
    id: int
    subject: str
    author_id: int
    body: str
    mentions: list[int] = []
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False


class FeedbackData(_Data):
    id: int
    cycle: str | None = None
    objective_id: int | None = None
    key_result_id: int | None = None
    to_user_id: int | None = None
    to_team_id: int | None = None
    team_id: int | None = None
    kind: FeedbackKind
    body: str = ""
    author_id: int
    resolved: bool = False
    created_at: datetime
    went_well: str | None = None
    to_improve: str | None = None
    score: float | None = None
    version: int = 1  # bumped by every change; a PATCH carries the one its writer saw


class MentionData(_Data):
    message_id: int
    subject: str
    user_id: int
    author_id: int
    body: str
    link: str


class ReminderDueData(_Data):
    """One occurrence of a reminder kind for one org-local date."""

    occurrence_id: str  # reminder:{kind}:{cycle}:{date}
    kind: ReminderKind
    cycle: str
    date: date
    local_time: str  # "HH:MM" in each person's timezone
    due_now: bool = False  # a manual run: every row of the occurrence is due at once


class DeliveryData(_Data):
    id: int
    key: str
    kind: str
    user_id: int | None = None
    channel: str | None = None
    status: DeliveryStatus
    error: str | None = None


class DirectorySyncedData(_Data):
    created: int = 0
    updated: int = 0
    deactivated: int = 0


# The event catalogue: (source, entity) → data model. Actions are listed in ACTIONS.
DATA_MODELS: dict[tuple[str, str], type[_Data]] = {
    ("okr", "org"): OrgData,
    ("okr", "user"): UserData,
    ("okr", "team"): TeamData,
    ("okr", "objective"): ObjectiveData,
    ("okr", "key_result"): KeyResultData,
    ("okr", "check_in"): CheckInData,
    ("okr", "session"): SessionRevokedData,
    ("feedback", "message"): MessageData,
    ("feedback", "feedback"): FeedbackData,
    ("feedback", "mention"): MentionData,
    ("scheduler", "reminder"): ReminderDueData,
    ("notifier", "delivery"): DeliveryData,
    ("notifier", "directory"): DirectorySyncedData,
}

ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("okr", "org"): ("updated",),
    ("okr", "user"): ("created", "updated", "deleted"),
    ("okr", "team"): ("created", "updated", "deleted"),
    ("okr", "objective"): (
        "created",
        "updated",
        "deleted",
        "restored",
        "submitted",
        "approved",
        "changes_requested",
        "closed",
    ),
    ("okr", "key_result"): ("created", "updated", "deleted", "restored"),
    ("okr", "check_in"): ("created", "updated", "deleted"),
    ("okr", "session"): ("revoked",),
    ("feedback", "message"): ("created", "updated", "deleted"),
    ("feedback", "feedback"): ("created", "updated", "deleted"),
    ("feedback", "mention"): ("created",),
    ("scheduler", "reminder"): ("due",),
    ("notifier", "delivery"): ("sent", "failed"),
    ("notifier", "directory"): ("synced",),
}


def all_event_types() -> list[tuple[str, str]]:
    """Every (source, type) pair of the catalogue."""
    return [(src, f"{entity}.{action}") for (src, entity), acts in ACTIONS.items() for action in acts]


def make_event(
    source: str,
    event_type: str,
    data: _Data,
    *,
    actor_id: int | str | None = None,
    op_id: str | None = None,
    changes: list[str] | None = None,
    scope: dict[str, Any] | None = None,
    trace_id: str | None = None,
) -> Envelope:
    entity, action = event_type.split(".", 1)
    if action not in ACTIONS.get((source, entity), ()):
        raise ValueError(f"unknown event {source}.events.{event_type}")
    payload = data.model_dump(mode="json")
    subject_id = payload.get("id")
    return Envelope(
        type=event_type,
        source=source,
        actor_id=actor_id,
        op_id=op_id,
        subject_id=subject_id if isinstance(subject_id, int | str) else None,
        version=payload.get("version"),
        scope=Scope.model_validate(scope or {}),
        changes=changes or [],
        data=payload,
        trace_id=trace_id or current_trace.get(),
    )


def parse_data(envelope: Envelope) -> _Data:
    model = DATA_MODELS[(envelope.source, envelope.entity)]
    return model.model_validate(envelope.data)
