"""The Feedback Hub: feedback on objectives and key results, addressed to a person or a
team, visible to the whole org, resolved by whom it concerns; and retrospectives,
one per team and cycle with the team's own grade of the quarter (0.0–1.0)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from boost_bus import Tx
from boost_contracts.events import FeedbackData, make_event
from boost_platform.problems import Problem, invalid, not_found
from boost_platform.textmerge import merge_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..access import Actor
from ..models import Feedback, RmObjective
from ..readmodel import lookup
from ..schemas import FeedbackCreate

KINDS = ("praise", "suggestion", "question", "retro")
RETRO_FIELDS = ("went_well", "to_improve", "score")
TEXT_FIELDS = ("body", "went_well", "to_improve")
# What people write, and so what nobody may overwrite without having seen it.
CONTENT_FIELDS = ("body", *RETRO_FIELDS)
TARGET_FIELDS = ("objective_id", "key_result_id", "to_user_id", "to_team_id")
DEFAULT_PAGE = 100
MAX_PAGE = 500


def feedback_data(fb: Feedback) -> FeedbackData:
    return FeedbackData.model_validate({
        "id": fb.id, "cycle": fb.cycle, "objective_id": fb.objective_id, "key_result_id": fb.key_result_id,
        "to_user_id": fb.to_user_id, "to_team_id": fb.to_team_id, "team_id": fb.team_id, "kind": fb.kind,
        "body": fb.body, "author_id": fb.author_id, "resolved": fb.resolved, "created_at": fb.created_at,
        "went_well": fb.went_well, "to_improve": fb.to_improve, "score": fb.score, "version": fb.version,
    })


def feedback_json(fb: Feedback) -> dict[str, Any]:
    return feedback_data(fb).model_dump(mode="json")


def _emit(tx: Tx, fb: Feedback, action: str, actor: Actor, changes: list[str], op_id: str | None = None) -> None:
    scope = {"cycle": fb.cycle, "team_id": fb.team_id, "objective_id": fb.objective_id}
    tx.emit(make_event("feedback", f"feedback.{action}", feedback_data(fb), actor_id=actor.user_id,
                       changes=changes, scope=scope, op_id=op_id))


async def get_feedback(session: AsyncSession, feedback_id: int, *, lock: bool = False) -> Feedback:
    stmt = sa.select(Feedback).where(Feedback.id == feedback_id)
    if lock:
        stmt = stmt.with_for_update()
    fb = (await session.execute(stmt)).scalar_one_or_none()
    if fb is None:
        raise not_found(f"Feedback {feedback_id}")
    return fb


# ---------------------------------------------------------------------------- create


async def create(tx: Tx, actor: Actor, now: datetime, body: FeedbackCreate, default_timezone: str) -> Feedback:
    actor.require_writer()
    if body.kind == "retro":
        fb = await _retro(tx.session, actor, body)
    else:
        fb = await _feedback(tx.session, actor, now, body, default_timezone)
    fb.author_id, fb.created_at, fb.updated_at, fb.resolved = actor.user_id, now, now, False
    fb.version, fb.field_versions = 1, {}
    tx.session.add(fb)
    try:
        await tx.session.flush()
    except IntegrityError as exc:  # another retro of the same team and cycle won the race
        raise Problem(409, "This team already has a retrospective for this cycle.") from exc
    _emit(tx, fb, "created", actor, [])
    return fb


async def _feedback(session: AsyncSession, actor: Actor, now: datetime, body: FeedbackCreate,
                    default_timezone: str) -> Feedback:
    for name in ("team_id", *RETRO_FIELDS):
        if getattr(body, name) is not None:
            raise invalid(f"{name} belongs to retrospectives (kind retro)", name)
    if not body.body.strip():
        raise invalid("write something (1–4,000 characters)", "body")
    objective_id = await _objective_of(session, body)
    obj: RmObjective | None = None
    if objective_id is not None:
        obj = await lookup.live_objective(session, objective_id)
        if obj is None:
            raise invalid(f"objective {objective_id} does not exist", "objective_id")
    await _check_addressees(session, body, obj)
    if obj is not None:
        if body.cycle is not None and body.cycle != obj.cycle:
            raise invalid(f"objective {obj.id} belongs to {obj.cycle}", "cycle")
        cycle = obj.cycle
    else:
        cycle = (await lookup.cycle_of(session, now, body.cycle, default_timezone)).id
    return Feedback(kind=body.kind, cycle=cycle, objective_id=objective_id, key_result_id=body.key_result_id,
                    to_user_id=body.to_user_id, to_team_id=body.to_team_id,
                    team_id=obj.team_id if obj is not None else body.to_team_id, body=body.body)


async def _objective_of(session: AsyncSession, body: FeedbackCreate) -> int | None:
    """The objective feedback is about: the one named, or the key result's (which must agree)."""
    if body.key_result_id is None:
        return body.objective_id
    kr = await lookup.live_key_result(session, body.key_result_id)
    if kr is None:
        raise invalid(f"key result {body.key_result_id} does not exist", "key_result_id")
    if body.objective_id is not None and body.objective_id != kr.objective_id:
        raise invalid(f"key result {kr.id} belongs to objective {kr.objective_id}", "objective_id")
    return kr.objective_id


