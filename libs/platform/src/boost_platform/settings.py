"""One settings model for the whole system (ARCHITECTURE.md §8): every knob is a
`BOOST_*` environment variable, a `.env` file is read too."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from boost_contracts.rules import RULES
from boost_contracts.subjects import Names, validate_namespace
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("okr", "feedback", "realtime", "scheduler", "notifier", "connectors")
PORT_OFFSETS = {"okr": 1, "feedback": 2, "realtime": 3, "scheduler": 4, "notifier": 5, "connectors": 6, "nats": 10}


class BoostSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOST_", env_file=".env", extra="ignore")

    port: int = 8080
    database_url: str | None = None
    okr_database_url: str | None = None
    feedback_database_url: str | None = None
    realtime_database_url: str | None = None
    scheduler_database_url: str | None = None
    notifier_database_url: str | None = None
    connectors_database_url: str | None = None
    nats_url: str | None = None
    namespace: str = ""
    data_dir: Path = Path("var")
    auth_mode: Literal["dev", "slack"] = "dev"
    signing_key: str | None = None
    admin_emails: str = "admin@boost.example"
    demo: bool = True
    # Unset (or empty): the gateway's own address, http://localhost:{port} (see _public_url).
    public_url: str = ""
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_team_id: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Slack guests (single- and multi-channel: `is_restricted`, `is_ultra_restricted`) are neither
    # imported by the directory sync nor let in by Sign in with Slack unless this is set.
    slack_allow_guests: bool = False
    timezone: str = "Asia/Seoul"
    now: str | None = None
    internal_port_base: int = 18100
    log_level: str = "INFO"
    log_json: bool = True
    # Dev/test knob: how often the outbox relay sweeps for unsent rows.
    outbox_sweep_seconds: float = Field(default=2.0, gt=0)
    # JetStream replicas of every stream (3 on a NATS cluster, 1 on a single server).
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # `make run` only: start a local JetStream cluster of this many servers instead of one.
    nats_cluster: int = Field(default=0, ge=0, le=5)
    # A replica for the reads that tolerate lag (search, export, calibration, history);
    # unset: those reads go to the service's own database (`read_database_url`).
    okr_read_database_url: str | None = None
    feedback_read_database_url: str | None = None
    realtime_read_database_url: str | None = None
    scheduler_read_database_url: str | None = None
    notifier_read_database_url: str | None = None
    # Admission control (boost_platform/admission.py): requests one service process runs at
    # once (0: no limit), how many more may wait for a slot, and for how long; the rest get
    # 503 + Retry-After at once. 20 × okr's ~5 ms of CPU per request ≈ the 100 ms p99 target.
    admission_in_flight: int = Field(default=20, ge=0)
    admission_queue: int = Field(default=100, ge=0)
    admission_wait_seconds: float = Field(default=0.5, ge=0)
    # How many seconds of writes a dashboard answer may miss (okr): under a stream of writes
    # each dashboard view is rendered about once per this many seconds instead of per request
    # (the company's is ~600 KB of JSON). The default is rules.json's, which the web app reads
    # too: it refetches a dashboard a little more than that after the last event it saw, so
    # what a person sees is never older (raise it here only with the rule). 0: every answer
    # shows every write committed before the request.
    dashboard_max_lag_seconds: float = Field(default=RULES.dashboard_max_lag_seconds, ge=0, le=10)
    # Proxies whose X-Forwarded-For is trusted (the gateway; in containers, its network).
    forwarded_allow_ips: str = "127.0.0.1"
    # Data sources (contract §9): the key that encrypts their secrets (a Fernet key; unset in
    # dev: generated under data_dir), and the hosts they may reach (empty: any public host).
    secrets_key: str | None = None
    connectors_allowed_hosts: str = ""
    # How often each connectors replica looks for due runs (tests shorten it).
    connectors_tick_seconds: float = Field(default=5.0, gt=0)
    # How long a replica holds a run it took before another may take it over (it died mid-run).
    connectors_lease_seconds: float = Field(default=60.0, gt=0)

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return validate_namespace(v)

    @model_validator(mode="after")
    def _public_url(self) -> BoostSettings:
        # Deep links (Slack buttons, webhook URLs) and the socket's allowed origin default to
        # where the gateway really listens: BOOST_PORT=8090 links to :8090, not :8080.
        if not self.public_url.strip():
            self.public_url = f"http://localhost:{self.port}"
        return self

    @model_validator(mode="after")
    def _fail_fast(self) -> BoostSettings:
        # Outside dev mode nothing may run on generated or missing secrets.
        if self.auth_mode != "dev":
            missing = [
                name
                for name in ("signing_key", "slack_client_id", "slack_client_secret", "slack_team_id")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    "BOOST_AUTH_MODE=slack needs " + ", ".join("BOOST_" + m.upper() for m in missing)
                )
        if self.slack_bot_token and not self.slack_signing_secret:
            raise ValueError("BOOST_SLACK_BOT_TOKEN needs BOOST_SLACK_SIGNING_SECRET to verify Slack's requests")
        return self

    @property
    def names(self) -> Names:
        return Names(self.namespace)

    @property
    def admin_email_list(self) -> list[str]:
        return [e.strip().lower() for e in self.admin_emails.split(",") if e.strip()]

    def internal_port(self, service: str) -> int:
        return self.internal_port_base + PORT_OFFSETS[service]

    def nats_server_url(self) -> str:
        return self.nats_url or f"nats://127.0.0.1:{self.internal_port('nats')}"

    def service_database_url(self, service: str) -> str:
        """The SQLAlchemy (async) URL of a service's own database."""
        from .db import service_database_url

        own = getattr(self, f"{service}_database_url", None)
        return service_database_url(
            own_url=own,
            server_url=self.database_url,
            schema=self.names.schema(service),
            data_dir=self.data_dir,
        )

    def read_database_url(self, service: str) -> str | None:
        """The SQLAlchemy (async) URL of a service's read replica, if it has one."""
        from .db import to_async_url

        url = getattr(self, f"{service}_read_database_url", None)
        return to_async_url(url) if url else None

    @property
    def record_only(self) -> bool:
        return not self.slack_bot_token
