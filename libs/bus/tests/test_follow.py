"""`Bus.follow` on a private nats-server: a live tail of a stream that misses nothing the
stream holds. Realtime relays okr's events to sockets with it; a core subscription would
lose, and never know, what passed while a route between servers was down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from boost_bus import Bus
from nats.aio.msg import Msg

from tests.support.nats import PrivateNats
from tests.support.waiting import until

pytestmark = pytest.mark.chaos


@pytest.fixture
async def bus(make_settings: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Bus]:
    server = PrivateNats(tmp_path / "nats")
    server.start()
    bus = Bus(server.url, make_settings("follow").names, "follower")
    bus.on_connect(lambda b: b.ensure_streams())
    await bus.start(wait=10)
    yield bus
    await bus.close()
    server.kill()


async def publish(bus: Bus, first: int, last: int) -> None:
    for n in range(first, last + 1):
        await bus.publish_raw(bus.names.subject(f"okr.events.note.created.{n}"), json.dumps({"n": n}).encode(), f"note-{n}")


async def lose_the_consumer(bus: Bus) -> None:
    """What a stalled or restarted server does to a tail: its consumer is gone, silently."""
    stream = bus.names.stream("okr")
    for name in await bus.js._jsm.consumers_info(stream):
        await bus.js.delete_consumer(stream, name.name)


async def test_a_lost_consumer_is_made_again_from_the_next_message_and_nothing_is_missed_or_doubled(bus: Bus) -> None:
    await publish(bus, 1, 3)  # history: before the tail starts, not shown
    seen: list[int] = []

    async def note(msg: Msg) -> None:
        seen.append(json.loads(msg.data)["n"])

    await bus.follow(bus.names.stream("okr"), bus.names.events_of("okr"), note, heartbeat=0.5)
    # Lost before its first message: it must not start again from the stream's beginning.
    await lose_the_consumer(bus)
    await publish(bus, 4, 6)
    await until(lambda: len(seen) >= 3, 10, "the tail to be made again and deliver 4-6")
    await lose_the_consumer(bus)
    await publish(bus, 7, 9)
    await until(lambda: len(seen) >= 6, 10, "the tail to be made again and deliver 7-9")
    await publish(bus, 10, 10)
    await until(lambda: len(seen) >= 7, 5, "the live message")
    assert seen == list(range(4, 11))
