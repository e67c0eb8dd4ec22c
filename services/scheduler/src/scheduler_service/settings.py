"""The scheduler's own knobs (`BOOST_SCHEDULER_*`); everything shared is in BoostSettings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SchedulerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOST_SCHEDULER_", env_file=".env", extra="ignore")

    # The leader lock's TTL (a NATS KV bucket TTL: the machine's NATS may be 2.9, with no
    # per-message TTL); the leader refreshes it every third of that.
    lock_ttl_seconds: float = Field(default=15.0, ge=1.0)
    # How far ahead jobs are put into APScheduler; an hourly rebuild moves the window on.
    horizon_days: int = Field(default=35, ge=1, le=400)
    rebuild_minutes: float = Field(default=60.0, gt=0)
