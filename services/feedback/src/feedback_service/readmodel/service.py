"""The read model of okr: users, teams with their members, objectives, key results and
the org's calendar settings, kept from `okr.events.*` and rebuilt from `okr.query.*`.

Ordering: the org, users, teams (their members included), objectives and key results
carry `version`; an event or a snapshot row is applied only when its version is ≥ the
stored one, so a late or replayed event never undoes a newer one."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import sqlalchemy as sa
from boost_bus import Bus
from boost_bus.client import BusReplyError, Poison
from boost_contracts.envelope import Envelope
from boost_contracts.events import KeyResultData, ObjectiveData, OrgData, TeamData, UserData, parse_data
from boost_contracts.subjects import Names
from boost_platform.db import upsert_if_newer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import RmKeyResult, RmMembership, RmObjective, RmOrg, RmTeam, RmUser

CONSUMER = "feedback_read_model"
ENTITIES = frozenset({"user", "team", "objective", "key_result", "org"})
ACTOR = "service:feedback"
# A snapshot is stamped a little before it was asked for: events from just before it
# are replayed over it (in stream order they converge), none from after it is lost.
SNAPSHOT_MARGIN = timedelta(seconds=5)


# What the read model keeps of a key result and an objective (`key_result_write`,
# `objective_write`). An update that changed none of it — every check-in, which moves a
# key result's number; an objective's description typed — needs no write: the values of
# these fields it carries are those of the version before it, which came with their own
# event (or snapshot), and a later version still replaces them, whatever the row's version.
KEPT = {
    "key_result": frozenset({"objective_id", "owner_id", "title", "deleted"}),
    "objective": frozenset({"cycle", "team_id", "owner_id", "title", "status", "deleted"}),
}


def wants(envelope: Envelope) -> bool:
    if envelope.source != "okr" or envelope.entity not in ENTITIES:
        return False
    kept = KEPT.get(envelope.entity or "")
    return not (kept is not None and envelope.action == "updated" and envelope.changes
                and kept.isdisjoint(envelope.changes))


# ---------------------------------------------------------------------------- one entity at a time
# Users, objectives, key results and the org are one row each, written by one statement
# that keeps the newer version (`upsert_if_newer`): the event path sends it in the batch
# that claims the event and commits; a snapshot sends the same statements. Teams carry
# their members (a row set), so they go through the session under the row's lock.

Write: TypeAlias = tuple[sa.Insert, dict[str, Any]]


@functools.cache
def _upsert(model: type[Any], dialect: str) -> sa.Insert:
    return upsert_if_newer(model, dialect)


def user_write(dialect: str, data: UserData, *, gone: bool = False) -> Write:
    return _upsert(RmUser, dialect), {"id": data.id, "email": data.email, "name": data.name, "role": data.role,
                                      "active": data.active and not gone, "version": data.version}


def objective_write(dialect: str, data: ObjectiveData, *, gone: bool | None = None) -> Write:
    return _upsert(RmObjective, dialect), {
        "id": data.id, "cycle": data.cycle, "team_id": data.team_id, "owner_id": data.owner_id, "title": data.title,
        "status": data.status, "deleted": data.deleted if gone is None else gone, "version": data.version}


def key_result_write(dialect: str, data: KeyResultData, *, gone: bool | None = None) -> Write:
    return _upsert(RmKeyResult, dialect), {
        "id": data.id, "objective_id": data.objective_id, "owner_id": data.owner_id, "title": data.title,
        "deleted": data.deleted if gone is None else gone, "version": data.version}


def org_write(dialect: str, data: OrgData) -> Write:
    return _upsert(RmOrg, dialect), {"id": 1, "timezone": data.timezone,
                                     "fiscal_year_start_month": data.fiscal_year_start_month, "version": data.version}


async def put_team(session: AsyncSession, data: TeamData, *, gone: bool = False) -> None:
    row = await session.get(RmTeam, data.id, with_for_update=True)
    if row is None:
        row = RmTeam(id=data.id, version=data.version)
        session.add(row)
    elif data.version < row.version:
        return
    row.name, row.parent_id, row.deleted, row.version = data.name, data.parent_id, gone, data.version
    await session.execute(sa.delete(RmMembership).where(RmMembership.team_id == data.id))
    if not gone:
        members = {m.user_id: m.role for m in data.members}
        if members:
            await session.execute(sa.insert(RmMembership), [
                {"team_id": data.id, "user_id": uid, "role": role} for uid, role in members.items()])


Entity: TypeAlias = UserData | TeamData | ObjectiveData | KeyResultData | OrgData


def parse(envelope: Envelope) -> Entity:
    try:
        data = parse_data(envelope)
    except (ValidationError, KeyError) as exc:
        raise Poison(f"{envelope.type} does not carry what the contract says: {exc}") from exc
    if not isinstance(data, UserData | TeamData | ObjectiveData | KeyResultData | OrgData):
        raise Poison(f"{envelope.type} is not an entity the read model keeps")
    return data


def event_write(dialect: str, envelope: Envelope, data: Entity) -> Write:
    """The one statement an event of a user, objective, key result or the org comes to."""
    gone = envelope.action == "deleted"
    if isinstance(data, UserData):
        return user_write(dialect, data, gone=gone)
    if isinstance(data, ObjectiveData):
        return objective_write(dialect, data, gone=True if gone else None)
    if isinstance(data, KeyResultData):
        return key_result_write(dialect, data, gone=True if gone else None)
    if isinstance(data, OrgData):
        return org_write(dialect, data)
    raise TypeError(f"{envelope.type} is a team's: put_team")


# ---------------------------------------------------------------------------- rebuild from okr.query.*


@dataclass
class Snapshot:
    taken_at: datetime
    users: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    objectives: list[dict[str, Any]] = field(default_factory=list)  # each with its live key_results
    org: dict[str, Any] | None = None


async def fetch_snapshot(bus: Bus, names: Names, page: int = 500) -> Snapshot:
    """Everything the read model holds, asked of okr as `service:feedback`."""
    snap = Snapshot(taken_at=datetime.now(UTC) - SNAPSHOT_MARGIN)
    who = {"actor_id": ACTOR}
    snap.users = list(await bus.request(names.query("okr", "users"), who, timeout=10))
    snap.teams = list(await bus.request(names.query("okr", "teams"), who, timeout=10))
    after = 0
    while True:
        reply = await bus.request(names.query("okr", "objectives"), {**who, "after": after, "limit": page}, timeout=10)
        snap.objectives.extend(reply["items"])
        if not reply.get("next"):
            break
        after = int(reply["next"])
    try:
        snap.org = await bus.request(names.query("okr", "org"), who, timeout=5)
    except BusReplyError:
        # okr grants `org` to the scheduler only; until feedback has it too, keep what
        # org events taught us (or the defaults).
        snap.org = None
    return snap


async def clear(session: AsyncSession) -> None:
    for model in (RmMembership, RmKeyResult, RmObjective, RmTeam, RmUser, RmOrg):
        await session.execute(sa.delete(model))


async def load_snapshot(session: AsyncSession, snap: Snapshot) -> None:
    """Merge a snapshot under the same ordering rules as events (safe while events flow).
    Key results that okr no longer lists under a listed objective were deleted."""
    dialect = session.bind.dialect.name if session.bind else "mysql"
    for user in snap.users:
        await session.execute(*user_write(dialect, UserData.model_validate(user)))
    for team in snap.teams:
        await put_team(session, TeamData.model_validate(team))
    for obj in snap.objectives:
        await session.execute(*objective_write(dialect, ObjectiveData.model_validate(obj)))
        live = []
        for kr in obj.get("key_results") or []:
            data = KeyResultData.model_validate(kr)
            live.append(data.id)
            await session.execute(*key_result_write(dialect, data))
        gone = sa.update(RmKeyResult).where(RmKeyResult.objective_id == obj["id"], RmKeyResult.deleted.is_(False))
        if live:
            gone = gone.where(RmKeyResult.id.not_in(live))
        await session.execute(gone.values(deleted=True))
    if snap.org is not None:
        await session.execute(*org_write(dialect, OrgData.model_validate(snap.org)))


# ---------------------------------------------------------------------------- reading it


async def dump(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """The read model's content, without bookkeeping (watermarks, and a key result's
    version: it stays behind okr's across check-ins, which `wants` skips) and without key
    results deleted in okr (a rebuild from okr's queries cannot know those): what a
    rebuilt read model must equal."""

    async def rows(stmt: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in (await session.execute(stmt)).all()]

    return {
        "users": await rows(sa.select(RmUser.id, RmUser.email, RmUser.name, RmUser.role, RmUser.active,
                                      RmUser.version).order_by(RmUser.id)),
        "teams": await rows(sa.select(RmTeam.id, RmTeam.name, RmTeam.parent_id, RmTeam.deleted, RmTeam.version)
                            .order_by(RmTeam.id)),
        "memberships": await rows(sa.select(RmMembership.team_id, RmMembership.user_id, RmMembership.role)
                                  .order_by(RmMembership.team_id, RmMembership.user_id)),
        "objectives": await rows(sa.select(RmObjective.id, RmObjective.cycle, RmObjective.team_id, RmObjective.owner_id,
                                           RmObjective.title, RmObjective.status, RmObjective.deleted,
                                           RmObjective.version).order_by(RmObjective.id)),
        "key_results": await rows(sa.select(RmKeyResult.id, RmKeyResult.objective_id, RmKeyResult.owner_id,
                                            RmKeyResult.title)
                                  .where(RmKeyResult.deleted.is_(False)).order_by(RmKeyResult.id)),
    }
