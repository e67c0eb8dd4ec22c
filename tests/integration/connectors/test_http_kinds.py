"""The HTTP source kinds against real servers: a real Prometheus (Debian's package, started
here on a free port, scraping a target this test serves), and local HTTP servers answering
with GitHub's and Jira's documented shapes. And the limits: hosts outside the allow-list,
link-local/metadata addresses always, redirects to other hosts, bodies over 1 MiB."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import free_port
from tests.support.waiting import until

from .conftest import Stack
from .fakes import TOKEN, State, fake_apis

# Only the loopback address (and metadata, to show that listing it does not let it through).
SETTINGS = {"connectors_allowed_hosts": "127.0.0.1, 169.254.169.254"}


@pytest.fixture(scope="module")
def apis() -> Iterator[State]:
    with fake_apis() as state:
        yield state


@pytest.fixture(scope="module")
def prometheus(apis: State, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the prometheus server is missing: apt-get install -y prometheus", pytrace=False)
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: boost_test
    static_configs:
      - targets: ['127.0.0.1:{apis.port}']
""")
    port = free_port()
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v1/query?query=boost_test_signups", timeout=2) as r:
                    if json.loads(r.read())["data"]["result"]:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("prometheus did not start scraping in time")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def make_source(stack: Stack, kind: str, config: dict[str, Any], secret: str | None = None,
                      name: str | None = None) -> int:
    r = await stack.call("admin", "POST", "/api/connectors/sources",
                         json={"name": name or f"{kind} source", "kind": kind, "config": config, "secret": secret})
    assert r.status_code == 201, r.text
    assert TOKEN not in r.text
    return int(r.json()["id"])


async def try_query(stack: Stack, source_id: int, query: str | None) -> dict[str, Any]:
    r = await stack.call("admin", "POST", f"/api/connectors/sources/{source_id}/test", json={"query": query})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def bound_kr_reads(stack: Stack, source_id: int, query: str | None, value: float) -> dict[str, Any]:
    """Bind a fresh key result, run it now, and return it as okr shows it."""
    kr = await stack.new_kr(owner="member")
    r = await stack.call("member", "PUT", f"/api/connectors/key-results/{kr['id']}/binding",
                         json={"source_id": source_id, "query": query, "every_minutes": 60})
    assert r.status_code == 201, r.text
    await stack.source_bound(kr["id"])

    async def landed() -> bool:
        return bool((await stack.kr(kr["id"]))["current"] == value)
    await until(landed, 15)
    history = await stack.check_ins(kr["id"])
    assert history[-1]["value"] == value and history[-1]["source"]["binding_id"] == r.json()["id"]
    return await stack.kr(kr["id"])


async def test_prometheus_instant_query_on_a_real_server(stack: Stack, prometheus: str, apis: State) -> None:
    source_id = await make_source(stack, "prometheus", {"url": prometheus})
    assert await try_query(stack, source_id, "boost_test_signups") == {"ok": True, "value": 12.0, "error": None}
    assert (await try_query(stack, source_id, "sum(boost_test_signups) * 2"))["value"] == 24.0
    two = await try_query(stack, source_id, "{__name__=~'boost_test_signups|up'}")
    assert two["ok"] is False and "series" in two["error"]
    bad = await try_query(stack, source_id, "sum(")
    assert bad["ok"] is False and "prometheus source" in bad["error"]
    kr = await bound_kr_reads(stack, source_id, "boost_test_signups", 12.0)
    assert kr["source"]["kind"] == "prometheus"


async def test_github_search_total_count(stack: Stack, apis: State) -> None:
    base = f"http://127.0.0.1:{apis.port}/github"
    source_id = await make_source(stack, "github", {"url": base}, secret=TOKEN)
    query = "repo:acme/app is:pr is:merged merged:>=2027-01-01"
    assert (await try_query(stack, source_id, query))["value"] == 17.0
    asked = [s for s in apis.seen if s["path"] == "/github/search/issues"][-1]
    assert asked["query"]["q"] == query and asked["auth"] == f"Bearer {TOKEN}"
    await bound_kr_reads(stack, source_id, query, 17.0)
    unauth = await make_source(stack, "github", {"url": base}, secret="wrong-token-value")
    failed = await try_query(stack, unauth, query)
    assert failed["ok"] is False and "401" in failed["error"] and "wrong-token-value" not in failed["error"]


async def test_jira_jql_count(stack: Stack, apis: State) -> None:
    source_id = await make_source(stack, "jira", {"url": f"http://127.0.0.1:{apis.port}/jira",
                                                  "email": "ops@acme.example"}, secret=TOKEN)
    jql = "project = OPS AND status = Done AND resolved >= startOfYear()"
    assert (await try_query(stack, source_id, jql))["value"] == 23.0
    asked = [s for s in apis.seen if s["path"] == "/jira/rest/api/2/search"][-1]
    assert asked["query"]["jql"] == jql and asked["query"]["maxResults"] == "0"
    await bound_kr_reads(stack, source_id, jql, 23.0)


async def test_http_json_paths(stack: Stack, apis: State) -> None:
    source_id = await make_source(stack, "http_json", {"url": f"http://127.0.0.1:{apis.port}/api/stats"})
    assert (await try_query(stack, source_id, "data.count"))["value"] == 5.0
    assert (await try_query(stack, source_id, "items[1].n"))["value"] == 9.0
    text = await try_query(stack, source_id, "data.label")
    assert text["ok"] is False and "not a number" in text["error"]
    missing = await try_query(stack, source_id, "items[5].n")
    assert missing["ok"] is False and "[5]" in missing["error"]
    same_host = await make_source(stack, "http_json", {"url": f"http://127.0.0.1:{apis.port}/redirect/same"})
    assert (await try_query(stack, same_host, "data.count"))["value"] == 5.0
    await bound_kr_reads(stack, source_id, "items[0].n", 8.0)


@pytest.mark.parametrize(("url", "why"), [
    ("http://localhost:{port}/api/stats", "not in BOOST_CONNECTORS_ALLOWED_HOSTS"),
    ("http://169.254.169.254/latest/meta-data/", "link-local or cloud metadata"),
    ("http://[::ffff:169.254.169.254]/latest/", "link-local or cloud metadata"),
    ("http://127.0.0.1:{port}/redirect/other", "redirected to another host"),
    ("http://127.0.0.1:{port}/redirect/metadata", "redirected to another host"),
    ("http://127.0.0.1:{port}/big", "over 1 MiB"),
    ("http://127.0.0.1:{port}/big-chunked", "over 1 MiB"),
])
async def test_http_limits(stack: Stack, apis: State, url: str, why: str) -> None:
    source_id = await make_source(stack, "http_json", {"url": url.format(port=apis.port)}, name="Limited API")
    out = await try_query(stack, source_id, "n")
    assert out["ok"] is False and why in out["error"] and "Limited API" in out["error"], out


async def test_a_sql_source_outside_the_allow_list_is_refused(stack: Stack) -> None:
    source_id = await make_source(stack, "sql", {"url": "mysql+pymysql://reader@db.internal.example:3306/sales"},
                                  name="Elsewhere DB")
    out = await try_query(stack, source_id, "SELECT 1")
    assert out["ok"] is False and "not in BOOST_CONNECTORS_ALLOWED_HOSTS" in out["error"]

