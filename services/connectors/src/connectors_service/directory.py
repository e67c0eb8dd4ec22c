"""What connectors asks okr (it never reads okr's tables): who a person is (role, teams:
`boost_bus.caller`, as every service without okr's people asks it) and whose a key result
is (owner, team), over `okr.query.*` as `service:connectors`."""

from __future__ import annotations

from dataclasses import dataclass

from boost_bus import Bus
from boost_bus.caller import Caller, ask_caller, ask_okr
from boost_platform.problems import Problem

ACTOR = "service:connectors"


@dataclass(frozen=True)
class Person(Caller):
    """The caller (`Caller`: role and teams from okr), refused as connectors words it."""

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

    async def person(self, user_id: int) -> Person:
        return await ask_caller(self.bus, user_id, Person)

    async def key_result(self, kr_id: int) -> KeyResultRef:
        found = await ask_okr(self.bus, "key_results", {"ids": [kr_id]}, timeout=5)
        if not found:
            raise Problem(404, f"Key result {kr_id} was not found")
        kr = found[0]
        return KeyResultRef(id=kr["id"], owner_id=kr["owner_id"], team_id=kr["objective"]["team_id"],
                            title=kr["title"], current=float(kr["current"]), kind=kr.get("kind", "number"))
