"""What each event carries in `data`: the entity's own fields and its derived ones.

Field names follow ARCHITECTURE.md §2 (snake_case). Producers build these models;
consumers parse `Envelope.data` with `parse_data(envelope)`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .envelope import Envelope, Scope
from .tracing import current_trace

Role = Literal["admin", "member", "guest"]  # guest: reads, writes nothing (Slack guests, BOOST_SLACK_ALLOW_GUESTS)
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
DeliveryStatus = Literal["recorded", "scheduled", "sending", "sent", "failed", "unknown", "skipped"]
# Why a row is `skipped` (§9): the person was up to date, or had their week's reminders already.
SkipReason = Literal["up_to_date", "weekly_cap"]
SKIP_REASONS: tuple[str, ...] = SkipReason.__args__  # type: ignore[attr-defined]


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
    max_nudges_per_week: int = 3  # §9: scheduled reminders per person per week (skipped rows aside)
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
    # §9: the weighted mean of its key results' forecast progress, where all have one.
    forecast_progress: float | None = None


class MilestoneItem(_Data):
    id: int
    title: str
    done: bool = False


class KrForecast(_Data):
    """§9: where a key result will be at the end of its cycle's last day, with an 80 % band."""

    value: float
    low: float
    high: float
    progress: float
    as_of: datetime  # the latest check-in it stands on
    at: datetime | None = None  # the moment it is for: the end of the cycle's last day (org timezone)
class CheckInSource(_Data):
    """Where a data check-in's value came from (contract §9); null on people's check-ins."""

    kind: str
    binding_id: int
    fetched_at: datetime


BindingState = Literal["ok", "failing", "paused"]


class KeyResultSource(_Data):
    """A key result's data binding as okr knows it (from connectors' binding events)."""

    kind: str
    state: BindingState = "ok"
    last_run_at: datetime | None = None
    failing_since: datetime | None = None


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
    forecast: KrForecast | None = None  # §9; null without enough history or outside a running cycle
    carried_from_id: int | None = None  # §9 carry-over: the key result this one continues
    source: KeyResultSource | None = None  # its data binding (§9), or null


class CheckInData(_Data):
    id: int
    key_result_id: int
    value: float
    confidence: int | None = None
    note: str = ""
    author_id: int
    created_at: datetime
    source: CheckInSource | None = None  # a data check-in's provenance (§9)


class BindingData(_Data):
    """A key result's data binding (connectors, §9). Never its query's secret nor its
    webhook token: events carry what okr and the notifier need, nothing more."""

    id: int
    key_result_id: int
    source_id: int
    kind: str
    every_minutes: int
    active: bool = True
    state: BindingState = "ok"
    last_value: float | None = None
    last_run_at: datetime | None = None
    failing_since: datetime | None = None
    error: str | None = None
    owner_id: int | None = None  # the key result's owner when bound: told when the source fails
    source_name: str = ""
    version: int = 1


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
    ("connectors", "binding"): BindingData,
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
    ("connectors", "binding"): ("created", "updated", "deleted", "failing", "recovered"),
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
