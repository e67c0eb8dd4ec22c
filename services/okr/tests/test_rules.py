"""okr decides every derived figure and the text merge; the web app computes the same ones
optimistically from the same rules.json. Both ends check themselves against the shared
vectors in boost_contracts/rules/cases.json (the web's half: gateway/web/src/lib/rules.test.ts)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from boost_contracts.cycles import parse_cycle
from boost_contracts.rules import cases
from boost_platform.textmerge import merge_text
from okr_service.domain.progress import Moment, health, kr_progress, weighted_progress, worst_health

pytestmark = pytest.mark.unit
CASES = cases()


@pytest.mark.parametrize("case", CASES["key_results"], ids=lambda c: f"{c['kind']}-{c['current']}")
def test_key_result_progress(case: dict[str, Any]) -> None:
    done = sum(1 for i in case["items"] if i["done"])
    got = kr_progress(case["kind"], case["start"], case["target"], case["current"], done, len(case["items"]))
    assert round(got, 4) == case["progress"]


@pytest.mark.parametrize("case", CASES["health"], ids=lambda c: str(c["confidence"]))
def test_health_from_confidence(case: dict[str, Any]) -> None:
    assert health(case["confidence"]) == case["health"]


@pytest.mark.parametrize("case", CASES["objectives"], ids=lambda c: f"{len(c['key_results'])}-krs")
def test_objective_roll_up(case: dict[str, Any]) -> None:
    krs = case["key_results"]
    assert round(weighted_progress((k["progress"], k["weight"]) for k in krs), 4) == case["progress"]
    assert worst_health(k["health"] for k in krs) == case["health"]


def test_a_yes_no_key_result_is_never_behind_and_others_are() -> None:
    by_kind = {(c["kind"], c["progress"]): c["behind"] for c in CASES["behind"]}
    assert by_kind[("boolean", 0.0)] is False
    assert by_kind[("milestone", 0.0)] is True


@pytest.mark.parametrize("case", CASES["behind"], ids=lambda c: f"{c['kind']}-{c['progress']}")
def test_behind(case: dict[str, Any]) -> None:
    cycle = parse_cycle("2027-Q1")
    # the vector's `expected` is the server's own: find the day that gives it, then ask the Moment
    day = next(d for d in (date.fromordinal(cycle.start.toordinal() + n) for n in range(-30, cycle.days))
               if (d >= cycle.start) == case["started"] and round(cycle.expected_progress(d), 6) == case["expected"])
    moment = Moment(cycle=cycle, today=day, now=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
    assert moment.behind(case["progress"], case["kind"]) is case["behind"]


@pytest.mark.parametrize("case", CASES["merge"], ids=lambda c: c["base"][:12])
def test_merge(case: dict[str, Any]) -> None:
    assert merge_text(case["base"], case["mine"], case["theirs"]) == case["merged"]


@pytest.mark.parametrize("case", CASES["decimals"], ids=lambda c: f"{c['kind']}-{c['start']}-{c['target']}")
def test_decimals_by_scale(case: dict[str, Any]) -> None:
    from boost_contracts.rules import decimals_for

    assert decimals_for(case["kind"], case["start"], case["target"]) == case["decimals"]
