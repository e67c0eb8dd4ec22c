"""Local HTTP servers for the HTTP source kinds: GitHub's and Jira's documented answer
shapes, a JSON API, a Prometheus scrape target, and the misbehaviours the connectors must
refuse (redirects elsewhere, bodies over 1 MiB). Real sockets, a real HTTP server."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghp_fakeTokenThatMustNeverLeak0123456789"


class State:
    def __init__(self) -> None:
        self.port = 0
        self.seen: list[dict[str, Any]] = []
        self.github_total = 17
        self.jira_total = 23
        self.signups = 12.0


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.seen.append({"path": url.path, "query": q, "auth": self.headers.get("Authorization")})
            if url.path == "/github/search/issues":
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    self._send(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
                    return
                # https://docs.github.com/rest/search/search#search-issues-and-pull-requests
                self._send(200, {"total_count": state.github_total, "incomplete_results": False,
                                 "items": [{"id": 1, "number": 42, "title": "Ship it", "state": "closed"}]})
            elif url.path == "/jira/rest/api/2/search":
                expected = "Basic " + base64.b64encode(f"ops@acme.example:{TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self._send(401, {"errorMessages": ["You are not authenticated."], "errors": {}})
                    return
                # https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-search/
                self._send(200, {"expand": "schema,names", "startAt": 0, "maxResults": int(q.get("maxResults", 50)),
                                 "total": state.jira_total, "issues": []})
            elif url.path == "/api/stats":
                self._send(200, {"data": {"count": 5, "label": "five"}, "items": [{"n": 8}, {"n": 9}]})
            elif url.path == "/redirect/same":
                self._send(302, b"", headers={"Location": "/api/stats"})
            elif url.path == "/redirect/other":
                self._send(302, b"", headers={"Location": f"http://localhost:{state.port}/api/stats"})
            elif url.path == "/redirect/metadata":
                self._send(302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"})
            elif url.path == "/big":
                self._send(200, b'{"n": 1, "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}')
            elif url.path == "/big-chunked":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    for _ in range(40):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass
            elif url.path == "/metrics":
                self._send(200, f"# TYPE boost_test_signups gauge\nboost_test_signups {state.signups}\n".encode(),
                           "text/plain; version=0.0.4")
            else:
                self._send(404, {"message": "Not Found"})

    return Handler


@contextmanager
def fake_apis() -> Iterator[State]:
    state = State()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
