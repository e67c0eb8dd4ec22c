"""What feedback's REST routes answer (contract §2), for the OpenAPI document that the web
app's types are generated from, and for FastAPI's check of every answer."""

from __future__ import annotations

from boost_contracts import events
from boost_contracts.events import FeedbackKind
from boost_platform.responses import RESPONSE_CONFIG, ResponseModel


class Feedback(events.FeedbackData):
    """A feedback entry, or a team's retro (`kind: retro` with team_id, cycle, went_well, to_improve, score)."""

    model_config = RESPONSE_CONFIG


class FeedbackSummary(ResponseModel):
    objective_id: int
    total: int
    by_kind: dict[FeedbackKind, int]
    unresolved: int  # retros are never "unresolved"


class Reaction(ResponseModel):
    emoji: str
    count: int
    user_ids: list[int]  # in the order they reacted


class Message(events.MessageData):
    model_config = RESPONSE_CONFIG
    reactions: list[Reaction]  # in the order each emoji was first used
