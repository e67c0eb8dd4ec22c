"""What connectors asks okr (it never reads okr's tables): who a person is (role, teams)
and whose a key result is (owner, team), over `okr.query.*` as `service:connectors`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from boost_bus import Bus
from boost_bus.client import BusReplyError
from boost_platform.people import Roles
from boost_platform.problems import Problem

ACTOR = "service:connectors"


@dataclass(frozen=True)
class Person(Roles):
    """The caller (`Roles`: admin, guest, teams)."""

    user_id: int
    role: str = "member"
    teams: dict[int, str] = field(default_factory=dict)  # team_id → member|lead

    def require_admin(self, refusal: str = "Only admins manage data sources.") -> None:
        super().require_admin(refusal)


@dataclass(frozen=True)
class KeyResultRef:
    id: int
    owner_id: int
    team_id: int
    title: str
    current: float
    kind: str = "number"


def may_bind(person: Person, kr: KeyResultRef) -> bool:
    """The key result's owner, a lead of its team, or an admin (contract §9); a guest reads
    Boost and changes nothing, bindings included."""
    return person.can_write and (person.is_admin or kr.owner_id == person.user_id or person.leads(kr.team_id))


class Directory:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def _ask(self, name: str, body: dict[str, Any]) -> Any:
        try:
            return await self.bus.request(self.bus.names.query("okr", name), {"actor_id": ACTOR, **body}, timeout=5)
        except BusReplyError as exc:
            raise exc.as_problem() from exc
        except (TimeoutError, ConnectionError) as exc:
            raise Problem(503, "okr is not answering; try again in a moment.", headers={"Retry-After": "2"}) from exc

    async def person(self, user_id: int) -> Person:
        try:
            user = await self._ask("user", {"id": user_id})
        except Problem as exc:
            if exc.status == 404:
                raise Problem(401, "Your account is not known; sign in again.") from exc
            raise
        if not user.get("active", True):
            raise Problem(401, "Your account is not active; sign in again.")
        return Person(user_id=user_id, role=user.get("role", "member"),
                      teams={int(t["id"]): t["role"] for t in user.get("teams", [])})

    async def key_result(self, kr_id: int) -> KeyResultRef:
        found = await self._ask("key_results", {"ids": [kr_id]})
        if not found:
            raise Problem(404, f"Key result {kr_id} was not found")
        kr = found[0]
        return KeyResultRef(id=kr["id"], owner_id=kr["owner_id"], team_id=kr["objective"]["team_id"],
                            title=kr["title"], current=float(kr["current"]), kind=kr.get("kind", "number"))
