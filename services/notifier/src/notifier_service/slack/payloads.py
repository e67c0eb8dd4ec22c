"""The shape of what Slack sends, checked at the door: the parts of an interaction or an
event that the Slack app reads must have the types it expects (a signed request can still
carry anything: a replayed, hand-made or future payload). Anything else is a 400, instead
of an AttributeError deep in a handler. Unknown fields pass through untouched."""

from __future__ import annotations

import json
from typing import Any

from boost_platform.problems import Problem
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class SlackUser(_Loose):
    id: str = ""
    team_id: str | None = None


class Team(_Loose):
    id: str | None = None


class SelectedOption(_Loose):
    value: str | None = None


class StateEntry(_Loose):
    type: str | None = None
    value: str | None = None
    selected_option: SelectedOption | None = None


class Metadata(_Loose):
    """What our own modals carry in `private_metadata` (render.py writes it)."""

    kr: int | None = None
    objective_id: int | None = None
    title: str | None = None
    unit: str | None = None
    kind: str | None = None
    locale: str | None = None
    response_url: str | None = None


class View(_Loose):
    type: str | None = None
    callback_id: str | None = None
    private_metadata: str = ""
    state: dict[str, Any] = Field(default_factory=dict)

    @field_validator("private_metadata")
    @classmethod
    def _metadata(cls, value: str) -> str:
        if value:
            Metadata.model_validate(json.loads(value))  # ValueError (bad JSON) becomes a validation error
        return value

    @field_validator("state")
    @classmethod
    def _state(cls, value: dict[str, Any]) -> dict[str, Any]:
        values = value.get("values", {})
        if not isinstance(values, dict):
            raise ValueError("state.values is an object of blocks")
        for block in values.values():
            if not isinstance(block, dict):
                raise ValueError("each block of state.values is an object of actions")
            for entry in block.values():
                StateEntry.model_validate(entry)
        return value


class Action(_Loose):
    action_id: str = ""
    value: str | None = None


class Interaction(_Loose):
    type: str | None = None
    user: SlackUser = Field(default_factory=SlackUser)
    actions: list[Action] = Field(default_factory=list)
    view: View | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    team: Team | None = None
    api_app_id: str | None = None


class Link(_Loose):
    url: str = ""


class Event(_Loose):
    type: str | None = None
    user: str = ""
    tab: str = "home"
    channel: str | None = None
    message_ts: str | None = None
    unfurl_id: str | None = None
    source: str | None = None
    links: list[Link] = Field(default_factory=list)


class EventCallback(_Loose):
    type: str | None = None
    event_id: str | None = None
    team_id: str | None = None
    api_app_id: str | None = None
    is_ext_shared_channel: bool = False
    challenge: str = ""
    event: Event = Field(default_factory=Event)


def checked(model: type[BaseModel], payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return model.model_validate(payload).model_dump()
    except (ValidationError, ValueError) as exc:
        raise Problem(400, f"This Slack payload has an unexpected shape: {str(exc).splitlines()[0][:200]}") from exc
