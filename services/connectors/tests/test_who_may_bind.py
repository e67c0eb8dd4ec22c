"""Who may connect a key result to data (contract §9), as one rule: its owner, a lead of its
team, an admin — and never a guest, who reads Boost and changes nothing."""

from __future__ import annotations

import pytest
from connectors_service.directory import KeyResultRef, Person, may_bind

pytestmark = pytest.mark.unit

KR = KeyResultRef(id=7, owner_id=1, team_id=3, title="Weekly active teams", current=0)


def test_owner_lead_and_admin_may_bind_others_may_not() -> None:
    assert may_bind(Person(user_id=1), KR)
    assert may_bind(Person(user_id=2, teams={3: "lead"}), KR)
    assert may_bind(Person(user_id=9, role="admin"), KR)
    assert not may_bind(Person(user_id=2, teams={3: "member"}), KR)


def test_a_guest_may_not_bind_even_their_own_key_result_or_as_a_lead() -> None:
    assert not may_bind(Person(user_id=1, role="guest"), KR)
    assert not may_bind(Person(user_id=2, role="guest", teams={3: "lead"}), KR)
