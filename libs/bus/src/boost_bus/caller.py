"""Who the caller is, for a service that does not hold okr's people: okr's answer to
`okr.query.user`, asked over the bus as `service:<name>` on every request (never cached, so a
role change or a removal counts from the next request).

okr and feedback read their own tables (each its `load_actor`); the notifier, the scheduler
and connectors ask here, so the edge cases are decided once:

- a person okr does not know (404, or no answer body) → 401, sign in again;
- an inactive person → 401, sign in again;
- any other error okr replies with → that problem, as okr said it;
- okr not answering (timeout, no responders, NATS down) → 503 with Retry-After: nothing was
  done, and the web app retries it quietly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from boost_platform.people import Roles
from boost_platform.problems import Problem
from nats.errors import Error as NatsError

from .client import Bus, BusReplyError

NOT_KNOWN = "Your account is not known; sign in again."
NOT_ACTIVE = "Your account is not active; sign in again."
OKR_SILENT = "okr is not answering; try again in a moment."
RETRY_AFTER = "2"


@dataclass(frozen=True)
class Caller(Roles):
    """The signed-in person as okr knows them (`Roles`: admin, guest, `require_writer`,
    `require_admin(refusal)`, teams)."""

    user_id: int
    role: str = "member"  # admin | member | guest (okr's org role)
    teams: dict[int, str] = field(default_factory=dict)  # team_id → member|lead


C = TypeVar("C", bound=Caller)


def caller_of(user_id: int, user: dict[str, Any] | None, kind: type[C]) -> C:
    """The caller from okr's `okr.query.user` answer, or the 401 that refuses them."""
    if user is None:
        raise Problem(401, NOT_KNOWN)
    if not user.get("active", True):
        raise Problem(401, NOT_ACTIVE)
    return kind(user_id=user_id, role=str(user.get("role") or "member"),
                teams={int(t["id"]): str(t["role"]) for t in user.get("teams") or []})


async def ask_okr(bus: Bus, query: str, body: dict[str, Any], *, timeout: float = 3.0) -> Any:
    """One of okr's queries (`okr.query.<query>`) as this service: okr's error reply becomes
    its problem, okr's silence a 503 with Retry-After."""
    try:
        return await bus.request(bus.names.query("okr", query), {"actor_id": f"service:{bus.service}", **body},
                                 timeout=timeout)
    except BusReplyError as exc:
        raise exc.as_problem() from exc
    except (TimeoutError, ConnectionError, NatsError) as exc:
        raise Problem(503, OKR_SILENT, headers={"Retry-After": RETRY_AFTER}) from exc


async def ask_caller(bus: Bus, user_id: int, kind: type[C], *, timeout: float = 3.0) -> C:
    """The caller as okr knows them now (see the module's docstring for the refusals), as
    `Caller` or a service's subclass of it that adds rules of its own."""
    try:
        user = await ask_okr(bus, "user", {"id": user_id}, timeout=timeout)
    except Problem as exc:
        if exc.status == 404:
            raise Problem(401, NOT_KNOWN) from exc
        raise
    return caller_of(user_id, user, kind)
