"""The one interface every source kind implements: check a source's config, check a
binding's query, fetch one number. Adding a kind is one file in this package, listed in
`kinds/__init__.py`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from ..safehttp import Refused, SafeHttp


class FetchError(Exception):
    """A run that yields no number: unreachable, refused, not a number. The message names
    the source and never its secret (runs/service.py scrubs it once more)."""


@dataclass(frozen=True)
class SourceSpec:
    id: int
    name: str
    kind: str
    config: dict[str, Any]
    secret: str | None = field(default=None, repr=False)
    version: int = 1


class Kind(Protocol):
    name: ClassVar[str]
    needs_query: ClassVar[bool]

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The config as stored; ValueError names what is wrong."""
        ...

    def check_query(self, source: SourceSpec, query: str | None) -> str | None:
        """The query as stored; ValueError names what is wrong."""
        ...

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        ...


def as_number(value: Any, what: str) -> float:
    """A reading must be a finite number: not text, not a boolean, not null."""
    if isinstance(value, bool) or value is None:
        raise FetchError(f"{what} is not a number")
    if isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str) and what.startswith("Prometheus"):
        number = float(value)  # Prometheus sends sample values as strings, by design
    else:
        raise FetchError(f"{what} is {type(value).__name__}, not a number")
    if not math.isfinite(number):
        raise FetchError(f"{what} is not a finite number")
    return number


def require_url(config: dict[str, Any], key: str = "url", *, optional: bool = False) -> str | None:
    url = config.get(key)
    if url is None and optional:
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"config.{key} must be an http(s) URL")
    return url.rstrip("/")


def require_text(query: str | None, what: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"the query ({what}) is required")
    if len(query) > 10_000:
        raise ValueError("the query is over 10,000 characters")
    return query.strip()


__all__ = ["FetchError", "Kind", "Refused", "SafeHttp", "SourceSpec", "as_number", "require_text", "require_url"]
