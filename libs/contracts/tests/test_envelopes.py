"""Every event of the catalogue round-trips through the envelope's JSON unchanged."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from boost_contracts import events
from boost_contracts.envelope import Envelope, Scope
from boost_contracts.subjects import Names

NOW = datetime(2027, 1, 4, 1, 2, 3, tzinfo=UTC)

SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("okr", "org"): {"name": "Haneul", "timezone": "Asia/Seoul", "fiscal_year_start_month": 1,
                     "holidays": [date(2027, 1, 1)], "reminders": {"weekly_check_in": {"enabled": False}}},
    ("okr", "user"): {"id": 1, "email": "a@b.c", "name": "김하늘", "locale": "ko", "muted_reminders": ["team_digest"]},
    ("okr", "team"): {"id": 2, "name": "Product", "parent_id": 1, "members": [{"user_id": 1, "role": "lead"}]},
    ("okr", "objective"): {"id": 3, "cycle": "2027-Q1", "team_id": 2, "owner_id": 1, "title": "Grow", "version": 4,
                           "review": {"by": 1, "at": NOW, "comment": "ok"}, "progress": 0.5, "health": "at_risk"},
    ("okr", "key_result"): {"id": 4, "objective_id": 3, "title": "ARR", "owner_id": 1, "version": 2, "kind": "milestone",
                            "items": [{"id": 1, "title": "Beta", "done": True}], "last_check_in_at": NOW},
    ("okr", "check_in"): {"id": 5, "key_result_id": 4, "value": 3.5, "confidence": 7, "author_id": 1, "created_at": NOW},
    ("okr", "session"): {"jti": "abc", "exp": 1_800_000_000},
    ("feedback", "message"): {"id": 6, "subject": "objective:3", "author_id": 1, "body": "<img src=x>", "mentions": [2],
                              "created_at": NOW},
    ("feedback", "feedback"): {"id": 7, "kind": "retro", "author_id": 1, "created_at": NOW, "team_id": 2,
                               "cycle": "2027-Q1", "score": 0.7, "went_well": "a", "to_improve": "b"},
    ("feedback", "mention"): {"message_id": 6, "subject": "objective:3", "user_id": 2, "author_id": 1, "body": "hi",
                              "link": "/objectives/3#chat"},
    ("scheduler", "reminder"): {"occurrence_id": "reminder:weekly_check_in:2027-Q1:2027-01-04", "kind": "weekly_check_in",
                                "cycle": "2027-Q1", "date": date(2027, 1, 4), "local_time": "10:00"},
    ("notifier", "delivery"): {"id": 8, "key": "k", "kind": "mentioned", "user_id": 2, "status": "sent"},
    ("notifier", "directory"): {"created": 1, "updated": 2, "deactivated": 3},
    ("connectors", "binding"): {"id": 9, "key_result_id": 4, "source_id": 2, "kind": "sql", "every_minutes": 60,
                                "state": "failing", "last_value": 41.5, "last_run_at": NOW, "failing_since": NOW,
                                "error": "Sales DB: timed out", "owner_id": 1, "source_name": "Sales DB", "version": 3},
}


def test_every_catalogue_entry_has_a_sample() -> None:
    assert set(SAMPLES) == set(events.DATA_MODELS)


@pytest.mark.parametrize(("source", "event_type"), events.all_event_types())
def test_event_round_trips(source: str, event_type: str) -> None:
    entity = event_type.split(".")[0]
    model = events.DATA_MODELS[(source, entity)]
    data = model.model_validate(SAMPLES[(source, entity)])
    env = events.make_event(source, event_type, data, actor_id=1, op_id="op-1", changes=["title"],
                            scope={"cycle": "2027-Q1", "team_id": 2, "objective_id": 3}, trace_id="t")
    again = Envelope.from_json(env.to_json())
    assert again == env
    assert events.parse_data(again) == data
    assert len(env.id) == 26  # a ULID, minted here, never a DB counter


def test_unknown_events_are_refused() -> None:
    with pytest.raises(ValueError):
        events.make_event("okr", "objective.exploded", events.DirectorySyncedData())


def test_scope_names_the_rooms() -> None:
    assert Scope(cycle="2027-Q1", team_id=2, objective_id=3, thread="objective:3").rooms() == [
        "cycle:2027-Q1", "team:2:2027-Q1", "objective:3", "thread:objective:3"]


def test_namespace_prefixes_subjects_and_storage() -> None:
    names = Names("t1")
    assert names.event("okr", "objective.updated") == "t1.okr.events.objective.updated"
    assert names.stream("okr") == "t1_OKR_EVENTS"
    assert names.schema("okr") == "t1_boost_okr"
    assert Names("").event("okr", "x.y") == "okr.events.x.y"
    with pytest.raises(ValueError):
        Names("bad-ns")
