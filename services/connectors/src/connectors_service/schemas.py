"""Request and response bodies of connectors' REST API (contract §9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from boost_platform.ids import BodyId
from boost_platform.responses import ResponseModel
from pydantic import BaseModel, ConfigDict, Field

KindName = Literal["sql", "prometheus", "http_json", "github", "jira", "webhook"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceIn(_In):
    name: str = Field(min_length=1, max_length=120)
    kind: KindName
    config: dict[str, Any] = Field(default_factory=dict)
    secret: str | None = Field(default=None, max_length=4000)  # write-only


class SourcePatch(_In):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    config: dict[str, Any] | None = None
    secret: str | None = Field(default=None, max_length=4000)  # "" removes it; absent keeps it


class SourceTest(_In):
    query: str | None = Field(default=None, max_length=10_000)
    key_result_id: BodyId | None = None  # who may bind this key result may test a source for it


class BindingIn(_In):
    source_id: BodyId
    query: str | None = Field(default=None, max_length=10_000)
    every_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    scale: float | None = Field(default=None, allow_inf_nan=False)
    active: bool = True


class HookPush(_In):
    value: float = Field(allow_inf_nan=False)
    note: str = Field(default="", max_length=2000)


class Source(ResponseModel):
    id: int
    name: str
    kind: KindName
    config: dict[str, Any] | None = None  # admins only
    has_secret: bool


class TestResult(ResponseModel):
    ok: bool
    value: float | None = None
    error: str | None = None


class Binding(ResponseModel):
    id: int
    key_result_id: int
    source_id: int
    kind: KindName
    query: str | None
    every_minutes: int
    scale: float | None
    active: bool
    state: Literal["ok", "failing", "paused"]
    last_value: float | None
    last_run_at: datetime | None
    failing_since: datetime | None
    error: str | None
    webhook_url: str | None = None


class RunResult(ResponseModel):
    value: float | None
    checked_in: bool
    error: str | None = None
