"""Who the caller is, asked of okr once for every service that does not hold okr's people
(issue 20: the notifier, the scheduler and connectors each asked, and each answered the edge
cases differently). A fake bus replies or fails; every edge case is here once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from boost_bus.caller import NOT_ACTIVE, NOT_KNOWN, OKR_SILENT, Caller, ask_caller, ask_okr
from boost_bus.client import BusReplyError
from boost_contracts.subjects import Names
from boost_platform.problems import Problem
from nats.errors import ConnectionClosedError, NoRespondersError

pytestmark = pytest.mark.unit


class FakeBus:
    """Answers every request with `answer`, or raises it when it is an exception."""

    service = "scheduler"
    names = Names("ns1")

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[tuple[str, dict[str, Any]]] = []

    async def request(self, subject: str, body: dict[str, Any], timeout: float = 5.0) -> Any:
        self.asked.append((subject, body))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


async def _caller(answer: Any) -> Caller:
    return await ask_caller(FakeBus(answer), 7, Caller)  # type: ignore[arg-type]


async def _refusal(answer: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        await _caller(answer)
    return caught.value


async def test_the_caller_is_asked_as_the_service_and_comes_with_role_and_teams() -> None:
    bus = FakeBus({"id": 7, "role": "admin", "active": True,
                   "teams": [{"id": 3, "role": "lead"}, {"id": 4, "role": "member"}]})
    caller = await ask_caller(bus, 7, Caller)  # type: ignore[arg-type]
    assert caller == Caller(user_id=7, role="admin", teams={3: "lead", 4: "member"})
    assert caller.is_admin and caller.leads(3) and caller.in_team(4) and not caller.leads(4)
    assert bus.asked == [("ns1.okr.query.user", {"actor_id": "service:scheduler", "id": 7})]


async def test_an_answer_without_role_or_teams_is_a_member_of_no_team() -> None:
    assert await _caller({"id": 7}) == Caller(user_id=7, role="member", teams={})


@pytest.mark.parametrize("answer", [BusReplyError({"status": 404, "detail": "No such person."}), None],
                         ids=["okr says 404", "okr answers nothing"])
async def test_a_person_okr_does_not_know_signs_in_again(answer: Any) -> None:
    refusal = await _refusal(answer)
    assert (refusal.status, refusal.detail) == (401, NOT_KNOWN)


async def test_an_inactive_person_signs_in_again() -> None:
    refusal = await _refusal({"id": 7, "role": "admin", "active": False, "teams": []})
    assert (refusal.status, refusal.detail) == (401, NOT_ACTIVE)


async def test_any_other_error_okr_replies_is_passed_on_as_okr_said_it() -> None:
    refusal = await _refusal(BusReplyError({"status": 403, "title": "Forbidden",
                                            "detail": "service:scheduler may not call read."}))
    assert (refusal.status, refusal.detail) == (403, "service:scheduler may not call read.")


@pytest.mark.parametrize("silence", [TimeoutError("no answer"), NoRespondersError(), ConnectionClosedError(),
                                     ConnectionRefusedError()],
                         ids=["timeout", "no responders", "connection closed", "connection refused"])
async def test_okr_not_answering_is_a_503_to_retry(silence: Exception) -> None:
    refusal = await _refusal(silence)
    assert (refusal.status, refusal.detail) == (503, OKR_SILENT)
    assert refusal.headers == {"Retry-After": "2"}


async def test_a_bug_is_not_mistaken_for_okr_being_silent() -> None:
    with pytest.raises(KeyError):
        await ask_okr(FakeBus(KeyError("oops")), "user", {"id": 7})  # type: ignore[arg-type]


async def test_a_service_subclass_keeps_its_own_refusal() -> None:
    @dataclass(frozen=True)
    class Person(Caller):
        def require_admin(self, refusal: str = "Only admins manage data sources.") -> None:
            super().require_admin(refusal)

    person = await ask_caller(FakeBus({"id": 7, "role": "member"}), 7, Person)  # type: ignore[arg-type]
    assert isinstance(person, Person)
    with pytest.raises(Problem, match="Only admins manage data sources"):
        person.require_admin()
