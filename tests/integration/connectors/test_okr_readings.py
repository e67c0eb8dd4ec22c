"""okr takes data readings (`okr.cmd.check_in` with a `source`) only from service:connectors
and only for the binding a key result is bound to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boost_bus.client import BusReplyError

from .conftest import Stack


async def send(stack: Stack, actor: Any, kr_id: int, binding_id: int, value: float = 5,
               fetched_at: datetime | None = None) -> Any:
    bus = stack.container.runtime.bus
    return await bus.request(bus.names.cmd("okr", "check_in"), {
        "actor_id": actor, "key_result_id": kr_id, "value": value,
        "source": {"kind": "webhook", "binding_id": binding_id,
                   "fetched_at": (fetched_at or datetime.now(UTC)).isoformat()}})


async def test_only_connectors_and_only_for_the_bound_binding(stack: Stack) -> None:
    src = await stack.call("admin", "POST", "/api/connectors/sources", json={"name": "Hook", "kind": "webhook"})
    kr = await stack.new_kr(owner="member")
    binding = (await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                                json={"source_id": src.json()["id"]})).json()
    await stack.source_bound(kr["id"])
    for actor in ("service:notifier", stack.ids["admin"]["id"], stack.ids["member"]["id"]):
        with pytest.raises(BusReplyError) as refused:
            await send(stack, actor, kr["id"], binding["id"])
        assert refused.value.error["status"] == 403
    with pytest.raises(BusReplyError) as unbound:
        await send(stack, "service:connectors", kr["id"], binding["id"] + 1000)
    assert unbound.value.error["status"] == 409
    other = await stack.new_kr(owner="member")
    with pytest.raises(BusReplyError):
        await send(stack, "service:connectors", other["id"], binding["id"])
    assert await stack.check_ins(kr["id"]) == [] and await stack.check_ins(other["id"]) == []
    ok = await send(stack, "service:connectors", kr["id"], binding["id"], 7)
    assert ok["checked_in"] is True and ok["source"]["binding_id"] == binding["id"]
    # An older reading arriving late (two overlapping runs) never overwrites the newer one.
    late = await send(stack, "service:connectors", kr["id"], binding["id"], 3,
                      fetched_at=datetime.now(UTC) - timedelta(minutes=1))
    assert late["checked_in"] is False and (await stack.kr(kr["id"]))["current"] == 7
    # connectors may not check in like a person either.
    bus = stack.container.runtime.bus
    with pytest.raises(BusReplyError) as as_person:
        await bus.request(bus.names.cmd("okr", "check_in"),
                          {"actor_id": "service:connectors", "key_result_id": kr["id"], "value": 1})
    assert as_person.value.error["status"] == 403
