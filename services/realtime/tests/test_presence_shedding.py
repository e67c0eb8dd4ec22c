"""A saturated replica sheds presence (fake bus, the loop's lag set by the test): changes
are coalesced into one broadcast by the sweep, at most ttl/4 late; refreshes that change
nothing are relayed to the other replicas only every ttl/2; edits are untouched."""

from __future__ import annotations

import time
from typing import Any

import pytest
from boost_platform.auth import TokenVerifier
from boost_platform.clock import SystemClock
from boost_platform.settings import BoostSettings
from realtime_service import hub as hub_module
from realtime_service.bootstrap import Container
from realtime_service.hub import Conn, Hub
from realtime_service.settings import RealtimeSettings

pytestmark = pytest.mark.unit
ROOM = "objective:1"


class FakeBus:
    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.edits: list[dict[str, Any]] = []

    async def publish_core(self, subject: str, payload: bytes) -> None:
        self.published.append(payload)

    async def request(self, subject: str, body: dict[str, Any], timeout: float = 5) -> Any:
        self.edits.append(body)
        return {"ok": True, "version": 2}


@pytest.fixture
def lag(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [0.0]
    monkeypatch.setattr(hub_module, "loop_lag", lambda: now[0])
    return now


def _hub() -> tuple[Hub, FakeBus, list[str]]:
    settings = BoostSettings(_env_file=None, namespace="ns1")  # type: ignore[call-arg]
    options = RealtimeSettings(_env_file=None, presence_ttl=8, shed_presence_lag=0.05)  # type: ignore[call-arg]
    hub = Hub(settings, options)
    bus = FakeBus()
    hub._container = Container(settings=settings, options=options, bus=bus, verifier=TokenVerifier(),  # type: ignore[arg-type]
                               clock=SystemClock())
    for sid, user in (("a", 7), ("b", 8)):
        hub.conns[sid] = Conn(user_id=user, name=f"P{user}", jti=f"j{user}", exp=int(time.time()) + 3600)
    shown: list[str] = []

    async def emit_presence(room: str) -> None:
        shown.append(room)

    hub._emit_presence = emit_presence  # type: ignore[method-assign]
    return hub, bus, shown


async def test_changes_show_at_once_on_a_loop_on_time(lag: list[float]) -> None:
    hub, bus, shown = _hub()
    for field in ("objective:1:title", "objective:1:description", None):
        assert await hub.on_presence("a", {"room": ROOM, "field": field}) == {"ok": True}
    assert shown == [ROOM] * 3
    assert len(bus.published) == 3


async def test_a_saturated_loop_coalesces_changes_into_one_broadcast(lag: list[float]) -> None:
    hub, bus, shown = _hub()
    lag[0] = 0.2
    for i in range(20):
        ack = await hub.on_presence("a" if i % 2 else "b", {"room": ROOM, "field": f"key_result:{i + 1}:current"})
        assert ack == {"ok": True}
    assert shown == []  # nothing broadcast while saturated
    assert len(bus.published) == 20  # changes still reach the other replicas
    await hub._show_due_presence()
    assert shown == []  # still saturated and not yet ttl/4 late
    hub._presence_due[ROOM] -= 2.5  # ttl/4 = 2 s have passed
    await hub._show_due_presence()
    assert shown == [ROOM]  # one broadcast for the twenty changes
    await hub.on_presence("a", {"room": ROOM, "field": None})
    lag[0] = 0.0
    await hub._show_due_presence()
    assert shown == [ROOM, ROOM]  # the loop on time again: what was put off goes out


async def test_a_saturated_loop_relays_unchanged_refreshes_only_every_half_ttl(lag: list[float]) -> None:
    hub, bus, _ = _hub()
    await hub.on_presence("a", {"room": ROOM, "field": None})
    lag[0] = 0.2
    for _ in range(5):
        await hub.on_presence("a", {"room": ROOM, "field": None})
    assert len(bus.published) == 1  # the first; the refreshes stayed home
    hub.conns["a"].relayed[ROOM] -= 4.1  # ttl/2 later: relayed, so that other replicas keep us
    await hub.on_presence("a", {"room": ROOM, "field": None})
    assert len(bus.published) == 2


async def test_edits_go_through_on_a_saturated_loop(lag: list[float]) -> None:
    hub, bus, _ = _hub()
    lag[0] = 5.0
    edit = {"entity": "objective", "id": 1, "changes": {"title": "T"}, "version": 1, "op_id": "op-1"}
    assert await hub.on_edit("a", edit) == {"ok": True, "version": 2}
    assert len(bus.edits) == 1
