"""`jira`: the number of issues a JQL query matches (`/rest/api/2/search`, maxResults=0:
only `total` comes back). With config.email the secret is an API token (basic auth, Jira
Cloud); without, a personal access token (bearer, Jira Data Center)."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import FetchError, SafeHttp, SourceSpec, as_number, require_text, require_url


class JiraKind:
    name: ClassVar[str] = "jira"
    needs_query: ClassVar[bool] = True

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"url": require_url(config)}
        if config.get("email"):
            out["email"] = str(config["email"])
        return out

    def check_query(self, source: SourceSpec, query: str | None) -> str:
        return require_text(query, "JQL such as project = OPS AND status = Done")

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        headers = {"Accept": "application/json"}
        auth = None
        if source.secret and source.config.get("email"):
            auth = (str(source.config["email"]), source.secret)
        elif source.secret:
            headers["Authorization"] = f"Bearer {source.secret}"
        body = await http.get_json(f"{source.config['url']}/rest/api/2/search",
                                   params={"jql": query or "", "maxResults": "0", "fields": "none"},
                                   headers=headers, auth=auth)
        if not isinstance(body, dict) or "total" not in body:
            raise FetchError("Jira's answer has no total")
        return as_number(body["total"], "Jira's total")
