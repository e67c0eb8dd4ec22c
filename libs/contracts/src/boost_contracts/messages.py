"""Commands and queries on the bus (request/reply, JSON in and out).

Every command carries the acting user's id (`actor_id`: a user id, or `service:<name>`
for the calls named for a service). Errors come back as `{"error": {status, title, detail}}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, field_validator


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BusError(_Msg):
    status: int
    title: str
    detail: str = ""
    errors: list[dict[str, Any]] | None = None
    current: dict[str, Any] | None = None


class ErrorReply(_Msg):
    error: BusError


MAX_EDIT_FIELDS = 32
MAX_EDIT_TEXT = 20_000  # okr enforces the real limits (title 200, description 5,000)


class EditRequest(_Msg):
    """A socket `edit` as a client sends it (contract §4): realtime validates it with this
    model before anything reaches okr, and okr reads it as part of `EditCommand`."""

    entity: Literal["objective", "key_result"]
    id: StrictInt = Field(gt=0)
    changes: dict[StrictStr, Any] = Field(min_length=1, max_length=MAX_EDIT_FIELDS)
    base: dict[StrictStr, StrictStr] | None = Field(default=None, max_length=MAX_EDIT_FIELDS)
    version: StrictInt = Field(ge=0)
    op_id: StrictStr | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")

    @field_validator("changes", "base")
    @classmethod
    def _names(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for name, item in (value or {}).items():
            if not (0 < len(name) <= 64) or not name.replace("_", "a").isalnum() or not name.isascii():
                raise ValueError(f"not a field name: {name[:64]!r}")
            if isinstance(item, str) and len(item) > MAX_EDIT_TEXT:
                raise ValueError(f"{name} is too long")
        return value


class EditCommand(EditRequest):
    """`okr.cmd.edit`: a client's edit and who makes it."""

    actor_id: int | str

    @classmethod
    def of(cls, actor_id: int | str, edit: EditRequest) -> EditCommand:
        """The command for an edit already validated as an `EditRequest` (not validated twice)."""
        return cls.model_construct(actor_id=actor_id, **dict(edit))


class EditReply(_Msg):
    ok: bool
    version: int | None = None
    value: dict[str, Any] | None = None
    error: str | None = None
    current: dict[str, Any] | None = None


class CheckInSourceMsg(_Msg):
    kind: str
    binding_id: int
    fetched_at: datetime


class CheckInCommand(_Msg):
    actor_id: int | str
    key_result_id: int
    value: float
    confidence: int | None = Field(default=None, ge=0, le=10)
    note: str = ""
    # Only `service:connectors` sends it, for a key result bound to that binding (§9). A
    # reading equal to the key result's current value is no check-in: it only moves the
    # source's last_run_at (the reply's `checked_in` says which).
    source: CheckInSourceMsg | None = None


class ApproveCommand(_Msg):
    actor_id: int | str
    objective_id: int


class RequestChangesCommand(_Msg):
    actor_id: int | str
    objective_id: int
    comment: str


class DirectoryUser(_Msg):
    email: str
    name: str
    slack_user_id: str | None = None
    avatar_url: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: bool = True
    guest: bool = False  # a Slack guest (sent only with BOOST_SLACK_ALLOW_GUESTS): created with the role guest


class UpsertUsersCommand(_Msg):
    actor_id: int | str
    users: list[DirectoryUser]
    deactivate_missing_slack_users: bool = False


class ReminderTargetsQuery(_Msg):
    actor_id: int | str | None = None
    kind: str
    cycle: str
    objective_id: int | None = None
    after: int | None = None
    limit: int = Field(default=500, ge=1, le=5000)


class ReminderTarget(_Msg):
    user_id: int
    slack_user_id: str | None = None
    name: str | None = None
    locale: str | None = None
    timezone: str | None = None
    muted: bool = False
    team_ids: list[int] = []
    key_result_ids: list[int] = []
    objective_ids: list[int] = []


class ReminderTargetsReply(_Msg):
    items: list[ReminderTarget]
    next: int | None = None
