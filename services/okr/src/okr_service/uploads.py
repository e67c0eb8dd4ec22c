"""A CSV file an admin uploads (people and teams, back-filled check-ins): read one way and
refused one way. UTF-8 (a spreadsheet's byte-order mark allowed), the first line names the
columns, values are stripped; every bad row is reported at once and nothing is imported."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

from boost_platform.problems import Problem, invalid


def column(name: str | None, aliases: Mapping[str, str] | None = None) -> str:
    """A header's column: lower-case, stripped, and the canonical name of an alias."""
    key = (name or "").strip().lower()
    return aliases.get(key, key) if aliases else key


def read_rows(raw: bytes, *, required: set[str], header_refusal: str, max_rows: int,
              columns: Callable[[str | None], str] = column) -> list[dict[str, str]]:
    """The file's rows keyed by `columns(header)`, or a 4xx saying what is wrong with the file."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid("the file is not UTF-8 text", "file") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not required <= {columns(f) for f in reader.fieldnames}:
        raise invalid(header_refusal, "file")
    rows = [{columns(k): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    if len(rows) > max_rows:
        raise invalid(f"at most {max_rows:,} rows per import", "file")
    return rows


def refuse(errors: list[dict[str, Any]]) -> None:
    """Nothing is imported while any row is bad: all of them, with their line numbers (the
    header is line 1)."""
    if errors:
        raise Problem(422, f"{len(errors)} row(s) need fixing; nothing was imported.", title="Import refused",
                      errors=errors)
