"""JSON shapes of okr's entities (contract §2), with their derived fields."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from boost_contracts.events import KeyResultData, ObjectiveData, TeamData, UserData

from .domain.progress import Moment, health, kr_progress, weighted_progress, worst_health
from .forecast.fit import forecast_field, objective_forecast_progress
from .models import CheckIn, KeyResult, MilestoneItem, Objective, Team, User


def user_json(user: User) -> dict[str, Any]:
    return user_data(user).model_dump(mode="json")


def user_data(user: User) -> UserData:
    return UserData(
        id=user.id, email=user.email, name=user.name, avatar_url=user.avatar_url, slack_user_id=user.slack_user_id,
        role=user.role, active=user.active, locale=user.locale, timezone=user.timezone,  # type: ignore[arg-type]
        muted_reminders=list(user.muted_reminders or []), version=user.version,
    )


def team_data(team: Team) -> TeamData:
    return TeamData.model_validate({
        "id": team.id, "name": team.name, "parent_id": team.parent_id, "slack_channel_id": team.slack_channel_id,
        "members": [{"user_id": m.user_id, "role": m.role} for m in team.memberships], "version": team.version,
    })


def team_json(team: Team) -> dict[str, Any]:
    return team_data(team).model_dump(mode="json")


def kr_data(kr: KeyResult, items: Sequence[MilestoneItem], moment: Moment) -> KeyResultData:
    done = sum(1 for i in items if i.done)
    progress = kr_progress(kr.kind, kr.start, kr.target, kr.current, done, len(items))
    return KeyResultData.model_validate({
        "id": kr.id, "objective_id": kr.objective_id, "title": kr.title, "owner_id": kr.owner_id, "kind": kr.kind,
        "start": kr.start, "target": kr.target, "current": kr.current, "unit": kr.unit, "weight": kr.weight,
        "confidence": kr.confidence, "last_check_in_at": kr.last_check_in_at, "version": kr.version,
        "progress": round(progress, 4), "health": health(kr.confidence), "behind": moment.behind(progress, kr.kind),
        "stale": moment.stale(last_looked_at(kr)),
        "items": [{"id": i.id, "title": i.title, "done": i.done} for i in items],
        "deleted": kr.deleted_at is not None,
        "carried_from_id": getattr(kr, "carried_from_id", None),
        "forecast": forecast_field(getattr(kr, "forecast", None), kr.kind, kr.start, kr.target) if moment.running else None,
        "source": source_json(kr.source),
    })


def source_json(source: dict[str, Any] | None) -> dict[str, Any] | None:
    """A key result's `source` (contract §9): its binding's kind, state and last run."""
    if not source:
        return None
    return {k: source.get(k) for k in ("kind", "state", "last_run_at", "failing_since")}


class Looked(Protocol):
    source: dict[str, Any] | None
    last_check_in_at: datetime | None


def source_looked_at(source: dict[str, Any] | None) -> datetime | None:
    """When a healthy data binding last looked at the key result (a paused or failing one
    does not count)."""
    run = (source or {}).get("last_run_at")
    if not isinstance(run, str) or (source or {}).get("state") != "ok":
        return None
    return datetime.fromisoformat(run)


def last_looked_at(kr: Looked) -> datetime | None:
    """When someone, or its data source, last looked at the key result's number: a run that
    found the same value is no check-in, but the key result is not stale either (§9)."""
    ran = source_looked_at(kr.source)
    if ran is None or (kr.last_check_in_at is not None and kr.last_check_in_at >= ran):
        return kr.last_check_in_at
    return ran


def objective_data(obj: Objective, krs: Sequence[KeyResultData], moment: Moment) -> ObjectiveData:
    live = [k for k in krs if not k.deleted]
    review = None
    if obj.review_at is not None:
        review = {"by": obj.review_by, "at": obj.review_at, "comment": obj.review_comment}
    return ObjectiveData.model_validate({
        "id": obj.id, "cycle": obj.cycle, "team_id": obj.team_id, "owner_id": obj.owner_id, "parent_id": obj.parent_id,
        "title": obj.title, "description": obj.description, "status": obj.status, "review": review,
        "version": obj.version, "progress": round(weighted_progress((k.progress, k.weight) for k in live), 4),
        "expected_progress": round(moment.expected, 4), "health": worst_health(k.health for k in live),
        "score": obj.score, "closing_note": obj.closing_note, "carried_from_id": obj.carried_from_id,
        "deleted": obj.deleted_at is not None,
        "forecast_progress": objective_forecast_progress(
            [(k.forecast.progress if k.forecast else None, k.weight) for k in live]),
    })


def objective_json(obj: Objective, krs: Sequence[KeyResultData], moment: Moment) -> dict[str, Any]:
    body = objective_data(obj, krs, moment).model_dump(mode="json")
    body["key_results"] = [k.model_dump(mode="json") for k in krs if not k.deleted]
    body["needs_closing"] = obj.status != "closed" and moment.today > moment.cycle.end
    return body


def check_in_json(ci: CheckIn) -> dict[str, Any]:
    return {"id": ci.id, "key_result_id": ci.key_result_id, "value": ci.value, "confidence": ci.confidence,
            "note": ci.note, "author_id": ci.author_id, "created_at": ci.created_at.isoformat(),
            "source": ci.source}