async def _check_addressees(session: AsyncSession, body: FeedbackCreate, obj: RmObjective | None) -> None:
    """Feedback goes to an active person, a team or an objective (or key result) that exist."""
    if body.to_user_id is not None and await lookup.active_user(session, body.to_user_id) is None:
        raise invalid(f"no active person with id {body.to_user_id}", "to_user_id")
    if body.to_team_id is not None and await lookup.live_team(session, body.to_team_id) is None:
        raise invalid(f"team {body.to_team_id} does not exist", "to_team_id")
    if obj is None and body.to_user_id is None and body.to_team_id is None:
        raise invalid("address it to a person, a team, an objective or a key result", "to_user_id")


async def _retro(session: AsyncSession, actor: Actor, body: FeedbackCreate) -> Feedback:
    for name in TARGET_FIELDS:
        if getattr(body, name) is not None:
            raise invalid(f"a retrospective is a team's, for a cycle: {name} does not apply", name)
    if body.team_id is None:
        raise invalid("which team's retrospective?", "team_id")
    if body.cycle is None:
        raise invalid("which cycle's retrospective (e.g. 2027-Q1)?", "cycle")
    if await lookup.live_team(session, body.team_id) is None:
        raise invalid(f"team {body.team_id} does not exist", "team_id")
    if not (actor.is_admin or actor.in_team(body.team_id)):
        raise Problem(403, "Only the team's members (or admins) write its retrospective.")
    key = f"{body.team_id}:{body.cycle}"
    existing = (await session.execute(sa.select(Feedback).where(Feedback.retro_key == key))).scalar_one_or_none()
    if existing is not None:
        raise Problem(409, "This team already has a retrospective for this cycle; change that one.",
                      current=feedback_json(existing))
    return Feedback(kind="retro", cycle=body.cycle, team_id=body.team_id, body=body.body, went_well=body.went_well or "",
                    to_improve=body.to_improve or "", score=body.score, retro_key=key)


# ---------------------------------------------------------------------------- change


async def can_resolve(session: AsyncSession, actor: Actor, fb: Feedback) -> bool:
    """The addressed person, a member of the addressed team, or the objective's owner."""
    if fb.to_user_id is not None and fb.to_user_id == actor.user_id:
        return True
    if actor.in_team(fb.to_team_id):
        return True
    if fb.objective_id is not None:
        obj = await session.get(RmObjective, fb.objective_id)
        return obj is not None and obj.owner_id == actor.user_id
    return False


async def update(tx: Tx, actor: Actor, now: datetime, feedback_id: int, changes: dict[str, Any],
                 version: int | None = None, base: dict[str, str] | None = None, op_id: str | None = None) -> Feedback:
    """`resolved` by whom it concerns, `body` by its author; a retro's fields by its team.

    What people write (`body`, a retro's fields) is never overwritten by someone who did not
    see it: the write carries the `version` it saw, and a field it changes that moved after
    that version is merged when it is text sent with its `base` (the text its writer started
    from), and otherwise refused with 409 and the current entry."""
    actor.require_writer()
    fb = await get_feedback(tx.session, feedback_id, lock=True)
    if "resolved" in changes:
        await _check_resolving(tx.session, actor, fb, changes["resolved"])
    if "body" in changes:
        _check_body(actor, fb, changes["body"])
    if any(name in changes for name in RETRO_FIELDS):
        _check_retro_fields(actor, fb, changes)
    changed = _apply(fb, _reconcile(fb, changes, version, base or {}))
    if "resolved" in changed:
        fb.resolved_by, fb.resolved_at = (actor.user_id, now) if fb.resolved else (None, None)
    if changed:
        fb.updated_at = now
        fb.version += 1
        fb.field_versions = {**(fb.field_versions or {}), **dict.fromkeys(changed, fb.version)}
        await tx.session.flush()
        _emit(tx, fb, "updated", actor, changed, op_id)
    return fb


async def _check_resolving(session: AsyncSession, actor: Actor, fb: Feedback, resolved: bool | None) -> None:
    if fb.kind == "retro":
        raise invalid("a retrospective is not resolved", "resolved")
    if resolved is None:
        raise invalid("resolved is true or false", "resolved")
    if not await can_resolve(session, actor, fb):
        raise Problem(403, "Only the person or team it is addressed to, or the objective's owner, can resolve it.")


