"""Back-filled check-ins from a spreadsheet (§9): a CSV of check-ins, all or nothing, each
row by the rules of a single back-filled check-in (`check_ins.service.check_backfill`)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from boost_bus import Tx
from boost_platform.problems import Problem

from .. import uploads
from ..access import Actor
from ..calendar import Calendar
from ..check_ins import service as check_ins
from ..models import KeyResult, Objective

MAX_ROWS = 5000
COLUMNS = ("key_result_id", "created_at", "value")  # required; confidence and note are optional
NOON = time(12, 0)


def _when(text: str, tz: ZoneInfo) -> datetime:
    """An ISO date-time with its offset, or a date (noon that day in the org's timezone)."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), NOON, tzinfo=tz)
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("needs an offset")
    return at


class _BadRow(Exception):
    def __init__(self, field: str, msg: str) -> None:
        super().__init__(msg)
        self.field, self.msg = field, msg


_Row = tuple[int, datetime, float, int | None, str]  # key result, when, value, confidence, note


async def import_check_ins(tx: Tx, actor: Actor, cal: Calendar, raw: bytes) -> dict[str, Any]:
    """All or nothing: every bad row is reported; else the check-ins are made, oldest first
    per key result."""
    actor.require_admin()
    rows = _read_rows(raw)
    found = await _key_results(tx, rows)
    tz = ZoneInfo(cal.timezone)
    errors: list[dict[str, Any]] = []
    parsed: list[_Row] = []
    for n, row in enumerate(rows, start=2):
        try:
            parsed.append(_backfill_row(row, found, tz, actor, cal))
        except _BadRow as bad:
            errors.append({"row": n, "field": bad.field, "msg": bad.msg})
    uploads.refuse(errors)
    for kr_id, at, value, confidence, note in sorted(parsed, key=lambda p: (p[0], p[1])):
        await check_ins.check_in(tx, actor, cal, kr_id, value=value, confidence=confidence, note=note,
                                  created_at=at.astimezone(UTC))
    return {"rows": len(parsed), "key_results": len({p[0] for p in parsed})}


def _read_rows(raw: bytes) -> list[dict[str, str]]:
    return uploads.read_rows(raw, required=set(COLUMNS), max_rows=MAX_ROWS, header_refusal=(
        "the first line must name the columns: key_result_id, created_at, value (confidence, note)"))


def _kr_id(row: dict[str, str]) -> int | None:
    return int(row["key_result_id"]) if row.get("key_result_id", "").isdigit() else None


async def _key_results(tx: Tx, rows: list[dict[str, str]]) -> dict[int, tuple[KeyResult, Objective]]:
    """The key results the rows name that exist (not deleted), with their objectives."""
    ids = {kr_id for kr_id in map(_kr_id, rows) if kr_id is not None}
    if not ids:
        return {}
    return {kr.id: (kr, obj) for kr, obj in (await tx.session.execute(
        sa.select(KeyResult, Objective).join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.id.in_(ids), KeyResult.deleted_at.is_(None), Objective.deleted_at.is_(None)))).all()}


def _backfill_row(row: dict[str, str], found: dict[int, tuple[KeyResult, Objective]], tz: ZoneInfo,
                  actor: Actor, cal: Calendar) -> _Row:
    """One row as a check-in to make, or its first problem (`_BadRow`)."""
    kr_id = _kr_id(row)
    if kr_id is None or kr_id not in found:
        raise _BadRow("key_result_id", "no key result with that id")
    kr, obj = found[kr_id]
    try:
        at = _when(row.get("created_at", ""), tz)
    except ValueError as exc:
        raise _BadRow("created_at", "a date (2027-01-05) or a date-time with its offset (2027-01-05T10:00:00+09:00)") \
            from exc
    value = _value(row.get("value", ""))
    confidence = _confidence(row.get("confidence", ""))
    if len(row.get("note", "")) > 2000:
        raise _BadRow("note", "at most 2,000 characters")
    if obj.status == "closed":
        raise _BadRow("key_result_id", "its objective is closed")
    try:
        actor.require_check_in(kr, obj)
        check_ins.check_backfill(actor, cal, obj, kr, at)
    except Problem as exc:
        raise _BadRow("created_at", str(exc.errors[0]["msg"]) if exc.errors else (exc.detail or exc.title)) from exc
    return kr_id, at, value, confidence, row.get("note", "")


def _value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > 1e15:
        raise _BadRow("value", "a number")
    return value


def _confidence(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > 10:
        raise _BadRow("confidence", "a whole number from 0 to 10")
    return int(text)
