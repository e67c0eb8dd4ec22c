"""The org directory: people, teams, memberships, the CSV import and Slack's upserts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from boost_bus import Tx
from boost_contracts.events import REMINDER_KINDS, make_event
from boost_contracts.messages import DirectoryUser
from boost_platform.people import GUEST
from boost_platform.problems import Problem, invalid, not_found
from sqlalchemy.ext.asyncio import AsyncSession

from .. import uploads
from ..access import Actor
from ..models import Membership, Team, User
from ..org.service import check_timezone, stamp
from ..serialize import team_data, team_json, user_data, user_json
from .seen import check_seen

USER_ADMIN_FIELDS = {"name", "email", "avatar_url", "slack_user_id", "role", "active"}
USER_SELF_FIELDS = {"locale", "timezone", "muted_reminders"}


async def emit_user(tx: Tx, user: User, action: str, actor_id: int | str | None,
                    changes: list[str] | None = None) -> None:
    """The user's event, in the transaction that changed it. A change bumps `version` (see _bump)."""
    if action != "created":
        await _bump(tx.session, user)
    tx.emit(make_event("okr", f"user.{action}", user_data(user), actor_id=actor_id, changes=changes or []))


async def emit_team(tx: Tx, team: Team, action: str, actor_id: int | str | None,
                    changes: list[str] | None = None) -> None:
    """The team's event with its members; like emit_user, a change (a membership too) bumps `version`."""
    if action == "created":
        await tx.session.refresh(team, ["memberships"])
    else:
        await _bump(tx.session, team)
    tx.emit(make_event("okr", f"team.{action}", team_data(team), actor_id=actor_id, changes=changes or []))
    stamp(tx, "*")


async def _bump(session: AsyncSession, row: User | Team) -> None:
    """`version = version + 1` in SQL, under the row lock the UPDATE takes, so concurrent changes
    never share a version; then the row is read back, so the event carries the stored version
    and the other fields as they are now (a concurrent change's included)."""
    row.version = type(row).version + 1  # type: ignore[assignment]
    await session.flush()
    await session.refresh(row)


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise invalid("not an email address", "email")
    return email


async def get_user(session: AsyncSession, user_id: int, *, lock: bool = False) -> User:
    user = await session.get(User, user_id, with_for_update=lock or None)
    if user is None:
        raise not_found(f"Person {user_id}")
    return user


async def get_team(session: AsyncSession, team_id: int, *, lock: bool = False) -> Team:
    team = await session.get(Team, team_id, with_for_update=lock or None)
    if team is None:
        raise not_found(f"Team {team_id}")
    return team


async def root_team(session: AsyncSession) -> Team:
    team = (await session.execute(sa.select(Team).where(Team.parent_id.is_(None)).order_by(Team.id).limit(1))).scalar_one_or_none()
    if team is None:
        raise Problem(503, "The company team is missing.")
    return team


async def create_user(tx: Tx, actor: Actor, body: dict[str, Any]) -> User:
    actor.require_admin()
    email = normalise_email(body["email"])
    if (await tx.session.execute(sa.select(User.id).where(User.email == email))).first():
        raise Problem(409, f"{email} is already a person in Boost.")
    user = User(email=email, name=body["name"], avatar_url=body.get("avatar_url"),
                slack_user_id=body.get("slack_user_id") or None, role=body.get("role") or "member", active=True,
                locale=body.get("locale"), timezone=check_timezone(body["timezone"]) if body.get("timezone") else None,
                muted_reminders=[], created_at=datetime.now(UTC))
    tx.session.add(user)
    await tx.session.flush()
    await emit_user(tx, user, "created", actor.user_id)
    return user


NOT_NULL_USER_FIELDS = {"email", "name", "role", "active", "muted_reminders"}


async def update_user(tx: Tx, actor: Actor, user_id: int, changes: dict[str, Any], *,
                      version: int | None = None, base: dict[str, Any] | None = None) -> User:
    user = await get_user(tx.session, user_id, lock=version is not None)
    changes = {k: v for k, v in changes.items() if v is not None or k not in NOT_NULL_USER_FIELDS}
    _require_may_change(actor, user_id, set(changes))
    now = user_json(user)
    check_seen(what=user.name, now_version=user.version, seen_version=version, current=now, changes=changes,
               base=base, current_json=now)
    changed = []
    for field, value in changes.items():
        value = await _user_value(tx.session, user, field, value)
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        await tx.session.flush()
        await emit_user(tx, user, "updated", actor.user_id, changed)
        stamp(tx, "*")
    return user


