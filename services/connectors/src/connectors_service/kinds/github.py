"""`github`: the search API's `total_count` for a query such as
`repo:acme/app is:pr is:merged merged:>=2027-01-01` (GitHub Enterprise by config.url)."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import FetchError, SafeHttp, SourceSpec, as_number, require_text, require_url

API = "https://api.github.com"


class GithubKind:
    name: ClassVar[str] = "github"
    needs_query: ClassVar[bool] = True

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        url = require_url(config, optional=True)
        return {"url": url} if url else {}

    def check_query(self, source: SourceSpec, query: str | None) -> str:
        return require_text(query, "a GitHub search such as repo:acme/app is:pr is:merged")

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        base = source.config.get("url") or API
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if source.secret:
            headers["Authorization"] = f"Bearer {source.secret}"
        # Pull requests and issues share /search/issues; per_page=1 keeps the answer small.
        body = await http.get_json(f"{base}/search/issues", params={"q": query or "", "per_page": "1"},
                                   headers=headers)
        if not isinstance(body, dict) or "total_count" not in body:
            raise FetchError("GitHub's answer has no total_count")
        return as_number(body["total_count"], "GitHub's total_count")
