"""The demo company (BOOST_DEMO=1): two closed past quarters with scores and carried-over
objectives, so calibration, the team-by-quarter view and the history charts have something
to show; this quarter's key results carry forecasts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.stack import Okr, in_process


@pytest.fixture(scope="module")
async def demo(make_settings: Callable[..., Any]) -> AsyncIterator[Okr]:
    settings = make_settings("demo", now="2027-02-20T01:00:00+00:00", demo=True)
    async with in_process(settings) as stack:
        await stack.as_("admin")
        yield stack.okr


async def test_two_closed_past_quarters_with_carry_overs_and_calibration(demo: Okr) -> None:
    for cycle in ("2026-Q3", "2026-Q4"):
        objs = (await demo.call("admin", "GET", "/api/okr/objectives", params={"cycle": cycle})).json()
        assert len(objs) == 6 and all(o["status"] == "closed" and o["score"] is not None for o in objs), cycle
    q3 = {o["id"]: o for o in (await demo.call("admin", "GET", "/api/okr/objectives", params={"cycle": "2026-Q3"})).json()}
    q4 = (await demo.call("admin", "GET", "/api/okr/objectives", params={"cycle": "2026-Q4"})).json()
    carried = [o for o in q4 if o["carried_from_id"] in q3]
    assert carried, "some of 2026-Q3's unfinished objectives went on in 2026-Q4"
    for o in carried:
        assert all(k["carried_from_id"] is not None for k in o["key_results"])
    users = (await demo.call("admin", "GET", "/api/okr/users")).json()
    emma = next(u for u in users if u["email"] == "emma.lee@boost.example")
    cal = (await demo.call("admin", "GET", f"/api/okr/people/{emma['id']}/calibration")).json()
    assert [c["cycle"] for c in cal] == ["2026-Q4", "2026-Q3"]
    assert all(c["mid_quarter_confidence"] is not None for c in cal)
    history = (await demo.call("admin", "GET", "/api/okr/dashboard", params={"cycle": "2026-Q3"})).json()["history"]
    assert len(history) >= 13 and history[-1]["progress"] > 0


async def test_this_quarters_key_results_have_forecasts(demo: Okr) -> None:
    objs = (await demo.call("admin", "GET", "/api/okr/objectives", params={"cycle": "2027-Q1"})).json()
    krs = [k for o in objs for k in o["key_results"]]
    with_forecast = [k for k in krs if k["forecast"] is not None]
    assert len(with_forecast) >= len(krs) // 2
    for k in with_forecast:
        f = k["forecast"]
        assert f["low"] <= f["value"] <= f["high"] and 0 <= f["progress"] <= 1
