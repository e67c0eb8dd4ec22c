"""How an edit is forwarded (a fake bus): the acting person and op_id go to okr, okr's
answer comes back untouched, and a bus that doesn't answer becomes `unavailable`."""

from __future__ import annotations

import time
from typing import Any

from boost_bus import BusReplyError
from boost_platform.auth import TokenVerifier
from boost_platform.clock import SystemClock
from boost_platform.settings import BoostSettings
from realtime_service.bootstrap import Container
from realtime_service.hub import Conn, Hub
from realtime_service.settings import RealtimeSettings


class FakeBus:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.reconnect_hooks: list[Any] = []

    def on_reconnect(self, hook: Any) -> None:
        self.reconnect_hooks.append(hook)

    async def request(self, subject: str, body: dict[str, Any], timeout: float = 5) -> Any:
        self.sent.append((subject, body))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def _hub(answer: Any) -> tuple[Hub, FakeBus]:
    settings = BoostSettings(_env_file=None, namespace="ns1")  # type: ignore[call-arg]
    options = RealtimeSettings(_env_file=None)  # type: ignore[call-arg]
    hub = Hub(settings, options)
    bus = FakeBus(answer)
    hub._container = Container(settings=settings, options=options, bus=bus, verifier=TokenVerifier(),  # type: ignore[arg-type]
                               clock=SystemClock())
    hub.conns["sid1"] = Conn(user_id=7, name="Min", jti="j1", exp=int(time.time()) + 3600)
    return hub, bus


EDIT = {"entity": "key_result", "id": 4, "changes": {"current": 5}, "version": 2, "op_id": "op-1"}


async def test_okrs_answer_is_the_ack() -> None:
    hub, bus = _hub({"ok": True, "version": 3})
    assert await hub.on_edit("sid1", EDIT) == {"ok": True, "version": 3}
    assert bus.sent == [("ns1.okr.cmd.edit", {"actor_id": 7, **EDIT})]

    conflict = {"ok": False, "error": "Someone changed current", "status": 409, "current": {"current": 9}}
    hub, _ = _hub(conflict)
    assert await hub.on_edit("sid1", EDIT) == conflict


async def test_no_answer_is_unavailable_so_the_client_retries() -> None:
    for failure in (TimeoutError("no answer"), ConnectionError("not connected")):
        hub, _ = _hub(failure)
        assert await hub.on_edit("sid1", EDIT) == {"ok": False, "error": "unavailable", "status": 503}


async def test_okrs_bus_errors_keep_the_ack_shape() -> None:
    hub, _ = _hub(BusReplyError({"status": 401, "title": "Unauthorized", "detail": "Your account is not active"}))
    assert await hub.on_edit("sid1", EDIT) == {"ok": False, "error": "Your account is not active", "status": 401}


async def test_an_expired_or_unknown_socket_cannot_edit() -> None:
    hub, bus = _hub({"ok": True, "version": 3})
    assert (await hub.on_edit("nobody", EDIT))["status"] == 401
    hub.conns["sid1"].exp = int(time.time()) - 1
    ack = await hub.on_edit("sid1", EDIT)
    assert ack["ok"] is False and ack["status"] == 401 and bus.sent == []
