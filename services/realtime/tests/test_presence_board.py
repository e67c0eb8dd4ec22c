"""The presence board on its own (a fake clock): what a room shows, when it changes,
and when people expire."""

from __future__ import annotations

from realtime_service.presence import PresenceBoard


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_a_refresh_changes_nothing_but_a_new_field_does() -> None:
    clock = Clock()
    board = PresenceBoard(ttl=8, now=clock)
    assert board.beat("objective:1", ("r1", "a"), 7, "Min", None) is True
    assert board.beat("objective:1", ("r1", "a"), 7, "Min", None) is False
    assert board.beat("objective:1", ("r1", "a"), 7, "Min", "objective:1:title") is True
    assert board.users("objective:1") == [{"id": 7, "name": "Min", "field": "objective:1:title"}]


def test_two_tabs_of_one_person_on_one_field_show_once() -> None:
    board = PresenceBoard(ttl=8, now=Clock())
    board.beat("cycle:2027-Q1", ("r1", "a"), 7, "Min", None)
    assert board.beat("cycle:2027-Q1", ("r2", "b"), 7, "Min", None) is False
    assert board.users("cycle:2027-Q1") == [{"id": 7, "name": "Min", "field": None}]
    assert board.leave("cycle:2027-Q1", ("r1", "a")) is False  # the other tab still shows them
    assert board.leave("cycle:2027-Q1", ("r2", "b")) is True
    assert board.users("cycle:2027-Q1") == []


def test_people_expire_without_heartbeats_and_stay_with_them() -> None:
    clock = Clock()
    board = PresenceBoard(ttl=8, now=clock)
    board.beat("objective:1", ("r1", "a"), 7, "Min", None)
    board.beat("objective:1", ("r2", "b"), 8, "Lena", None)
    clock.t += 5
    board.beat("objective:1", ("r2", "b"), 8, "Lena", None)  # Lena's replica is alive
    assert board.expire() == []
    clock.t += 4
    assert board.expire() == ["objective:1"]
    assert [u["name"] for u in board.users("objective:1")] == ["Lena"]
    clock.t += 9
    assert board.expire() == ["objective:1"]
    assert board.users("objective:1") == [] and board.rooms_of(("r2", "b")) == []
