"""One smoke test on `make run`'s own defaults (SQLite files, a bundled NATS): the other
full-stack suites run on MariaDB, the production database."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import api, api_login

pytestmark = pytest.mark.e2e


def test_the_demo_company_works_on_sqlite_and_a_bundled_nats(sqlite_stack: Any, browser: Any) -> None:
    assert sqlite_stack.env.get("BOOST_DATABASE_URL") is None and sqlite_stack.env.get("BOOST_NATS_URL") is None
    context = browser.new_context(base_url=sqlite_stack.base_url, locale="en-US")
    try:
        cookies = api_login(sqlite_stack.base_url, "emma.lee@boost.example")
        context.add_cookies([{"name": k, "value": v, "url": sqlite_stack.base_url} for k, v in cookies.items()])
        page = context.new_page()
        page.goto("/")
        expect(page.locator("[data-testid^=objective-]").first).to_be_visible(timeout=15_000)
        # feedback's demo waited for okr's events over the bundled NATS, then wrote the Hub
        page.goto("/feedback")
        expect(page.get_by_role("tabpanel")).to_contain_text("Thank you, Emma!")
        # a chat message (written in batches, without an ORM session) naming a teammate, on SQLite too
        base = sqlite_stack.base_url
        objective = api(base, "GET", "/api/okr/objectives?cycle=current", cookies)[0]
        teammate = next(u for u in api(base, "GET", "/api/okr/users", cookies) if u["email"] != "emma.lee@boost.example")
        sent = api(base, "POST", f"/api/feedback/threads/objective:{objective['id']}/messages", cookies,
                   {"body": f"Shipped it, <@{teammate['id']}>"})
        assert sent["mentions"] == [teammate["id"]]
        page.goto(f"/objectives/{objective['id']}")
        expect(page.get_by_text("Shipped it,")).to_be_visible(timeout=10_000)
        # the dashboard, rendered and then served from its cache (who is asking read through a
        # session here: SQLite takes no batches)
        first, again = (api(base, "GET", "/api/okr/dashboard?cycle=current", cookies) for _ in range(2))
        assert first["counts"]["objectives"] > 0 and again == first
    finally:
        context.close()
