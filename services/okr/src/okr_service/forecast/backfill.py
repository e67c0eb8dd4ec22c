"""Back-filled check-ins from a spreadsheet (§9): a CSV of check-ins, all or nothing, each
row by the rules of a single back-filled check-in (`check_ins.service.check_backfill`)."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from boost_bus import Tx
from boost_platform.problems import Problem, invalid

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


async def import_check_ins(tx: Tx, actor: Actor, cal: Calendar, raw: bytes) -> dict[str, Any]:
    actor.require_admin()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid("the file is not UTF-8 text", "file") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not set(COLUMNS) <= {f.strip().lower() for f in reader.fieldnames}:
        raise invalid("the first line must name the columns: key_result_id, created_at, value (confidence, note)",
                      "file")
    rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]
    if len(rows) > MAX_ROWS:
        raise invalid(f"at most {MAX_ROWS:,} rows per import", "file")
    tz = ZoneInfo(cal.timezone)
    ids = {int(r["key_result_id"]) for r in rows if r.get("key_result_id", "").isdigit()}
    found = {kr.id: (kr, obj) for kr, obj in (await tx.session.execute(
        sa.select(KeyResult, Objective).join(Objective, Objective.id == KeyResult.objective_id)
        .where(KeyResult.id.in_(ids), KeyResult.deleted_at.is_(None), Objective.deleted_at.is_(None)))).all()} \
        if ids else {}
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, datetime, float, int | None, str]] = []
    for n, row in enumerate(rows, start=2):
        def bad(name: str, msg: str, n: int = n) -> None:
            errors.append({"row": n, "field": name, "msg": msg})
        kr_id = int(row["key_result_id"]) if row.get("key_result_id", "").isdigit() else None
        if kr_id is None or kr_id not in found:
            bad("key_result_id", "no key result with that id")
            continue
        kr, obj = found[kr_id]
        try:
            at = _when(row.get("created_at", ""), tz)
        except ValueError:
            bad("created_at", "a date (2027-01-05) or a date-time with its offset (2027-01-05T10:00:00+09:00)")
            continue
        try:
            value = float(row.get("value", ""))
            if not math.isfinite(value) or abs(value) > 1e15:
                raise ValueError
        except ValueError:
            bad("value", "a number")
            continue
        confidence: int | None = None
        if row.get("confidence"):
            if not row["confidence"].isdigit() or int(row["confidence"]) > 10:
                bad("confidence", "a whole number from 0 to 10")
                continue
            confidence = int(row["confidence"])
        if len(row.get("note", "")) > 2000:
            bad("note", "at most 2,000 characters")
            continue
        if obj.status == "closed":
            bad("key_result_id", "its objective is closed")
            continue
        try:
            actor.require_check_in(kr, obj)
            check_ins.check_backfill(actor, cal, obj, kr, at)
        except Problem as exc:
            bad("created_at", str(exc.errors[0]["msg"]) if exc.errors else (exc.detail or exc.title))
            continue
        parsed.append((kr_id, at, value, confidence, row.get("note", "")))
    if errors:
        raise Problem(422, f"{len(errors)} row(s) need fixing; nothing was imported.", title="Import refused",
                      errors=errors)
    for kr_id, at, value, confidence, note in sorted(parsed, key=lambda p: (p[0], p[1])):
        await check_ins.check_in(tx, actor, cal, kr_id, value=value, confidence=confidence, note=note,
                                  created_at=at.astimezone(UTC))
    return {"rows": len(parsed), "key_results": len({p[0] for p in parsed})}
