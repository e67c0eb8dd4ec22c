"""The nginx gateway of the stack: routing, SPA fallback, problem+json from nginx itself,
security headers, and the rate limit on sign-in routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import api_login


@pytest.fixture(scope="module")
def client(stack: Any) -> httpx.Client:
    return httpx.Client(base_url=stack.base_url, timeout=20)


@pytest.mark.parametrize("service", ["okr", "feedback", "realtime", "scheduler", "notifier", "connectors"])
def test_every_service_is_healthy_and_ready_behind_the_gateway(client: httpx.Client, service: str) -> None:
    assert client.get(f"/api/{service}/healthz").json()["status"] == "ok"
    ready = client.get(f"/api/{service}/readyz")
    assert ready.status_code == 200 and ready.json()["dependencies"]
    assert "# TYPE" in client.get(f"/api/{service}/metrics").text
    assert client.get(f"/api/{service}/openapi.json").json()["openapi"].startswith("3.")


def test_deep_links_fall_back_to_the_app(client: httpx.Client) -> None:
    for path in ("/", "/objectives/123?kr=45", "/cycles/2027-Q1/teams/3/draft", "/feedback?team=2&cycle=2027-Q1"):
        r = client.get(path)
        assert r.status_code == 200 and "<div id=\"root\"" in r.text, path
        assert r.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"


def test_unknown_api_paths_are_problem_json(client: httpx.Client) -> None:
    r = client.get("/api/nope/things")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_a_body_over_one_mebibyte_is_a_413_problem(client: httpx.Client, stack: Any) -> None:
    cookies = api_login(stack.base_url, "admin@boost.example")
    r = client.post("/api/okr/objectives", content=b"x" * (1024 * 1024 + 1),
                    headers={"content-type": "application/json", "authorization": f"Bearer {cookies['boost_session']}"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 413


def test_sign_in_routes_are_rate_limited(client: httpx.Client) -> None:
    statuses = [client.get("/api/auth/slack/login", params={"next": "/"}).status_code for _ in range(12)]
    # a person's first tries reach the service; a burst is cut off, and stays cut off
    assert statuses[0] != 429, statuses
    first_limited = statuses.index(429)
    assert all(s == 429 for s in statuses[first_limited:]), statuses
    r = client.get("/api/auth/slack/login")
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 429


def test_the_dashboard_reads_the_same_gzipped_or_not(client: httpx.Client, stack: Any) -> None:
    # okr gzips the cached dashboard once per change; nginx passes that through rather than
    # compressing at every request, and a client that does not take gzip still reads JSON.
    token = api_login(stack.base_url, "admin@boost.example")["boost_session"]
    auth = {"authorization": f"Bearer {token}"}
    zipped = client.get("/api/okr/dashboard", headers={**auth, "accept-encoding": "gzip"})
    plain = client.get("/api/okr/dashboard", headers={**auth, "accept-encoding": "identity"})
    assert zipped.status_code == plain.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"  # once: httpx could not decode a double gzip
    assert "content-encoding" not in plain.headers
    assert "Accept-Encoding" in zipped.headers["vary"] and "Accept-Encoding" in plain.headers["vary"]
    assert zipped.json() == plain.json() and plain.json()["teams"]
