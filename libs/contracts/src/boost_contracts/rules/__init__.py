"""The numbers behind Boost's derived figures and its text merge, read from `rules.json`,
the one file both okr and the web app (`gateway/web/src/lib/rules.ts`) take them from.
`cases.json` beside it holds test vectors that both ends' tests check their code against."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Rules:
    boolean_done_from: float
    on_track_from: int
    at_risk_from: int
    health_worst_first: tuple[str, ...]
    behind_margin: float
    behind_kinds: tuple[str, ...]
    stale_days: int
    merge_match_threshold: float
    merge_patch_delete_threshold: float
    merge_diff_timeout_seconds: float
    whole_numbers_from_range: float
    tenths_from_range: float
    max_decimals: int
    # Seconds of writes a dashboard answer may miss (the default of okr's setting); the web
    # app refetches a dashboard a little more than this after the last event it saw.
    dashboard_max_lag_seconds: float


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def load() -> Rules:
    raw = _read("rules.json")
    return Rules(
        boolean_done_from=float(raw["progress"]["boolean_done_from"]),
        on_track_from=int(raw["health"]["on_track_from"]),
        at_risk_from=int(raw["health"]["at_risk_from"]),
        health_worst_first=tuple(raw["health"]["worst_first"]),
        behind_margin=float(raw["flags"]["behind_margin"]),
        behind_kinds=tuple(raw["flags"]["behind_kinds"]),
        stale_days=int(raw["flags"]["stale_days"]),
        merge_match_threshold=float(raw["merge"]["match_threshold"]),
        merge_patch_delete_threshold=float(raw["merge"]["patch_delete_threshold"]),
        merge_diff_timeout_seconds=float(raw["merge"]["diff_timeout_seconds"]),
        whole_numbers_from_range=float(raw["display"]["whole_numbers_from_range"]),
        tenths_from_range=float(raw["display"]["tenths_from_range"]),
        max_decimals=int(raw["display"]["max_decimals"]),
        dashboard_max_lag_seconds=float(raw["dashboard"]["max_lag_seconds"]),
    )


def decimals_for(kind: str, start: float, target: float) -> int:
    """How many decimals a key result's values are written with, by its scale: none for
    yes/no and milestones or a range of 20 and more, at least one from 2, two below (more if
    its start or target has them). The web app's `decimalsFor` is the same rule."""
    if kind in ("boolean", "milestone"):
        return 0
    span = abs(target - start)
    given = max(_decimals_of(start), _decimals_of(target))
    if span >= RULES.whole_numbers_from_range:
        return 0
    if span >= RULES.tenths_from_range:
        return max(given, 1)
    return max(given, 2)


def _decimals_of(n: float) -> int:
    text = repr(float(n))
    if "e" in text or float(n).is_integer():
        return 0
    return min(len(text.split(".")[1]), RULES.max_decimals)


def cases() -> dict[str, Any]:
    """The shared test vectors (tests only)."""
    return dict(_read("cases.json"))


RULES = load()
