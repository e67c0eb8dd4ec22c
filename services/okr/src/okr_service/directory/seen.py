"""The rule for people, teams and org settings written by several admins at once: nobody
overwrites a value they never saw.

These rows keep one `version` (not one per field, like objectives), so a write carries the
version it loaded and, in `base`, the value it loaded for each field it changes. When the row
moved on since, a field whose value is still the one the writer saw (or already the one they
want) is written; any other is a conflict: 409 with the current row, so the page can show
both values. A write without `version` (scripts, the CSV import, Slack's directory sync,
which each say exactly what they set) is taken as it is."""

from __future__ import annotations

import json
from typing import Any

from boost_platform.grammar import possessive
from boost_platform.problems import Problem


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def check_seen(*, what: str, now_version: int, seen_version: int | None, current: dict[str, Any],
               changes: dict[str, Any], base: dict[str, Any] | None, current_json: dict[str, Any]) -> None:
    if seen_version is None or seen_version >= now_version:
        return
    conflicts = []
    for field, value in changes.items():
        now = current.get(field)
        if _same(now, value):
            continue
        if base is not None and field in base and _same(base[field], now):
            continue
        conflicts.append(field)
    if conflicts:
        raise Problem(409, f"Someone changed {possessive(what)} {', '.join(sorted(conflicts))} after you loaded it.",
                      title="Edit conflict", current=current_json)
