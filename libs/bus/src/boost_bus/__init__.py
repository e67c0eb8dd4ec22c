"""The bus: a small nats-py wrapper (connect, publish, request, serve, consume),
the transactional outbox with its relay, and the consumer inbox."""

from .client import Bus, BusReplyError, traced
from .inbox import inbox_table
from .outbox import BatchTx, Outbox, Tx, outbox_table

__all__ = ["BatchTx", "Bus", "BusReplyError", "Outbox", "Tx", "inbox_table", "outbox_table", "traced"]
