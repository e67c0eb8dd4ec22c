"""`http_json`: GET a URL and follow a dotted/indexed path (`data.count`, `items[0].n`)
into the JSON it answers. The secret, if any, is sent as a bearer token."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .base import FetchError, SafeHttp, SourceSpec, as_number, require_text, require_url

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PATH = re.compile(r"^(?:[^.\[\]]+|\[\d+\])(?:\.[^.\[\]]+|\[\d+\])*$")


def parse_path(path: str) -> list[str | int]:
    if not _PATH.match(path):
        raise ValueError("the path is dotted keys and [indexes], such as data.count or items[0].n")
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def walk(document: Any, path: str) -> Any:
    node = document
    for step in parse_path(path):
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise FetchError(f"the answer has no [{step}] on the path {path}")
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                raise FetchError(f"the answer has no '{step}' on the path {path}")
            node = node[step]
    return node


class HttpJsonKind:
    name: ClassVar[str] = "http_json"
    needs_query: ClassVar[bool] = True

    def check_config(self, config: dict[str, Any]) -> dict[str, Any]:
        headers = config.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise ValueError("config.headers is an object of header names to text")
        if any(k.lower() == "authorization" for k in headers):
            raise ValueError("put the token in the secret (sent as a bearer token), not in config.headers")
        out: dict[str, Any] = {"url": require_url(config), "headers": headers}
        if config.get("path"):
            parse_path(str(config["path"]))
            out["path"] = str(config["path"])
        return out

    def check_query(self, source: SourceSpec, query: str | None) -> str | None:
        if not query and source.config.get("path"):
            return None
        path = require_text(query, "a path into the JSON, such as data.count")
        parse_path(path)
        return path

    async def fetch(self, source: SourceSpec, query: str | None, http: SafeHttp) -> float:
        headers = dict(source.config.get("headers") or {})
        if source.secret:
            headers["Authorization"] = f"Bearer {source.secret}"
        path = query or str(source.config.get("path") or "")
        body = await http.get_json(source.config["url"], headers=headers)
        return as_number(walk(body, path), f"the value at {path}")
