"""`webhook`: nothing to fetch; the org's own systems push values to the binding's URL
(`POST /api/connectors/hooks/{token}`, bindings/hooks.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import FetchError, SafeHttp, SourceSpec


class WebhookKind:
    name: ClassVar[str] = "webhook"
    needs_query: ClassVar[bool] = False

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        if config:
            raise ValueError("a webhook source has no config")
        return {}

    def check_query(self, source: SourceSpec, query: str | None) -> None:
        return None

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        raise FetchError("a webhook binding is not fetched: values arrive when they are pushed to its URL")
