"""`prometheus`: a PromQL instant query (`/api/v1/query`); the answer must be one sample
(a one-element vector or a scalar)."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import FetchError, SafeHttp, SourceSpec, as_number, require_text, require_url


class PrometheusKind:
    name: ClassVar[str] = "prometheus"
    needs_query: ClassVar[bool] = True

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"url": require_url(config)}

    def check_query(self, source: SourceSpec, query: str | None) -> str:
        return require_text(query, "PromQL")

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        headers = {"Authorization": f"Bearer {source.secret}"} if source.secret else None
        body = await http.get_json(f"{source.config['url']}/api/v1/query", params={"query": query or ""},
                                   headers=headers)
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            raise FetchError(f"Prometheus refused the query: {str(error)[:200]}" if error else
                             "Prometheus did not answer with a result")
        data = body.get("data") or {}
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            return as_number(result[1], "Prometheus's sample")
        if kind == "vector" and isinstance(result, list):
            if len(result) != 1:
                raise FetchError(f"the query returned {len(result)} series; it must return one (try sum(...))")
            return as_number(result[0].get("value", [None, None])[1], "Prometheus's sample")
        raise FetchError(f"the query returned a {kind}; it must return one sample")
