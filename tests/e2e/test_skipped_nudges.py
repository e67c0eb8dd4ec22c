"""End to end in Chromium, on the demo company (record-only: no Slack token): an admin runs the
weekly check-in now; people whose key results are all up to date are not nudged, and the admin
sees why — on the Slack messages page (filtered to skipped, each with its reason) and in the
bell's "Not nudged" list; the weekly cap is an org setting (§9 "Fewer, smarter nudges")."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import api, api_login

pytestmark = pytest.mark.e2e
ADMIN = "admin@boost.example"


def poll(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_the_admin_sees_who_was_not_nudged_and_why(new_page: Any, stack: Any) -> None:
    cookies = api_login(stack.base_url, ADMIN)
    api(stack.base_url, "POST", "/api/scheduler/reminders/weekly_check_in/run", cookies)

    def skipped() -> list[dict[str, Any]]:
        return [d for d in api(stack.base_url, "GET", "/api/notifier/deliveries?kind=weekly_check_in&limit=500", cookies)
                if d["status"] == "skipped"]

    rows = poll(skipped, 20, "skipped weekly check-ins")
    assert {d["reason"] for d in rows} == {"up_to_date"}
    # In each person's language.
    assert {d["text"] for d in rows} <= {"Not sent: every key result is up to date.", "보내지 않음: 모든 핵심 결과가 최신 상태입니다."}

    page = new_page(ADMIN)
    page.goto("/slack")
    page.get_by_label("Status").select_option("skipped")
    first = rows[0]
    reason = page.get_by_test_id(f"delivery-reason-{first['id']}")
    expect(reason).to_have_text("Up to date")
    expect(page.locator(".chip--delivery-skipped").first).to_have_text("Skipped")

    page.get_by_role("button", name="Notifications").click()
    not_nudged = page.get_by_test_id("bell-skipped")
    expect(not_nudged).to_contain_text("Not nudged")
    expect(not_nudged.locator("[data-reason=up_to_date]").first).to_contain_text("Up to date")

    page.goto("/admin/settings")
    cap = page.get_by_test_id("org-max-nudges")
    expect(cap).to_have_value("3")
    cap.fill("4")
    page.get_by_role("button", name="Save").click()
    poll(lambda: api(stack.base_url, "GET", "/api/okr/org", cookies)["max_nudges_per_week"] == 4, 10, "the cap saved")
    api(stack.base_url, "PATCH", "/api/okr/org", cookies, {"max_nudges_per_week": 3})
