"""End to end in Chromium, on a stack of its own with the demo company (2027-Q1 runs): a
guest (org role `guest`) in Product sees Product's objective, its key results and its chat,
but none of the controls that write (check-in, give feedback, the chat composer), where a
member of Product sees them all; an admin makes the guest a member on the people page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import api, api_login, start_stack

pytestmark = pytest.mark.e2e
ADMIN = "admin@boost.example"
EMMA = "emma.lee@boost.example"  # a member of Product
GUEST = "gus.guest@partner.example"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, servers: dict[str, str]) -> Iterator[Any]:
    """This module's own stack (the `new_page` fixture uses it): the guest joins Product."""
    s = start_stack(tmp_path_factory, "guestui", servers=servers)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def world(stack: Any) -> dict[str, Any]:
    admin = api_login(stack.base_url, ADMIN)
    guest = api(stack.base_url, "POST", "/api/okr/users", admin, {"email": GUEST, "name": "Gus Guest"})
    product = next(t for t in api(stack.base_url, "GET", "/api/okr/teams", admin) if t["name"] == "Product")
    api(stack.base_url, "PUT", f"/api/okr/teams/{product['id']}/members/{guest['id']}", admin, {"role": "member"})
    api(stack.base_url, "PATCH", f"/api/okr/users/{guest['id']}", admin, {"role": "guest"})
    obj = api(stack.base_url, "GET", f"/api/okr/objectives?cycle=2027-Q1&team_id={product['id']}", admin)[0]
    return {"admin": admin, "guest": guest, "objective": obj}


def test_a_guest_reads_an_objective_without_any_control_that_writes(stack: Any, new_page: Any,
                                                                    world: dict[str, Any]) -> None:
    obj = world["objective"]
    kr = obj["key_results"][0]
    member = new_page(EMMA)
    member.goto(f"/objectives/{obj['id']}")
    expect(member.get_by_text(kr["title"]).first).to_be_visible()
    expect(member.get_by_test_id(f"kr-checkin-{kr['id']}")).to_have_count(1)  # what the guest must not see
    expect(member.get_by_test_id("chat-input")).to_be_visible()
    expect(member.get_by_role("button", name="Give feedback")).to_be_visible()

    guest = new_page(GUEST)
    guest.goto(f"/objectives/{obj['id']}")
    expect(guest.get_by_text(kr["title"]).first).to_be_visible()  # reads it all
    expect(guest.get_by_test_id(f"kr-progress-{kr['id']}")).to_be_visible()
    expect(guest.get_by_test_id(f"kr-checkin-{kr['id']}")).to_have_count(0)
    expect(guest.get_by_test_id("chat-input")).to_have_count(0)
    expect(guest.get_by_role("button", name="Give feedback")).to_have_count(0)


def test_an_admin_makes_a_guest_a_member_on_the_people_page(stack: Any, new_page: Any, world: dict[str, Any]) -> None:
    page = new_page(ADMIN)
    page.goto("/admin/people")
    role = page.get_by_role("combobox", name="Role of Gus Guest")
    expect(role).to_have_value("guest")
    role.select_option("member")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if api(stack.base_url, "GET", f"/api/okr/users/{world['guest']['id']}", world["admin"])["role"] == "member":
            break
        time.sleep(0.2)
    assert api(stack.base_url, "GET", f"/api/okr/users/{world['guest']['id']}", world["admin"])["role"] == "member"
    role.select_option("guest")
    expect(role).to_have_value("guest")
