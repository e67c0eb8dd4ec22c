"""What an edit of an objective or a key result may do: decided here, once, for both ways
okr stores an edit — `service` (the ORM session: every field, structural changes, events
built from a fresh read) and `live` (typing: text fields in two batched round trips).

Each way loads the rows its own way and hands them here as `ObjectiveState` /
`KeyResultState` (an ORM instance, or a row read without a session); `plan_*_edit` checks
the editor's rights, the values and the per-field versions, merges concurrent text, and
says what changes — including whether the objective goes back to draft."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from boost_platform.problems import Problem, invalid
from boost_platform.textmerge import merge_text

from ..access import Actor
from ..calendar import Calendar

OBJECTIVE_FIELDS = frozenset({"title", "description", "owner_id", "parent_id"})
OBJECTIVE_TEXT = frozenset({"title", "description"})
OBJECTIVE_STRUCTURAL = frozenset({"title"})
KR_FIELDS = frozenset({"title", "owner_id", "kind", "start", "target", "unit", "weight", "items"})
KR_TEXT = frozenset({"title", "unit"})
KR_STRUCTURAL = frozenset({"start", "target", "kind", "weight", "items"})
KR_NUMBERS = ("start", "target", "weight")
KINDS = ("number", "percent", "boolean", "milestone")


class Versioned(Protocol):
    """What per-field versions need of a row: an ORM instance or a row read without a session."""

    id: int
    version: int
    field_versions: dict[str, int]


class ObjectiveState(Versioned, Protocol):
    cycle: str
    team_id: int
    owner_id: int
    status: str


class KeyResultState(Versioned, Protocol):
    objective_id: int
    kind: str


@dataclass
class EditResult:
    """What a PATCH or `edit` did: the new version, merged text, and the entity's JSON."""

    version: int
    merged: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EditPlan:
    """The fields that change (before, after), the text merged with someone else's, the
    fields that conflict (then nothing changes), and whether the objective goes back to draft."""

    applied: dict[str, tuple[Any, Any]]
    merged: dict[str, str]
    conflicts: list[str]
    back_to_draft: bool = False


# ------------------------------------------------------------------ values


def check_title(title: Any, field: str = "title") -> str:
    if not isinstance(title, str) or not title.strip():
        raise invalid("a title is required", field)
    if len(title) > 200:
        raise invalid("at most 200 characters", field)
    return title


def check_objective_text(values: dict[str, Any]) -> None:
    if "title" in values:
        check_title(values["title"])
    if "description" in values:
        if not isinstance(values["description"], str):
            raise invalid("must be text", "description")
        if len(values["description"]) > 5000:
            raise invalid("at most 5,000 characters", "description")


def check_kr_text(values: dict[str, Any]) -> None:
    if "title" in values:
        check_title(values["title"])
    if "unit" in values and (not isinstance(values["unit"], str) or len(values["unit"]) > 32):
        raise invalid("a unit of at most 32 characters", "unit")


def number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("must be a number", field)
    if value != value or value in (float("inf"), float("-inf")) or abs(value) > 1e15:
        raise invalid("must be a finite number", field)
    return float(value)


def check_kr_shape(kind: str, start: float, target: float, weight: float) -> None:
    if kind not in KINDS:
        raise invalid(f"kind is one of {', '.join(KINDS)}", "kind")
    if kind in ("number", "percent") and target == start:
        raise invalid("the target must differ from the start", "target")
    if weight <= 0:
        raise invalid("the weight must be above 0", "weight")


# ------------------------------------------------------------------ rules of an edit


def require_open(obj: ObjectiveState) -> None:
    if obj.status == "closed":
        raise Problem(409, "This objective is closed; carry it over to work on it again.")


def goes_back_to_draft(obj: ObjectiveState, cal: Calendar) -> bool:
    """A structural change before the cycle starts sends a submitted/approved objective back to draft."""
    return obj.status in ("submitted", "approved") and not cal.started(cal.cycle(obj.cycle))


def apply_fields(entity: Versioned, changes: dict[str, Any], version: int, base: dict[str, str] | None,
                 text_fields: frozenset[str]) -> tuple[dict[str, tuple[Any, Any]], dict[str, str], list[str]]:
    """Per-field optimistic concurrency: a field changed after `version` conflicts,
    unless it is text with a `base`, which is merged. Returns (applied, merged, conflicts);
    nothing is applied when there are conflicts."""
    conflicts: list[str] = []
    merged: dict[str, str] = {}
    values = dict(changes)
    for name, value in changes.items():
        if entity.field_versions.get(name, 0) <= version:
            continue
        if name in text_fields and base and name in base and isinstance(value, str):
            result = merge_text(base[name], value, getattr(entity, name) or "")
            values[name] = result
            merged[name] = result
        else:
            conflicts.append(name)
    if conflicts:
        return {}, merged, conflicts
    applied: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        if name == "items":
            continue
        before = getattr(entity, name)
        if before != value:
            applied[name] = (before, value)
    return applied, merged, []


def conflict(conflicts: list[str], current: dict[str, Any]) -> Problem:
    return Problem(409, f"Someone changed {', '.join(sorted(conflicts))} after you loaded it.",
                   title="Edit conflict", current=current)


def bump(entity: Versioned, fields: Any) -> None:
    entity.version += 1
    entity.field_versions = {**(entity.field_versions or {}), **{f: entity.version for f in fields}}


def _known(changes: dict[str, Any], fields: frozenset[str]) -> None:
    unknown = set(changes) - fields
    if unknown:
        raise invalid(f"can't change {', '.join(sorted(unknown))} here", sorted(unknown)[0])


def plan_objective_edit(actor: Actor, obj: ObjectiveState, changes: dict[str, Any], version: int,
                        base: dict[str, str] | None, cal: Calendar) -> EditPlan:
    """May `actor` make these changes to the objective, and what do they change?"""
    _known(changes, OBJECTIVE_FIELDS)
    actor.require_write_team(obj.team_id)
    require_open(obj)
    check_objective_text(changes)
    applied, merged, conflicts = apply_fields(obj, changes, version, base, OBJECTIVE_TEXT)
    if conflicts:
        return EditPlan({}, merged, conflicts)
    check_objective_text(merged)
    structural = bool(OBJECTIVE_STRUCTURAL & set(applied))
    return EditPlan(applied, merged, [], back_to_draft=structural and goes_back_to_draft(obj, cal))


def plan_kr_edit(actor: Actor, obj: ObjectiveState, kr: KeyResultState, changes: dict[str, Any], version: int,
                 base: dict[str, str] | None, cal: Calendar) -> EditPlan:
    """May `actor` make these changes to the key result, and what do they change? (Milestone
    items are compared by the caller, which alone has them; `changes` has numbers coerced.)"""
    _known(changes, KR_FIELDS)
    actor.require_write_team(obj.team_id)
    require_open(obj)
    for name in KR_NUMBERS:
        if name in changes:
            changes[name] = number(changes[name], name)
    check_kr_text(changes)
    applied, merged, conflicts = apply_fields(kr, changes, version, base, KR_TEXT)
    if conflicts:
        return EditPlan({}, merged, conflicts)
    check_kr_text(merged)
    structural = bool(KR_STRUCTURAL & (set(applied) | ({"items"} if "items" in changes else set())))
    return EditPlan(applied, merged, [], back_to_draft=structural and goes_back_to_draft(obj, cal))
