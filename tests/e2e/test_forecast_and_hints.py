"""End to end in Chromium, on the demo company (the clock is 2027-02-20, 2027-Q1 runs):
a key result's forecast drawn on its chart and its bar, and a drafting hint that appears
in one window while a teammate types a task-like key result title in another (§9)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import api, api_login

pytestmark = pytest.mark.e2e
EMMA = "emma.lee@boost.example"
JIWOO = "jiwoo.park@boost.example"


@pytest.fixture(scope="module")
def product(stack: Any) -> dict[str, Any]:
    cookies = api_login(stack.base_url, JIWOO)
    teams = {t["name"]: t for t in api(stack.base_url, "GET", "/api/okr/teams", cookies)}
    pid = teams["Product"]["id"]
    current = api(stack.base_url, "GET", f"/api/okr/objectives?cycle=2027-Q1&team_id={pid}", cookies)[0]
    draft = api(stack.base_url, "GET", f"/api/okr/objectives?cycle=2027-Q2&team_id={pid}", cookies)[0]
    return {"id": pid, "current": current, "draft": draft, "cookies": cookies, "base_url": stack.base_url}


def test_the_forecast_is_drawn_on_the_chart_and_marked_on_the_bar(new_page: Any, product: dict[str, Any]) -> None:
    kr = next(k for k in product["current"]["key_results"] if k["forecast"] and k["kind"] in ("number", "percent"))
    f = kr["forecast"]
    page = new_page(EMMA)
    page.goto(f"/objectives/{product['current']['id']}?kr={kr['id']}")  # the deep link opens its history
    marker = page.get_by_test_id(f"kr-forecast-{kr['id']}")
    expect(marker).to_have_attribute("data-progress", str(round(min(max(f["progress"], 0), 1) * 100)))
    chart = page.get_by_test_id(f"kr-chart-{kr['id']}")
    forecast_line = chart.locator(".chart__forecast path.recharts-curve")
    expect(forecast_line).to_have_attribute("stroke-dasharray", "6 4", timeout=10_000)
    expect(chart.locator(".chart__band path.recharts-area-area")).to_have_count(1)
    # The dashed line ends at the right edge (the end of the quarter), after the last check-in's dot.
    dots = chart.locator(".recharts-line-dots circle")
    last_dot = max((dots.nth(i).bounding_box() or {"x": 0})["x"] for i in range(dots.count()))
    line_box = forecast_line.bounding_box()
    assert line_box is not None and line_box["x"] + line_box["width"] > last_dot + 20
    expect(page.get_by_test_id(f"kr-forecast-caption-{kr['id']}")).to_contain_text("Forecast for Mar 31")
    # The target is on the chart (the value axis grows to it), above where a short forecast ends.
    target = chart.locator(".recharts-reference-line line")
    expect(target).to_have_count(1)
    target_box = target.bounding_box()
    assert target_box is not None
    if f["value"] < kr["target"]:
        assert target_box["y"] < line_box["y"] + line_box["height"] - 1
    page.screenshot(path="test-results/forecast-chart.png")


def test_a_hint_appears_while_a_teammate_types_a_task_like_title(new_page: Any, product: dict[str, Any]) -> None:
    oid = product["draft"]["id"]
    kr = product["draft"]["key_results"][-1]
    path = f"/cycles/2027-Q2/teams/{product['id']}/draft"
    emma, jiwoo = new_page(EMMA), new_page(JIWOO)
    emma.goto(path)
    jiwoo.goto(path)
    hints = jiwoo.get_by_test_id(f"objective-hints-{oid}")
    hints.wait_for(state="attached")
    task_like = hints.locator(f"[data-code=task_like][data-kr='{kr['id']}']")
    expect(task_like).to_have_count(0)
    title = emma.get_by_test_id(f"kr-{kr['id']}").get_by_label("Key result title")
    title.click()
    title.press("Control+A")
    title.press_sequentially("Launch the new onboarding flow", delay=40)
    # Jiwoo sees the hint appear beside the objective, without reloading, while Emma is still there.
    expect(task_like).to_have_count(1, timeout=10_000)
    expect(task_like).to_contain_text("할 일처럼 보여요")  # Jiwoo reads Korean
    jiwoo.screenshot(path="test-results/hint-live.png")
    saved = api(product["base_url"], "GET", f"/api/okr/objectives/{oid}/hints", product["cookies"])
    assert {"code": "task_like", "key_result_id": kr["id"]} in [
        {"code": h["code"], "key_result_id": h["key_result_id"]} for h in saved]
