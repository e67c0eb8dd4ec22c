"""The system clock, with BOOST_NOW for demos and tests.

With BOOST_NOW the clock starts at that instant and then runs on. The offset is kept
under BOOST_DATA_DIR so that a restarted service (and every other service) keeps the
same clock."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)

    def set(self, value: datetime) -> None:
        self._now = value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def make_clock(boost_now: str | None, data_dir: Path) -> Clock:
    if not boost_now:
        return SystemClock()
    start = _parse(boost_now)
    state_file = data_dir / "clock.json"
    real_start: datetime | None = None
    try:
        state = json.loads(state_file.read_text())
        if state.get("boost_now") == boost_now:
            real_start = _parse(state["real_start"])
    except (OSError, ValueError, KeyError):
        pass
    if real_start is None:
        real_start = datetime.now(UTC)
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = state_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"boost_now": boost_now, "real_start": real_start.isoformat()}))
        try:
            # First writer wins, so services starting together share one offset.
            os.link(tmp, state_file)
        except FileExistsError:
            try:
                state = json.loads(state_file.read_text())
                if state.get("boost_now") == boost_now:
                    real_start = _parse(state["real_start"])
                else:
                    os.replace(tmp, state_file)
            except (OSError, ValueError, KeyError):
                os.replace(tmp, state_file)
        finally:
            tmp.unlink(missing_ok=True)
    return OffsetClock(start - real_start)
