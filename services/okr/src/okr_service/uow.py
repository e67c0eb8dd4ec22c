"""A unit of work: the transaction (with its outbox), the acting person and the calendar,
opened the same way for every write — by a REST view or a bus handler alike — so that
each command function only says what it does (`async with work(c, actor_id) as w`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .access import Actor, actor_from_bus
from .calendar import Calendar
from .org.service import calendar

if TYPE_CHECKING:
    from boost_bus import Tx

    from .bootstrap import Container


@dataclass(frozen=True)
class Work:
    tx: Tx
    actor: Actor
    cal: Calendar


@asynccontextmanager
async def work(c: Container, actor_id: int | str) -> AsyncIterator[Work]:
    """A transaction that commits with its events when the block ends (rolls back on an
    exception); `actor_id` is a person's id or `service:<name>` (bus commands)."""
    async with c.runtime.outbox.transaction() as tx:
        actor = await actor_from_bus(tx.session, actor_id)
        yield Work(tx=tx, actor=actor, cal=await calendar(tx.session, c.runtime.clock))
