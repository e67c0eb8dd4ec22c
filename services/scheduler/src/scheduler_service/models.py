"""scheduler's tables."""

from __future__ import annotations

from boost_bus import inbox_table, outbox_table
from boost_platform.db import Base

metadata = Base.metadata
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
