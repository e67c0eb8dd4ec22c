"""Request bodies of okr's REST API (validation and the OpenAPI document)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from boost_contracts.events import ReminderOverride
from boost_platform.ids import BodyId
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Title = Field(min_length=1, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgPatch(_In):
    # The row's version its writer loaded, and the value it loaded for each field it changes
    # (directory.seen: refused with 409 only when a field it changes moved meanwhile).
    version: int | None = Field(default=None, ge=0)
    base: dict[str, Any] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    fiscal_year_start_month: int | None = Field(default=None, ge=1, le=12)
    holidays: list[date] | None = Field(default=None, max_length=400)
    reminders: dict[str, ReminderOverride] | None = None
    max_nudges_per_week: int | None = Field(default=None, ge=0, le=50)


class UserCreate(_In):
    email: str = Field(min_length=3, max_length=254)
    name: str = Title
    role: Literal["admin", "member", "guest"] = "member"
    slack_user_id: str | None = Field(default=None, max_length=32)
    avatar_url: str | None = Field(default=None, max_length=1000)
    locale: Literal["ko", "en"] | None = None
    timezone: str | None = Field(default=None, max_length=64)


class UserPatch(_In):
    # The row's version its writer loaded, and the value it loaded for each field it changes
    # (directory.seen: refused with 409 only when a field it changes moved meanwhile).
    version: int | None = Field(default=None, ge=0)
    base: dict[str, Any] | None = None
    email: str | None = Field(default=None, min_length=3, max_length=254)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Literal["admin", "member", "guest"] | None = None
    active: bool | None = None
    slack_user_id: str | None = Field(default=None, max_length=32)
    avatar_url: str | None = Field(default=None, max_length=1000)
    locale: Literal["ko", "en"] | None = None
    timezone: str | None = Field(default=None, max_length=64)
    muted_reminders: list[str] | None = Field(default=None, max_length=20)


class MemberIn(_In):
    user_id: BodyId
    role: Literal["member", "lead"] = "member"


class TeamCreate(_In):
    name: str = Title
    parent_id: BodyId | None = None
    slack_channel_id: str | None = Field(default=None, max_length=32)
    members: list[MemberIn] = Field(default_factory=list, max_length=1000)


class TeamPatch(_In):
    # The row's version its writer loaded, and the value it loaded for each field it changes
    # (directory.seen: refused with 409 only when a field it changes moved meanwhile).
    version: int | None = Field(default=None, ge=0)
    base: dict[str, Any] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent_id: BodyId | None = None
    slack_channel_id: str | None = Field(default=None, max_length=32)


class MemberRole(_In):
    role: Literal["member", "lead"] = "member"
    # The team's version its writer loaded, and the role it saw the person have (null: not a member).
    version: int | None = Field(default=None, ge=0)
    base_role: Literal["member", "lead"] | None = None


class ItemIn(_In):
    id: BodyId | None = None
    title: str = Title
    done: bool = False


class KeyResultCreate(_In):
    title: str = Title
    kind: Literal["number", "percent", "boolean", "milestone"] = "number"
    start: float = Field(default=0.0, allow_inf_nan=False)
    target: float | None = Field(default=None, allow_inf_nan=False)
    unit: str = Field(default="", max_length=32)
    weight: float = Field(default=1.0, gt=0, le=1000, allow_inf_nan=False)
    owner_id: BodyId | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=100)


class KeyResultPatch(_In):
    version: int = Field(ge=0)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Literal["number", "percent", "boolean", "milestone"] | None = None
    start: float | None = Field(default=None, allow_inf_nan=False)
    target: float | None = Field(default=None, allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=32)
    weight: float | None = Field(default=None, gt=0, le=1000, allow_inf_nan=False)
    owner_id: BodyId | None = None
    items: list[ItemIn] | None = Field(default=None, max_length=100)
    base: dict[str, str] | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, exclude={"version", "base"})
        if "items" in data and data["items"] is not None:
            data["items"] = [i for i in data["items"]]
        return {k: v for k, v in data.items() if v is not None}


class ObjectiveCreate(_In):
    cycle: str = Field(min_length=1, max_length=16)
    team_id: BodyId
    title: str = Title
    description: str = Field(default="", max_length=5000)
    owner_id: BodyId | None = None
    parent_id: BodyId | None = None
    key_results: list[KeyResultCreate] = Field(default_factory=list, max_length=20)


class ObjectivePatch(_In):
    version: int = Field(ge=0)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    owner_id: BodyId | None = None
    parent_id: BodyId | None = None
    base: dict[str, str] | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, exclude={"version", "base"})
        # parent_id may be cleared with null; the other fields can't be null.
        return {k: v for k, v in data.items() if v is not None or k == "parent_id"}


class RequestChanges(_In):
    comment: str = Field(min_length=1, max_length=5000)


class Close(_In):
    score: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    note: str = Field(default="", max_length=5000)


class CheckInCreate(_In):
    value: float | None = Field(default=None, allow_inf_nan=False)
    confidence: int | None = Field(default=None, ge=0, le=10)
    note: str = Field(default="", max_length=2000)
    item_id: int | None = None
    done: bool | None = None
    # §9 back-filled check-ins (admins): when it happened, within the key result's cycle, not in the future.
    created_at: AwareDatetime | None = None


class CheckInPatch(_In):
    value: float | None = Field(default=None, allow_inf_nan=False)
    confidence: int | None = Field(default=None, ge=0, le=10)
    note: str | None = Field(default=None, max_length=2000)