def _check_body(actor: Actor, fb: Feedback, body: str | None) -> None:
    if body is None:
        raise invalid("body is text", "body")
    if fb.author_id != actor.user_id:
        raise Problem(403, "Only its author can change what feedback says.")
    if fb.kind != "retro" and not body.strip():
        raise invalid("write something (1–4,000 characters)", "body")


def _check_retro_fields(actor: Actor, fb: Feedback, changes: dict[str, Any]) -> None:
    retro = [name for name in RETRO_FIELDS if name in changes]
    if fb.kind != "retro":
        raise invalid(f"{retro[0]} belongs to retrospectives", retro[0])
    if not (actor.is_admin or actor.in_team(fb.team_id) or fb.author_id == actor.user_id):
        raise Problem(403, "Only the team's members (or admins) change its retrospective.")
    for name in ("went_well", "to_improve"):
        if name in changes and changes[name] is None:
            raise invalid(f"{name} is text", name)


def _apply(fb: Feedback, values: dict[str, Any]) -> list[str]:
    """Write the values that differ; the names of those changed."""
    changed = []
    for name, value in values.items():
        if getattr(fb, name) != value:
            setattr(fb, name, value)
            changed.append(name)
    return changed


def _reconcile(fb: Feedback, changes: dict[str, Any], version: int | None,
               base: dict[str, str]) -> dict[str, Any]:
    """Per-field optimistic concurrency (the rule of okr's objectives, `apply_fields`):
    the values to write, texts merged."""
    content = [name for name in changes if name in CONTENT_FIELDS]
    if content and version is None:
        raise invalid("say which version you saw (version), so nobody's newer text is overwritten", "version")
    values, conflicts = dict(changes), []
    for name in content:
        assert version is not None
        if (fb.field_versions or {}).get(name, 0) <= version:
            continue  # unchanged since its writer saw it
        value = changes[name]
        if name in TEXT_FIELDS and name in base and isinstance(value, str):
            values[name] = merge_text(base[name], value, getattr(fb, name) or "")
        elif getattr(fb, name) != value:
            conflicts.append(name)
    if conflicts:
        raise Problem(409, f"Someone changed {', '.join(sorted(conflicts))} after you loaded it.",
                      title="Edit conflict", current=feedback_json(fb))
    return values


# ---------------------------------------------------------------------------- read


async def list_feedback(session: AsyncSession, actor: Actor, *, cycle: str | None, team_id: int | None,
                        objective_id: int | None, to_user_id: int | None, author_id: int | None, kind: str | None,
                        to_me: bool, before: int | None, after: int | None, limit: int) -> list[Feedback]:
    """Newest first; `before`/`after` are feedback ids."""
    stmt = sa.select(Feedback)
    if cycle is not None:
        stmt = stmt.where(Feedback.cycle == cycle)
    if team_id is not None:
        stmt = stmt.where(sa.or_(Feedback.team_id == team_id, Feedback.to_team_id == team_id))
    if objective_id is not None:
        stmt = stmt.where(Feedback.objective_id == objective_id)
    if to_user_id is not None:
        stmt = stmt.where(Feedback.to_user_id == to_user_id)
    if author_id is not None:
        stmt = stmt.where(Feedback.author_id == author_id)
    if kind is not None:
        stmt = stmt.where(Feedback.kind == kind)
    if to_me:
        mine = [Feedback.to_user_id == actor.user_id,
                Feedback.objective_id.in_(lookup.owned_objective_ids(actor.user_id))]
        if actor.teams:
            mine.append(Feedback.to_team_id.in_(list(actor.teams)))
        stmt = stmt.where(sa.or_(*mine))
    if before is not None:
        stmt = stmt.where(Feedback.id < before)
    if after is not None:
        stmt = stmt.where(Feedback.id > after)
    return list((await session.execute(stmt.order_by(Feedback.id.desc()).limit(limit))).scalars())


async def summary(session: AsyncSession, objective_id: int) -> dict[str, Any]:
    """Counts by kind and how many are still unresolved, for one objective (its key results' too)."""
    rows = await session.execute(
        sa.select(Feedback.kind, Feedback.resolved, sa.func.count())
        .where(Feedback.objective_id == objective_id).group_by(Feedback.kind, Feedback.resolved)
    )
    by_kind = dict.fromkeys(KINDS, 0)
    unresolved = 0
    for kind, resolved, n in rows:
        by_kind[kind] = by_kind.get(kind, 0) + n
        if not resolved and kind != "retro":
            unresolved += n
    return {"objective_id": objective_id, "total": sum(by_kind.values()), "by_kind": by_kind,
            "unresolved": unresolved}
