"""Who may do what, in one place (ARCHITECTURE.md §2, Permissions).

Everyone in the org reads everything. Members and leads of a team write its
objectives; check-ins by the KR's owner, the team's members or admins; approvals by a
lead of the parent team (root-team objectives: admins); org, users, teams: admins.
Guests (org role `guest`: Slack guests admitted with BOOST_SLACK_ALLOW_GUESTS=1) read
like everyone and write nothing, whatever teams they are in: every write rule below
starts with `require_writer`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from boost_platform.people import GUEST, Roles
from boost_platform.problems import Problem
from sqlalchemy.ext.asyncio import AsyncSession

from .models import KeyResult, Membership, Objective, Team, User

# Services act as themselves only for the calls named for them (contract §5).
SERVICE_GRANTS: dict[str, set[str]] = {
    "service:notifier": {"upsert_users", "reminder_targets", "read", "org"},
    "service:scheduler": {"org", "read"},
    "service:feedback": {"read", "org"},
    "service:realtime": {"read"},
    # Data readings, only for key results bound to one of its bindings (connected.py).
    "service:connectors": {"read", "check_in"},
}


@dataclass(frozen=True)
class Actor(Roles):
    """The caller, with the team roles that decide its rights (`Roles`: admin, guest,
    `require_writer`, teams)."""

    user_id: int | None
    role: str = "member"  # admin | member | guest
    teams: dict[int, str] = field(default_factory=dict)  # team_id → member|lead
    service: str | None = None

    @property
    def label(self) -> str:
        return self.service or f"user:{self.user_id}"

    def require_grant(self, grant: str) -> None:
        if self.service is not None and grant not in SERVICE_GRANTS.get(self.service, set()):
            raise Problem(403, f"{self.service} may not call {grant}.")

    # objectives ---------------------------------------------------------------
    def can_write_team(self, team_id: int) -> bool:
        return self.can_write and (self.is_admin or self.in_team(team_id))

    def require_write_team(self, team_id: int) -> None:
        self.require_writer()
        if not self.can_write_team(team_id):
            raise Problem(403, "Only members of this team (or admins) can change its objectives.")

    def can_check_in(self, kr: KeyResult, objective: Objective) -> bool:
        return self.can_write and (self.is_admin or kr.owner_id == self.user_id or self.in_team(objective.team_id))

    def require_check_in(self, kr: KeyResult, objective: Objective) -> None:
        self.require_writer()
        if not self.can_check_in(kr, objective):
            raise Problem(403, "Only the key result's owner, its team's members or admins can check in.")

    def can_close(self, objective: Objective) -> bool:
        return self.can_write and (self.is_admin or objective.owner_id == self.user_id or self.leads(objective.team_id))

    def require_close(self, objective: Objective) -> None:
        self.require_writer()
        if not self.can_close(objective):
            raise Problem(403, "The owner, a team lead or an admin closes an objective.")


SYSTEM = Actor(user_id=None, role="admin", service="service:okr")


def actor_of(user_id: int, role: str | None, active: bool | None, teams: dict[int, str]) -> Actor:
    """The acting person from what was read of them, however it was read (a missing or
    inactive person may do nothing)."""
    if role is None or not active:
        raise Problem(401, "Your account is not active; sign in again.")
    return Actor(user_id=user_id, role=role, teams=teams)


_users, _memberships = User.__table__, Membership.__table__
# Built once, on the tables (Core): every request starts here, and the ORM's execution path
# plus building the statement and its cache key each time cost more than the round trip.
_ACTOR = (sa.select(_users.c.role, _users.c.active, _memberships.c.team_id, _memberships.c.role.label("team_role"))
          .select_from(_users.outerjoin(_memberships, _memberships.c.user_id == _users.c.id))
          .where(_users.c.id == sa.bindparam("user_id")))


def actor_statement(user_id: int) -> tuple[sa.Select[Any], dict[str, int]]:
    """The person and their teams, as a statement for a batch (`actor_from_rows` reads it)."""
    return _ACTOR, {"user_id": user_id}


def actor_from_rows(user_id: int, rows: Sequence[Any]) -> Actor:
    """The acting person from `actor_statement`'s rows (mappings or Row objects)."""
    if not rows:
        raise Problem(401, "Your account is not active; sign in again.")
    first = rows[0]
    return actor_of(user_id, first["role"], first["active"],
                    {r["team_id"]: r["team_role"] for r in rows if r["team_id"] is not None})


async def load_actor(session: AsyncSession, user_id: int) -> Actor:
    """The person and their teams, in one round trip (every request and edit starts here).
    Read afresh each time, never cached: a role change or removal counts from the next request."""
    conn = await session.connection()
    return actor_from_rows(user_id, (await conn.execute(*actor_statement(user_id))).mappings().all())


async def actor_from_bus(session: AsyncSession, actor_id: int | str) -> Actor:
    if isinstance(actor_id, str) and actor_id.startswith("service:"):
        return Actor(user_id=None, role="member", service=actor_id)
    try:
        uid = int(actor_id)
    except (TypeError, ValueError) as exc:
        raise Problem(400, "actor_id must be a user id or service:<name>") from exc
    return await load_actor(session, uid)


async def approvers_for(session: AsyncSession, objective: Objective) -> list[int]:
    """Eligible approvers: leads of the parent team (admins too, always), minus the owner
    unless nobody else is eligible and an admin is the owner."""
    team = await session.get(Team, objective.team_id)
    admins = list((await session.execute(sa.select(User.id).where(User.role == "admin", User.active))).scalars())
    leads: list[int] = []
    if team is not None and team.parent_id is not None:
        leads = list(
            (
                await session.execute(
                    sa.select(Membership.user_id)
                    .join(User, User.id == Membership.user_id)
                    .where(Membership.team_id == team.parent_id, Membership.role == "lead", User.active,
                           User.role != GUEST)
                )
            ).scalars()
        )
    eligible = (leads + [a for a in admins if a not in leads]) if team is not None and team.parent_id is not None else admins
    others = [u for u in eligible if u != objective.owner_id]
    if others:
        return others
    return [u for u in eligible if u in admins]


async def require_decide(session: AsyncSession, actor: Actor, objective: Objective) -> None:
    if actor.user_id is None:
        raise Problem(403, "Approvals are made by people.")
    actor.require_writer()
    team = await session.get(Team, objective.team_id)
    is_root = team is not None and team.parent_id is None
    lead_of_parent = team is not None and team.parent_id is not None and actor.leads(team.parent_id)
    if not (actor.is_admin or (lead_of_parent and not is_root)):
        raise Problem(403, "Only a lead of the parent team or an admin can decide on this objective.")
    if actor.user_id not in await approvers_for(session, objective):
        raise Problem(403, "Nobody approves an objective they own while another approver exists.")
