"""The notifier's own knobs (`BOOST_NOTIFIER_*`); the Slack app's secrets are in BoostSettings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOST_NOTIFIER_", env_file=".env", extra="ignore")

    # Pacing under Slack's limits, shared by every replica (NATS KV): chat.postMessage allows about
    # one message per second per channel (short bursts tolerated) and a workspace-wide rate; DMs
    # each have their own channel. Other methods follow Slack's tiers (slack/pacing.py).
    send_rate: float = Field(default=4.0, gt=0, description="chat.postMessage per second, all replicas together")
    send_burst: float = Field(default=8.0, ge=1)
    channel_interval: float = Field(default=1.0, ge=0, description="seconds between two posts to one channel")
    senders: int = Field(default=4, ge=1, le=64, description="concurrent sends")
    poll_seconds: float = Field(default=0.5, gt=0)
    # A row left `sending` by a sender whose heartbeat is older than this becomes `unknown`.
    sender_ttl_seconds: float = Field(default=20.0, gt=0)
    # slack-sdk's own retries (429 honouring Retry-After, 5xx); past them the row is rescheduled.
    slack_retries: int = Field(default=2, ge=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    slack_timeout_seconds: float = Field(default=15.0, gt=0)
    # Slack wants an answer within 3 s: past this budget, slow work continues after the answer.
    ack_budget_seconds: float = Field(default=2.0, gt=0, lt=3)
    # Our Slack app's id (`A…`): requests naming another app are refused. Unset: learnt at start
    # from `auth.test` + `bots.info`.
    slack_app_id: str | None = None
    directory_sync_daily: bool = True
    directory_sync_hours: float = Field(default=24.0, gt=0)
    # Events older than this (a consumer catching up on a replayed stream) are not turned into messages.
    stale_event_hours: float = Field(default=24.0, gt=0)
