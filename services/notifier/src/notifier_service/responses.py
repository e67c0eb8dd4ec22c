"""What the notifier's REST routes answer (`/api/notifier/*`), for the OpenAPI document that
the web app's types are generated from, and for FastAPI's check of every answer. (Slack's
own endpoints under `/slack/*` answer in Slack's formats.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boost_contracts.events import DeliveryStatus, SkipReason
from boost_platform.responses import ResponseModel


class Delivery(ResponseModel):
    """One message to one person (or a team's channel): what was sent or recorded, and how it went."""

    id: int
    key: str  # unique per occurrence or event and recipient: a redelivery never adds a second
    occurrence_id: str
    kind: str
    user_id: int | None
    team_id: int | None
    objective_id: int | None
    channel: str | None  # Slack user id (a DM) or channel id
    locale: str
    status: DeliveryStatus
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    text: str
    blocks: list[dict[str, Any]]  # Slack Block Kit, as sent
    link: str | None  # the Boost page the message's button opens
    outcome: str | None  # approval requests, once decided
    error: str | None
    reason: SkipReason | None = None  # why a `skipped` row was not sent (§9): up_to_date | weekly_cap
    attempts: int


class DeliveryCounts(ResponseModel):
    by_status: dict[DeliveryStatus, int]


class DirectorySynced(ResponseModel):
    created: int
    updated: int
    deactivated: int
    members: int  # in Slack's listing
    synced: int  # of them people (not bots, not deleted)


class SlackChannel(ResponseModel):
    """A Slack channel a team's digest may go to."""

    id: str
    name: str
    is_private: bool
    is_member: bool  # the bot is in it
    note: str | None  # what stands in the way (the bot not in it, shared outside the org), if anything
