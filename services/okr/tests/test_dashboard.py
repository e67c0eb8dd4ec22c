"""The dashboard and the CSV export on real data."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.okr import Okr


async def test_dashboard_company_teams_counts_and_attention(okr: Okr) -> None:
    company = await okr.objective("ceo", team="root", cycle="2027-Q1", title="Company goal",
                                  key_results=[{"title": "ARR", "start": 0, "target": 100}])
    team = await okr.objective("member", cycle="2027-Q1", parent_id=company["id"], key_results=[
        {"title": "A", "start": 0, "target": 10, "weight": 1}, {"title": "B", "start": 10, "target": 0, "weight": 1}])
    a, b = team["key_results"]
    await okr.call("ceo", "POST", f"/api/okr/key-results/{company['key_results'][0]['id']}/check-ins", json={"value": 30, "confidence": 8})
    await okr.call("member", "POST", f"/api/okr/key-results/{a['id']}/check-ins", json={"value": 5, "confidence": 2})
    await okr.call("member", "POST", f"/api/okr/key-results/{b['id']}/check-ins", json={"value": 5, "confidence": 5})
    d = (await okr.call("other", "GET", "/api/okr/dashboard", params={"cycle": "2027-Q1"})).json()
    assert d["cycle"] == "2027-Q1"
    assert d["company"]["progress"] == pytest.approx(0.3, abs=1e-4)  # mean of the root team's objectives
    assert d["company"]["expected_progress"] == pytest.approx(9 / 90, abs=1e-4)  # 2027-01-10
    product = next(t for t in d["teams"] if t["id"] == okr.ids["product"]["id"])
    assert product["objectives"][0]["progress"] == pytest.approx(0.5, abs=1e-4)
    assert product["objectives"][0]["health"] == "off_track"
    at_risk = [k["id"] for k in d["at_risk"]]
    assert at_risk[:2] == [a["id"], b["id"]]  # worst first
    root_node = next(n for n in d["tree"] if n["objective_id"] == company["id"])
    assert [c["objective_id"] for c in root_node["children"]] == [team["id"]]
    assert d["counts"]["by_health"]["off_track"] >= 1
    assert d["history"][-1]["progress"] == d["company"]["progress"]
    # The team view and the cache: a check-in shows up at once.
    await okr.call("member", "POST", f"/api/okr/key-results/{a['id']}/check-ins", json={"value": 10, "confidence": 9})
    d2 = (await okr.call("other", "GET", "/api/okr/dashboard", params={"cycle": "2027-Q1", "team_id": okr.ids["product"]["id"]})).json()
    product = next(t for t in d2["teams"] if t["id"] == okr.ids["product"]["id"])
    assert product["objectives"][0]["progress"] == pytest.approx(0.75, abs=1e-4)
    assert all(t["id"] in (okr.ids["product"]["id"], okr.ids["engineering"]["id"]) for t in d2["teams"])


async def test_export_csv_has_every_objective_and_kr(okr: Okr) -> None:
    await okr.objective("member", cycle="2027-Q1", title="=HYPERLINK(evil)")
    r = await okr.call("member", "GET", "/api/okr/export.csv", params={"cycle": "2027-Q1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    titles = {row["objective"] for row in rows}
    assert "'=HYPERLINK(evil)" in titles  # neutralised for spreadsheets
    assert {"kr_progress", "kr_health", "score"} <= set(rows[0])
