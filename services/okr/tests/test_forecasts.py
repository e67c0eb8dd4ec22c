"""Forecasts on key results and objectives, back-filled check-ins, and the dashboard's
likely-to-miss list (§9), on real MariaDB and NATS. The clock is 2027-01-10 10:00 in Seoul."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.stack import Okr

Q1 = "2027-Q1"
END_DAYS = 88 + 14 / 24  # from 2027-01-02T01:00Z to the end of 2027-03-31 in Seoul (2027-03-31T15:00Z)


async def backfill(okr: Okr, kr_id: int, points: list[tuple[str, float]], confidence: int = 6) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for at, value in points:
        r = await okr.call("admin", "POST", f"/api/okr/key-results/{kr_id}/check-ins",
                           json={"value": value, "confidence": confidence, "created_at": at})
        assert r.status_code == 201, r.text
        body = r.json()
    return body


async def test_a_key_result_with_history_carries_its_forecast(okr: Okr) -> None:
    obj = await okr.objective("member", cycle=Q1, key_results=[
        {"title": "Signups", "start": 0, "target": 1000, "weight": 3}, {"title": "Latency", "start": 240, "target": 50}])
    signups, latency = obj["key_results"]
    assert signups["forecast"] is None and obj["forecast_progress"] is None
    # One a day, from a spreadsheet: 2nd, 5th and 9th of January (01:00Z = 10:00 in Seoul).
    body = await backfill(okr, signups["id"], [("2027-01-02T10:00:00+09:00", 0), ("2027-01-05T10:00:00+09:00", 3),
                                               ("2027-01-09T10:00:00+09:00", 7)])
    f = body["key_result"]["forecast"]
    assert f["value"] == pytest.approx(END_DAYS, rel=1e-4)
    assert f["low"] == pytest.approx(f["value"], rel=1e-4) and f["high"] == pytest.approx(f["value"], rel=1e-4)
    assert f["progress"] == pytest.approx(END_DAYS / 1000, abs=1e-4)
    assert f["as_of"].startswith("2027-01-09T01:00:00") and f["at"].startswith("2027-04-01T00:00:00+09:00")
    assert body["key_result"]["current"] == 7
    # The objective has a forecast only when all its key results do.
    got = (await okr.call("other", "GET", f"/api/okr/objectives/{obj['id']}")).json()
    assert got["forecast_progress"] is None
    await backfill(okr, latency["id"], [("2027-01-02T10:00:00+09:00", 240), ("2027-01-06T10:00:00+09:00", 236),
                                        ("2027-01-09T10:00:00+09:00", 233)])
    got = (await okr.call("other", "GET", f"/api/okr/objectives/{obj['id']}")).json()
    krs = {k["id"]: k for k in got["key_results"]}
    lat = krs[latency["id"]]["forecast"]
    assert lat["value"] < 233 and lat["low"] <= lat["value"] <= lat["high"]
    assert lat["progress"] == pytest.approx((240 - lat["value"]) / 190, abs=1e-3)
    expected = (3 * krs[signups["id"]]["forecast"]["progress"] + lat["progress"]) / 4
    assert got["forecast_progress"] == pytest.approx(expected, abs=1e-4)
    # A check-in today refits at once.
    r = await okr.call("member", "POST", f"/api/okr/key-results/{signups['id']}/check-ins", json={"value": 400})
    assert r.json()["key_result"]["forecast"]["value"] > 2 * END_DAYS


async def test_too_little_history_or_a_quarter_not_running_has_none(okr: Okr) -> None:
    obj = await okr.objective("member", cycle=Q1, key_results=[{"title": "A", "start": 0, "target": 10}])
    kr = obj["key_results"][0]
    for value in (1, 2, 3):  # three check-ins, all today
        r = await okr.call("member", "POST", f"/api/okr/key-results/{kr['id']}/check-ins", json={"value": value})
    assert r.json()["key_result"]["forecast"] is None
    nxt = await okr.objective("member", cycle="2027-Q2", key_results=[{"title": "B", "start": 0, "target": 10}])
    assert nxt["key_results"][0]["forecast"] is None


async def test_back_filling_is_for_admins_within_the_quarter_and_never_in_the_future(okr: Okr) -> None:
    obj = await okr.objective("member", cycle=Q1, key_results=[
        {"title": "A", "start": 0, "target": 10}, {"title": "M", "kind": "milestone", "items": [{"title": "x"}]}])
    kr, ms = obj["key_results"]
    path = f"/api/okr/key-results/{kr['id']}/check-ins"
    cases = [("member", "2027-01-05T10:00:00+09:00", 403),
             ("admin", "2027-01-10T11:00:00+09:00", 422),  # an hour from now
             ("admin", "2026-12-31T23:59:00+09:00", 422),  # the day before the quarter, in Seoul
             ("admin", "2027-01-05T10:00:00", 422)]  # no offset
    for who, at, status in cases:
        r = await okr.call(who, "POST", path, json={"value": 5, "created_at": at})
        assert r.status_code == status, (who, at, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await okr.call("admin", "POST", f"/api/okr/key-results/{ms['id']}/check-ins",
                       json={"item_id": ms["items"][0]["id"], "created_at": "2027-01-05T10:00:00+09:00"})
    assert r.status_code == 422
    # 2027-01-01 00:30 in Seoul is still 2026-12-31 in UTC: days are the org's.
    ok = await okr.call("admin", "POST", path, json={"value": 2, "created_at": "2027-01-01T00:30:00+09:00"})
    assert ok.status_code == 201, ok.text
    # Today's check-in, then an older one back-filled: the current value stays today's.
    await okr.call("member", "POST", path, json={"value": 6, "confidence": 7})
    r = await okr.call("admin", "POST", path, json={"value": 3, "confidence": 2, "created_at": "2027-01-04T09:00:00+09:00"})
    assert r.status_code == 201
    assert (r.json()["key_result"]["current"], r.json()["key_result"]["confidence"]) == (6, 7)
    history = (await okr.call("member", "GET", path)).json()
    assert [h["value"] for h in history] == [2, 3, 6]  # oldest first, by when they happened


async def test_dashboard_lists_the_key_results_likely_to_miss_worst_first(okr: Okr) -> None:
    obj = await okr.objective("lead", cycle=Q1, title="Forecasting", key_results=[
        {"title": "Slow", "start": 0, "target": 1000}, {"title": "Slower", "start": 0, "target": 1000},
        {"title": "Fast", "start": 0, "target": 100}])
    slow, slower, fast = obj["key_results"]
    days = ["2027-01-02T10:00:00+09:00", "2027-01-05T10:00:00+09:00", "2027-01-09T10:00:00+09:00"]
    await backfill(okr, slow["id"], list(zip(days, [0, 15, 35], strict=True)))
    await backfill(okr, slower["id"], list(zip(days, [0, 3, 7], strict=True)))
    await backfill(okr, fast["id"], list(zip(days, [0, 10, 20], strict=True)))
    d = (await okr.call("other", "GET", "/api/okr/dashboard", params={"cycle": Q1})).json()
    ids = [k["id"] for k in d["likely_to_miss"]]
    assert ids.index(slower["id"]) < ids.index(slow["id"]) and fast["id"] not in ids
    progresses = [k["forecast"]["progress"] for k in d["likely_to_miss"]]
    assert progresses == sorted(progresses) and all(p < 0.7 for p in progresses)
    # A big week moves it off the list.
    await okr.call("lead", "POST", f"/api/okr/key-results/{slow['id']}/check-ins", json={"value": 400})
    d = (await okr.call("other", "GET", "/api/okr/dashboard", params={"cycle": Q1})).json()
    assert slow["id"] not in [k["id"] for k in d["likely_to_miss"]]


async def test_carry_over_closes_an_open_objective_and_takes_only_unfinished_key_results(okr: Okr) -> None:
    obj = await okr.objective("member", cycle=Q1, title="Carry me", key_results=[
        {"title": "Done", "start": 0, "target": 10}, {"title": "Half", "start": 0, "target": 10}])
    done, half = obj["key_results"]
    await okr.call("member", "POST", f"/api/okr/key-results/{done['id']}/check-ins", json={"value": 10})
    await okr.call("member", "POST", f"/api/okr/key-results/{half['id']}/check-ins", json={"value": 4})
    r = await okr.call("member", "POST", f"/api/okr/objectives/{obj['id']}/carry-over")
    assert r.status_code == 201, r.text
    new = r.json()
    assert (new["cycle"], new["status"], new["carried_from_id"]) == ("2027-Q2", "draft", obj["id"])
    assert [(k["title"], k["start"], k["target"], k["carried_from_id"]) for k in new["key_results"]] \
        == [("Half", 4, 10, half["id"])]
    old = (await okr.call("member", "GET", f"/api/okr/objectives/{obj['id']}")).json()
    assert old["status"] == "closed" and old["score"] == 0.7  # the suggested score: its progress


async def test_calibration_sets_mid_quarter_confidence_beside_what_was_reached(okr: Okr) -> None:
    # 2026-Q4 is past: 92 days from October 1st, review day November 16th.
    obj = await okr.objective("other", team="engineering", cycle="2026-Q4", key_results=[
        {"title": "Uptime", "start": 0, "target": 100}, {"title": "Hires", "start": 0, "target": 4}])
    uptime, hires = obj["key_results"]
    for kr_id, points in ((uptime["id"], [("2026-10-20T10:00:00+09:00", 30, 8), ("2026-11-16T20:00:00+09:00", 40, 9),
                                          ("2026-12-20T10:00:00+09:00", 60, 3)]),
                          (hires["id"], [("2026-11-01T10:00:00+09:00", 1, 6), ("2026-12-30T10:00:00+09:00", 4, 10)])):
        for at, value, conf in points:
            r = await okr.call("admin", "POST", f"/api/okr/key-results/{kr_id}/check-ins",
                               json={"value": value, "confidence": conf, "created_at": at})
            assert r.status_code == 201, r.text
    other_id = okr.ids["other"]["id"]
    r = await okr.call("member", "GET", f"/api/okr/people/{other_id}/calibration")
    assert r.status_code == 200
    [q4] = r.json()  # this quarter's key results are not past yet
    assert q4["cycle"] == "2026-Q4"
    by_id = {k["id"]: k for k in q4["key_results"]}
    assert by_id[uptime["id"]]["mid_quarter_confidence"] == 9  # the last one given by the review day's end
    assert by_id[hires["id"]]["mid_quarter_confidence"] == 6
    assert q4["mid_quarter_confidence"] == 7.5
    assert q4["progress"] == pytest.approx((0.6 + 1.0) / 2)
    assert (await okr.call("member", "GET", "/api/okr/people/999999/calibration")).status_code == 404


async def test_a_csv_of_check_ins_back_fills_history_all_or_nothing(okr: Okr) -> None:
    obj = await okr.objective("member", cycle=Q1, key_results=[{"title": "Signups", "start": 0, "target": 100}])
    kr = obj["key_results"][0]
    bad = (f"key_result_id,created_at,value,confidence,note\n{kr['id']},2027-01-03,5,6,from the sheet\n"
           f"{kr['id']},2027-02-01,7,,\n999999,2027-01-04,1,,\n{kr['id']},yesterday,x,11,\n")
    r = await okr.call("admin", "POST", "/api/okr/check-ins/import", content=bad.encode(),
                       headers={"content-type": "text/csv"})
    assert r.status_code == 422, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "created_at"), (4, "key_result_id"),
                                                                    (5, "created_at")]
    assert (await okr.call("member", "GET", f"/api/okr/key-results/{kr['id']}/check-ins")).json() == []
    good = (f"key_result_id,created_at,value,confidence,note\n{kr['id']},2027-01-03,5,6,from the sheet\n"
            f"{kr['id']},2027-01-06T09:00:00+09:00,9,,\n{kr['id']},2027-01-09,14,7,\n")
    member = await okr.call("member", "POST", "/api/okr/check-ins/import", content=good.encode(),
                            headers={"content-type": "text/csv"})
    assert member.status_code == 403
    r = await okr.call("admin", "POST", "/api/okr/check-ins/import", content=good.encode(),
                       headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 3, "key_results": 1}
    got = (await okr.call("member", "GET", f"/api/okr/key-results/{kr['id']}")).json()
    assert (got["current"], got["confidence"]) == (14, 7)
    assert got["forecast"] is not None and got["forecast"]["value"] > 14


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
async def test_back_filling_at_the_ends_of_time_is_a_422_not_a_500(okr: Okr, at: str) -> None:
    obj = await okr.objective("member", cycle=Q1, key_results=[{"title": "Edge", "start": 0, "target": 10}])
    r = await okr.call("admin", "POST", f"/api/okr/key-results/{obj['key_results'][0]['id']}/check-ins",
                       json={"value": 1, "created_at": at})
    assert r.status_code == 422, r.text


async def test_a_key_result_fed_every_hour_is_forecast_over_its_whole_history(okr: Okr) -> None:
    """More check-ins than one read takes (a data source's readings): the older ones are
    sampled and the line is fitted on days, so it spans the history, not its last days."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa
    from okr_service.models import CheckIn

    obj = await okr.objective("member", cycle=Q1, key_results=[{"title": "Events", "start": 0, "target": 1000}])
    kr_id = obj["key_results"][0]["id"]
    container = okr.client.boost_app.state.container  # type: ignore[attr-defined]
    start = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    async with container.runtime.maker() as session, session.begin():
        await session.execute(sa.insert(CheckIn), [
            {"key_result_id": kr_id, "value": float(h), "confidence": None, "note": "", "author_id": okr.ids["admin"]["id"],
             "created_at": start + timedelta(hours=h)} for h in range(220)])  # one an hour: +24 a day
    # A flat last stretch that alone would forecast no growth at all.
    async with container.runtime.maker() as session, session.begin():
        await session.execute(sa.insert(CheckIn), [
            {"key_result_id": kr_id, "value": 220.0, "confidence": None, "note": "",
             "author_id": okr.ids["admin"]["id"], "created_at": start + timedelta(hours=220, minutes=m)}
            for m in range(0, 600)])
    r = await okr.call("member", "POST", f"/api/okr/key-results/{kr_id}/check-ins", json={"value": 221})
    f = r.json()["key_result"]["forecast"]
    assert f is not None and f["value"] > 500  # the hourly climb still shows through
