"""What clients may send, checked before anything reaches okr, and which origins may use
the session cookie."""

from __future__ import annotations

import pytest
from boost_platform.settings import BoostSettings
from realtime_service.hub import session_cookie
from realtime_service.rooms import is_field, is_room
from realtime_service.schemas import EditRejected, parse_edit
from realtime_service.settings import RealtimeSettings, allowed_origins


@pytest.mark.parametrize("room", ["cycle:2027-Q1", "team:3:2027-Q1", "objective:12", "thread:objective:12",
                                  "thread:key-result:4", "thread:draft:2027-Q1:team:3"])
def test_contract_rooms_are_accepted(room: str) -> None:
    assert is_room(room)


@pytest.mark.parametrize("room", ["", "cycle:2027", "cycle:2027-Q5", "team:3", "team:x:2027-Q1", "objective:0",
                                  "objective:12\n", "objective:١٢", "thread:", "thread:a b", "lobby", 12, None])
def test_other_rooms_are_refused(room: object) -> None:
    assert not is_room(room)


def test_presence_fields() -> None:
    assert is_field(None) and is_field("objective:12:title") and is_field("key_result:4:current")
    assert not is_field("title") and not is_field("team:1:name") and not is_field(3)
    assert is_field("feedback:7:went_well") and is_field("typing") and not is_field("typing:1")


def test_a_good_edit_parses_with_its_op_id() -> None:
    edit = parse_edit({"entity": "objective", "id": 12, "changes": {"title": "Grow"}, "base": {"title": "Gro"},
                       "version": 3, "op_id": "c1f6-2"})
    assert edit.model_dump(exclude_none=True) == {"entity": "objective", "id": 12, "changes": {"title": "Grow"},
                                                  "base": {"title": "Gro"}, "version": 3, "op_id": "c1f6-2"}


@pytest.mark.parametrize(("data", "status"), [
    (None, 400), ([], 400), ({"entity": "objective"}, 422),
    ({"entity": "objective", "id": 1, "changes": {"title": "x" * 70_000}, "version": 1}, 413),
    ({"entity": "objective", "id": 1, "changes": {"ti tle": "x"}, "version": 1}, 422),
    ({"entity": "objective", "id": -1, "changes": {"title": "x"}, "version": 1}, 422),
    ({"entity": "objective", "id": 1, "changes": {"title": "x"}, "version": 1.5}, 422),
])
def test_bad_edits_are_refused_with_a_status(data: object, status: int) -> None:
    with pytest.raises(EditRejected) as caught:
        parse_edit(data)
    assert caught.value.status == status and caught.value.ack()["ok"] is False


def test_cookie_origins_follow_the_public_url() -> None:
    dev = BoostSettings(_env_file=None, public_url="http://localhost:8080", auth_mode="dev")  # type: ignore[call-arg]
    origins = allowed_origins(dev, RealtimeSettings(_env_file=None, extra_origins="http://localhost:5173"))  # type: ignore[call-arg]
    assert {"http://localhost:8080", "http://127.0.0.1:8080", "http://localhost:5173"} <= set(origins)
    prod = BoostSettings(_env_file=None, public_url="https://okr.example.com/", auth_mode="slack", signing_key="k",  # type: ignore[call-arg]
                         slack_client_id="i", slack_client_secret="s", slack_team_id="t")
    assert allowed_origins(prod, RealtimeSettings(_env_file=None)) == ["https://okr.example.com"]  # type: ignore[call-arg]


def test_the_session_cookie_is_found_among_messy_ones() -> None:
    assert session_cookie('theme={"a":1,"b"}; boost_session=abc.def.ghi; other=1') == "abc.def.ghi"
    assert session_cookie("boost_csrf=x") is None
    assert session_cookie("") is None
