"""The consumer inbox: each consumer handles each event id once.

The claim is an INSERT into the inbox in the same transaction as the handler's own
writes; a redelivered event finds its row and changes nothing."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from boost_contracts.envelope import Envelope
from boost_platform.db import UTCDateTime, insert_ignore, rowcount

from .outbox import BatchTx, Outbox, Tx


def inbox_table(metadata: sa.MetaData, event_id_length: int = 40) -> sa.Table:
    """`event_id_length`: 40 fits ULIDs and UUIDs; a consumer of longer ids (the scheduler's
    occurrence ids) asks for more."""
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(event_id_length), primary_key=True),
        sa.Column("handled_at", UTCDateTime(), nullable=False),
    )


async def claim(tx: Tx, table: sa.Table, consumer: str, event_id: str) -> bool:
    """True when this consumer has not handled this event before (and now has)."""
    dialect = tx.session.bind.dialect.name if tx.session.bind else "mysql"
    result = await tx.session.execute(
        insert_ignore(table, dialect, consumer=consumer, event_id=event_id, handled_at=datetime.now(UTC))
    )
    return bool(rowcount(result))


def defer_claim(tx: BatchTx, table: sa.Table, consumer: str, event_id: str) -> None:
    """The claim as one more write of a batch that COMMITs (`Outbox.batch_transaction`), for
    a handler whose own writes change nothing when repeated (INSERT IGNOREs on their keys):
    it needs no answer, so claim and writes cost one round trip."""
    tx.defer(_claim_statement(table, tx.dialect), {"consumer": consumer, "event_id": event_id,
                                                   "handled_at": datetime.now(UTC)})


@functools.cache
def _claim_statement(table: sa.Table, dialect: str) -> sa.Insert:
    return insert_ignore(table, dialect)


def handle_once(
    outbox: Outbox,
    table: sa.Table,
    consumer: str,
    apply: Callable[[Tx, Envelope], Awaitable[None]],
) -> Callable[[Envelope], Awaitable[None]]:
    """Wrap `apply` so that it runs at most once per event id, committed with the claim."""

    async def handler(envelope: Envelope) -> None:
        async with outbox.transaction() as tx:
            if not await claim(tx, table, consumer, envelope.id):
                return
            await apply(tx, envelope)

    return handler