def _require_may_change(actor: Actor, user_id: int, fields: set[str]) -> None:
    """An admin changes anyone; everyone else only their own language, timezone and mutes."""
    if actor.is_admin:
        return
    if actor.user_id != user_id:
        raise Problem(403, "Only admins can change other people.")
    if fields - USER_SELF_FIELDS:
        raise Problem(403, "You can change your language, timezone and muted reminders; admins change the rest.")


async def _user_value(session: AsyncSession, user: User, field: str, value: Any) -> Any:
    """A person's field as it is stored, or the problem with it (checked against the person as
    the earlier fields of the same change left them)."""
    if field == "email":
        value = normalise_email(value)
        clash = (await session.execute(sa.select(User.id).where(User.email == value, User.id != user.id))).first()
        if clash:
            raise Problem(409, f"{value} belongs to someone else.")
    if field == "timezone" and value:
        check_timezone(value)
    if field == "muted_reminders":
        value = _muted_reminders(value)
    if field == "slack_user_id" and value == "":
        value = None
    if user.role == "admin" and ((field == "role" and value != "admin") or (field == "active" and not value)):
        await _keep_one_admin(session, user.id)
    return value


def _muted_reminders(kinds: list[str] | None) -> list[str]:
    unknown = set(kinds or []) - set(REMINDER_KINDS)
    if unknown:
        raise invalid(f"unknown reminder kinds: {', '.join(sorted(unknown))}", "muted_reminders")
    return sorted(set(kinds or []))


async def _keep_one_admin(session: AsyncSession, leaving: int) -> None:
    others = (await session.execute(
        sa.select(sa.func.count()).select_from(User).where(User.role == "admin", User.active, User.id != leaving)
    )).scalar_one()
    if not others:
        raise Problem(409, "Boost needs at least one active admin.")


