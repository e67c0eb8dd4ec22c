"""Who a caller is, as every service sees them: okr's org role (`admin | member | guest`) and
their team roles, and the rules that need nothing else (contract §2, Permissions).

Each caller type (okr's and feedback's `Actor`; `boost_bus.caller.Caller`, which the
notifier, the scheduler and connectors ask okr for) is a frozen dataclass with these
fields that mixes `Roles` in, so "a guest writes nothing" and its refusal are decided here
once."""

from __future__ import annotations

from .problems import Problem

GUEST = "guest"
GUEST_REFUSAL = "Guests can read Boost but not change it; ask an admin to make you a member."
ADMINS_ONLY = "Only admins can do this."


class Roles:
    """The rules over a caller's org role and team roles (team_id → member|lead)."""

    role: str
    teams: dict[int, str]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_guest(self) -> bool:
        return self.role == GUEST

    @property
    def can_write(self) -> bool:
        """Writes anything at all (each service's rules narrow it): everyone but guests."""
        return not self.is_guest

    def require_writer(self) -> None:
        if self.is_guest:
            raise Problem(403, GUEST_REFUSAL)

    def require_admin(self, refusal: str = ADMINS_ONLY) -> None:
        if not self.is_admin:
            raise Problem(403, refusal)

    def in_team(self, team_id: int | None) -> bool:
        return team_id is not None and team_id in self.teams

    def leads(self, team_id: int | None) -> bool:
        return team_id is not None and self.teams.get(team_id) == "lead"
