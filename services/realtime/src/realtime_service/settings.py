"""realtime's own knobs (`BOOST_REALTIME_*`), next to the shared `BoostSettings`.

Defaults follow the contract (heartbeats every few seconds, presence gone ~8 s after the
last one); tests shorten the presence timings."""

from __future__ import annotations

from urllib.parse import urlsplit

from boost_platform.settings import BoostSettings
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RealtimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOST_REALTIME_", env_file=".env", extra="ignore")

    # A presence entry disappears this long after its last heartbeat (any replica).
    presence_ttl: float = Field(default=8.0, gt=0)
    # How often expired presence entries are swept.
    presence_sweep: float = Field(default=0.5, gt=0)
    # How long an edit waits for okr before answering `unavailable` (the client retries, same op_id).
    edit_timeout: float = Field(default=5.0, gt=0)
    # While the event loop runs this late (s), presence is shed: its broadcasts are coalesced
    # into the next sweep (at most presence_ttl / 4 late) and unchanged heartbeats are relayed
    # to the other replicas only every presence_ttl / 2. Edits and events always go through.
    shed_presence_lag: float = Field(default=0.05, gt=0)
    # Edits one socket may have in flight at once.
    max_edits_in_flight: int = Field(default=32, ge=1)
    # Rooms one socket may be in.
    max_rooms: int = Field(default=100, ge=1)
    # Packets queued for one socket before it is dropped as too slow (it reconnects and refetches).
    max_queue: int = Field(default=1000, ge=10)
    # Largest Socket.IO message accepted (bytes); an edit of a 5,000-character text with its base fits.
    max_message: int = Field(default=256 * 1024, ge=1024)
    # How long a person's name and active flag are cached (events refresh it sooner).
    user_cache_seconds: float = Field(default=300.0, ge=0)
    # Engine.IO pings: a vanished client is dropped after interval + timeout.
    ping_interval: float = Field(default=10.0, gt=0)
    ping_timeout: float = Field(default=5.0, gt=0)
    # More origins allowed for cookie connections, comma-separated (e.g. a Vite dev server).
    extra_origins: str = ""


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(settings: BoostSettings, options: RealtimeSettings) -> list[str]:
    """Origins a browser may open a socket from: BOOST_PUBLIC_URL's, plus (dev mode) its
    loopback aliases, since people open http://127.0.0.1:8080 as often as localhost."""
    origins: list[str] = []
    public = _origin(settings.public_url)
    if public:
        origins.append(public)
    if settings.auth_mode == "dev":
        parts = urlsplit(settings.public_url)
        ports = {p for p in (parts.port, settings.port) if p}
        for port in sorted(ports):
            for host in ("localhost", "127.0.0.1", "[::1]"):
                origins.append(f"{parts.scheme or 'http'}://{host}:{port}")
    for extra in options.extra_origins.split(","):
        origin = _origin(extra.strip())
        if origin:
            origins.append(origin)
    return list(dict.fromkeys(origins))