async def _check_parent(session: AsyncSession, team_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        raise invalid("a team needs a parent team (the company is the only root)", "parent_id")
    await get_team(session, parent_id)
    seen = set()
    cursor: int | None = parent_id
    while cursor is not None:
        if cursor == team_id:
            raise invalid("a team can't be inside itself", "parent_id")
        if cursor in seen:
            break
        seen.add(cursor)
        cursor = (await session.execute(sa.select(Team.parent_id).where(Team.id == cursor))).scalar_one_or_none()


async def create_team(tx: Tx, actor: Actor, body: dict[str, Any]) -> Team:
    actor.require_admin()
    parent_id = body.get("parent_id")
    if parent_id is None:
        parent_id = (await root_team(tx.session)).id
    await _check_parent(tx.session, None, parent_id)
    team = Team(name=body["name"], parent_id=parent_id, slack_channel_id=body.get("slack_channel_id") or None)
    tx.session.add(team)
    await tx.session.flush()
    members = {m["user_id"]: m.get("role", "member") for m in body.get("members") or []}
    for member_id, role in members.items():
        await get_user(tx.session, member_id)
        tx.session.add(Membership(team_id=team.id, user_id=member_id, role=role))
    await tx.session.flush()
    await emit_team(tx, team, "created", actor.user_id)
    return team


async def update_team(tx: Tx, actor: Actor, team_id: int, changes: dict[str, Any], *,
                      version: int | None = None, base: dict[str, Any] | None = None) -> Team:
    actor.require_admin()
    team = await get_team(tx.session, team_id, lock=version is not None)
    if changes.get("name", "") is None:
        del changes["name"]
    now = team_json(team)
    check_seen(what=team.name, now_version=team.version, seen_version=version, current=now, changes=changes,
               base=base, current_json=now)
    changed: list[str] = []
    if "parent_id" in changes:
        if team.parent_id is None:
            if changes["parent_id"] is not None:
                raise invalid("the company team stays the root", "parent_id")
        else:
            await _check_parent(tx.session, team.id, changes["parent_id"])
    for field in ("name", "parent_id", "slack_channel_id"):
        if field in changes and getattr(team, field) != changes[field]:
            setattr(team, field, changes[field] or None if field == "slack_channel_id" else changes[field])
            changed.append(field)
    if changed:
        await emit_team(tx, team, "updated", actor.user_id, changed)
    return team


async def put_member(tx: Tx, actor: Actor, team_id: int, user_id: int, role: str, *,
                     version: int | None = None, base_role: str | None = None) -> Team:
    """Add a member or change their role. With the team's `version` its writer loaded and the
    role it saw (`base_role`, null: not a member), a role someone else changed meanwhile is
    not overwritten (409 with the team)."""
    actor.require_admin()
    team = await get_team(tx.session, team_id, lock=version is not None)
    await get_user(tx.session, user_id)
    membership = await tx.session.get(Membership, (team_id, user_id))
    role_now = membership.role if membership is not None else None
    check_seen(what=team.name, now_version=team.version, seen_version=version, current={"role": role_now},
               changes={"role": role}, base={"role": base_role}, current_json=team_json(team))
    if membership is None:
        tx.session.add(Membership(team_id=team_id, user_id=user_id, role=role))
    elif membership.role == role:
        return team
    else:
        membership.role = role
    await tx.session.flush()
    await emit_team(tx, team, "updated", actor.user_id, ["members"])
    return team


async def remove_member(tx: Tx, actor: Actor, team_id: int, user_id: int) -> Team:
    actor.require_admin()
    team = await get_team(tx.session, team_id)
    membership = await tx.session.get(Membership, (team_id, user_id))
    if membership is None:
        raise not_found(f"Person {user_id} in team {team_id}")
    await tx.session.delete(membership)
    await tx.session.flush()
    await emit_team(tx, team, "updated", actor.user_id, ["members"])
    return team


# ------------------------------------------------------------------ CSV import

IMPORT_COLUMNS = ("email", "name", "team", "team_role", "parent_team", "role", "slack_user_id")
# Other names people give the same columns (the org role is `role`; the role in the team is `team_role`).
IMPORT_ALIASES = {"org_role": "role", "team role": "team_role", "org role": "role", "parent": "parent_team"}
# The example the import form shows: it must import as shown (tests/e2e/test_first_month.py pastes it).
IMPORT_EXAMPLE = "email,name,team,team_role,role\nminji@example.com,Kim Minji,Growth,lead,member\n"


class DryRun(Exception):
    """Raised at the end of a dry run, so its transaction rolls back and nothing is written or announced."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("dry run")
        self.result = result


async def import_csv(tx: Tx, actor: Actor, raw: bytes, *, dry_run: bool = False) -> dict[str, Any]:
    """All-or-nothing import of people and teams. Columns: email,name,team,team_role,parent_team,role,slack_user_id
    (only email and name are required; `role` is the org role, member or admin; `team_role` the
    role in the team, member or lead). Any bad row: nothing is applied, every bad row is reported.
    The result lists each change; a dry run computes the same and raises DryRun with it."""
    actor.require_admin()
    rows = _read_import(raw)
    _refuse_bad_rows(rows)
    changes: list[dict[str, Any]] = []
    teams = await _import_teams(tx, actor, rows, changes)
    for n, row in enumerate(rows, start=2):
        email = normalise_email(row["email"])
        user = await _import_person(tx, actor, n, email, row, changes)
        if row.get("team"):
            await _import_membership(tx, actor, n, email, row, user, teams[row["team"]], changes)
    actions = [c["action"] for c in changes]
    result = {"created_users": actions.count("create_user"), "updated_users": actions.count("update_user"),
              "created_teams": actions.count("create_team"), "rows": len(rows), "dry_run": dry_run,
              "changes": changes}
    if dry_run:
        raise DryRun(result)
    return result


def _import_column(name: str | None) -> str:
    return uploads.column(name, IMPORT_ALIASES)


def _read_import(raw: bytes) -> list[dict[str, str]]:
    return uploads.read_rows(raw, required={"email", "name"}, max_rows=10_000, columns=_import_column,
                             header_refusal="the first line must name the columns, with at least email and name")


def _refuse_bad_rows(rows: list[dict[str, str]]) -> None:
    """Every bad row of the file at once, or nothing (line numbers count the header as 1)."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        errors += [{"row": n, "field": field, "msg": msg} for field, msg in _row_errors(row, seen)]
    uploads.refuse(errors)


def _row_errors(row: dict[str, str], seen: set[str]) -> list[tuple[str, str]]:
    """What is wrong with one row, as (field, message); `seen` collects the emails so far."""
    try:
        email = normalise_email(row.get("email", ""))
    except Problem:
        return [("email", "not an email address")]
    errors: list[tuple[str, str]] = []
    if email in seen:
        errors.append(("email", "appears twice in the file"))
    seen.add(email)
    if not row.get("name") or len(row["name"]) > 200:
        errors.append(("name", "a name of 1–200 characters is required"))
    if row.get("team_role") and row["team_role"] not in ("member", "lead"):
        errors.append(("team_role", "member or lead"))
    errors += _org_role_errors(row.get("role"))
    if row.get("team_role") and not row.get("team"):
        errors.append(("team", "team_role needs a team"))
    if len(row.get("team", "")) > 200:
        errors.append(("team", "at most 200 characters"))
    return errors


def _org_role_errors(role: str | None) -> list[tuple[str, str]]:
    if role == "lead":
        return [("role", "role is the org role (member or admin); put lead in the team_role column")]
    if role and role not in ("member", "admin"):
        return [("role", "member or admin")]
    return []


async def _import_teams(tx: Tx, actor: Actor, rows: list[dict[str, str]],
                        changes: list[dict[str, Any]]) -> dict[str, Team]:
    """Every team the file names, by name: the existing ones, and the new ones created (a
    parent team before its child; a team without a known parent goes under the root)."""
    root = await root_team(tx.session)
    teams = {t.name: t for t in (await tx.session.execute(sa.select(Team))).scalars()}
    for n, row in enumerate(rows, start=2):
        for name, parent in ((row.get("parent_team"), None), (row.get("team"), row.get("parent_team"))):
            if not name or name in teams:
                continue
            parent_team = (teams.get(parent) if parent else root) or root
            team = Team(name=name, parent_id=parent_team.id)
            tx.session.add(team)
            await tx.session.flush()
            teams[name] = team
            changes.append({"row": n, "action": "create_team", "team": name, "detail": f"inside {parent_team.name}"})
            await emit_team(tx, team, "created", actor.user_id)
    return teams


async def _import_person(tx: Tx, actor: Actor, n: int, email: str, row: dict[str, str],
                         changes: list[dict[str, Any]]) -> User:
    """The row's person, created or brought up to date (name, org role, Slack id)."""
    user = (await tx.session.execute(sa.select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = User(email=email, name=row["name"], role=row.get("role") or "member", active=True,
                    slack_user_id=row.get("slack_user_id") or None, muted_reminders=[], created_at=datetime.now(UTC))
        tx.session.add(user)
        await tx.session.flush()
        await emit_user(tx, user, "created", actor.user_id)
        changes.append({"row": n, "action": "create_user", "email": email, "detail": f"{user.name} ({user.role})"})
        return user
    wanted = {"name": row["name"], "role": row.get("role") or user.role,
              "slack_user_id": row.get("slack_user_id") or user.slack_user_id}
    changed = [f for f, v in wanted.items() if getattr(user, f) != v]
    if not changed:
        return user
    detail = "; ".join(f"{f}: {getattr(user, f) or '—'} → {wanted[f] or '—'}" for f in changed)
    for f in changed:
        setattr(user, f, wanted[f])
    await emit_user(tx, user, "updated", actor.user_id, changed)
    changes.append({"row": n, "action": "update_user", "email": email, "detail": detail})
    return user


async def _import_membership(tx: Tx, actor: Actor, n: int, email: str, row: dict[str, str], user: User, team: Team,
                             changes: list[dict[str, Any]]) -> None:
    """The row's person in the row's team, with its team role (member unless said)."""
    membership = await tx.session.get(Membership, (team.id, user.id))
    role = row.get("team_role") or "member"
    if membership is None:
        tx.session.add(Membership(team_id=team.id, user_id=user.id, role=role))
        await tx.session.flush()
        await emit_team(tx, team, "updated", actor.user_id, ["members"])
        changes.append({"row": n, "action": "add_member", "email": email, "team": team.name, "detail": role})
    elif membership.role != role:
        changes.append({"row": n, "action": "change_team_role", "email": email, "team": team.name,
                        "detail": f"{membership.role} → {role}"})
        membership.role = role
        await emit_team(tx, team, "updated", actor.user_id, ["members"])


# ------------------------------------------------------------------ Slack directory


async def upsert_users(tx: Tx, actor: Actor, users: list[DirectoryUser], deactivate_missing: bool) -> dict[str, int]:
    """Slack's directory into Boost, matched by email. Locale and timezone are filled
    only where the person has not set them. A Slack guest (sent only when guests are
    admitted) comes in with the role guest; a role set before is an admin's and stays."""
    actor.require_grant("upsert_users")
    if actor.service is None:
        actor.require_admin()
    created = updated = deactivated = 0
    seen_slack_ids: set[str] = set()
    for incoming in users:
        email = normalise_email(incoming.email)
        user = (await tx.session.execute(sa.select(User).where(User.email == email))).scalar_one_or_none()
        if incoming.slack_user_id:
            seen_slack_ids.add(incoming.slack_user_id)
        if user is None:
            if incoming.active:
                await _create_from_slack(tx, actor, email, incoming)
                created += 1
            continue
        changes = _slack_changes(user, incoming)
        if changes:
            for k, v in changes.items():
                setattr(user, k, v)
            await emit_user(tx, user, "updated", actor.label, sorted(changes))
            updated += 1
            if changes.get("active") is False:
                deactivated += 1
    if deactivate_missing:
        deactivated += await _deactivate_missing(tx, actor, seen_slack_ids)
    if created or updated or deactivated:
        stamp(tx, "*")
    return {"created": created, "updated": updated, "deactivated": deactivated}


async def _create_from_slack(tx: Tx, actor: Actor, email: str, incoming: DirectoryUser) -> None:
    user = User(email=email, name=incoming.name or email, slack_user_id=incoming.slack_user_id,
                avatar_url=incoming.avatar_url, role=GUEST if incoming.guest else "member", active=True,
                locale=_locale(incoming.locale), timezone=_tz(incoming.timezone), muted_reminders=[],
                created_at=datetime.now(UTC))
    tx.session.add(user)
    await tx.session.flush()
    await emit_user(tx, user, "created", actor.label)


def _slack_changes(user: User, incoming: DirectoryUser) -> dict[str, Any]:
    """What Slack says differently of a known person: what Slack has (Slack id, name, avatar),
    locale and timezone only where the person set none, and whether they are active (an admin
    is never deactivated from Slack's side, so the last admins are not locked out)."""
    changes: dict[str, Any] = {}
    if incoming.slack_user_id and user.slack_user_id != incoming.slack_user_id:
        changes["slack_user_id"] = incoming.slack_user_id
    if incoming.name and user.name != incoming.name:
        changes["name"] = incoming.name
    if incoming.avatar_url and user.avatar_url != incoming.avatar_url:
        changes["avatar_url"] = incoming.avatar_url
    if user.locale is None and _locale(incoming.locale):
        changes["locale"] = _locale(incoming.locale)
    if user.timezone is None and _tz(incoming.timezone):
        changes["timezone"] = _tz(incoming.timezone)
    if user.active != incoming.active and (incoming.active or user.role != "admin"):
        changes["active"] = incoming.active
    return changes


async def _deactivate_missing(tx: Tx, actor: Actor, seen_slack_ids: set[str]) -> int:
    """Deactivate everyone from Slack whom Slack no longer lists (admins excepted); how many."""
    stale = (await tx.session.execute(
        sa.select(User).where(User.slack_user_id.is_not(None), User.active, User.role != "admin")
    )).scalars()
    deactivated = 0
    for user in stale:
        if user.slack_user_id not in seen_slack_ids:
            user.active = False
            await emit_user(tx, user, "updated", actor.label, ["active"])
            deactivated += 1
    return deactivated


def _locale(value: str | None) -> str | None:
    if not value:
        return None
    return "ko" if value.lower().startswith("ko") else "en"


def _tz(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return check_timezone(value)
    except Problem:
        return None


async def match_or_create_slack_user(tx: Tx, c: Any, *, email: str, name: str, slack_user_id: str | None,
                                     avatar_url: str | None, locale: str | None, guest: bool = False) -> User:
    """The person signing in with Slack, matched by email or created (a Slack guest, let in
    only with BOOST_SLACK_ALLOW_GUESTS, is created with the role guest; a matched person
    keeps the role an admin gave them)."""
    email = normalise_email(email)
    user = (await tx.session.execute(sa.select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        role = "admin" if email in c.settings.admin_email_list else GUEST if guest else "member"
        user = User(email=email, name=name, slack_user_id=slack_user_id, avatar_url=avatar_url,
                    role=role, active=True,
                    locale=_locale(locale), muted_reminders=[], created_at=datetime.now(UTC))
        tx.session.add(user)
        await tx.session.flush()
        await emit_user(tx, user, "created", "service:okr")
        return user
    if not user.active:
        raise Problem(403, "Your Boost account is deactivated; ask an admin.")
    changed = []
    if slack_user_id and user.slack_user_id != slack_user_id:
        user.slack_user_id = slack_user_id
        changed.append("slack_user_id")
    if avatar_url and user.avatar_url != avatar_url:
        user.avatar_url = avatar_url
        changed.append("avatar_url")
    if changed:
        await emit_user(tx, user, "updated", "service:okr", changed)
    return user
