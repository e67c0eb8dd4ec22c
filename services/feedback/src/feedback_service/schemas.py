"""Request bodies and shared field types of feedback's REST API.

Text is plain and stored verbatim; lengths count Unicode code points. Lone surrogates
(possible in JSON as `"\\ud800"`) are refused: they are not text and MariaDB can't store them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_TEXT = 4000
MAX_ID = 2**63 - 1


def _plain(value: str) -> str:
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text must be valid Unicode (no lone surrogates)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("write something (not only spaces)")
    return value


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_plain)]
Body = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_plain), AfterValidator(_not_blank)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CycleId = Annotated[str, Field(pattern=r"^[0-9]{4}-Q[1-4]$", max_length=7)]
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Kind = Literal["praise", "suggestion", "question", "retro"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageIn(_In):
    body: Body


class FeedbackCreate(_In):
    """Feedback on an objective or key result, to a person or a team; or a team's retro
    (`kind: retro` with `team_id`, `cycle`, `went_well`, `to_improve`, `score`)."""

    kind: Kind
    body: Text = ""
    cycle: CycleId | None = None
    objective_id: Id | None = None
    key_result_id: Id | None = None
    to_user_id: Id | None = None
    to_team_id: Id | None = None
    team_id: Id | None = None
    went_well: Text | None = None
    to_improve: Text | None = None
    score: Score | None = None


class FeedbackPatch(_In):
    """`version`: the entry's version its writer saw (required to change what someone wrote);
    `base`: for text fields, the text its writer started from, so concurrent edits merge."""

    version: int | None = Field(default=None, ge=0, le=MAX_ID)
    base: dict[Literal["body", "went_well", "to_improve"], Text] | None = None
    op_id: str | None = Field(default=None, max_length=64, description="the writer's edit id, echoed in the event")
    resolved: bool | None = None
    body: Text | None = None
    went_well: Text | None = None
    to_improve: Text | None = None
    score: Score | None = None
