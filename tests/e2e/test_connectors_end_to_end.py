"""The whole system the `make run` way (every service its own process, nginx in front), on
the test MariaDB and NATS, with two connectors replicas:

- 40 key results bound to slow HTTP sources run once each, though both replicas tick;
  one replica is killed (SIGKILL) while its runs are in flight: the other takes them over
  when their lease lapses, and nothing is recorded twice;
- a webhook pushed through nginx lands as a check-in; a wrong token is a 404; a burst of
  guesses is rate-limited (429);
- in Chromium, the key result shows its source badge, and "Connect data" tests a query,
  shows the value, saves, and the badge appears."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port
from tests.conftest import ROOT, api, api_login, browser  # noqa: F401  (browser: the fixture)

pytestmark = pytest.mark.e2e
BINDINGS = 40
SLOW = 2.5  # seconds each fetch takes: runs are in flight when a replica is killed


class Counting:
    """GET /count/{i} answers {"n": hits of /count/{i}} after SLOW seconds."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.in_flight: set[int] = set()  # the client ports of fetches being answered now
        self.lock = threading.Lock()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with state.lock:
                    state.hits[self.path] += 1
                    n = state.hits[self.path]
                    state.in_flight.add(self.client_address[1])
                try:
                    time.sleep(SLOW if self.path.startswith("/count/") else 0)
                finally:
                    with state.lock:
                        state.in_flight.discard(self.client_address[1])
                body = json.dumps({"n": n}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def counting() -> Iterator[Counting]:
    c = Counting()
    yield c
    c.server.shutdown()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, namespace: str, mariadb_url: str, nats_url: str) -> Iterator[Any]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from boost import Stack, free_internal_port_base

    if not (ROOT / "gateway" / "web" / "dist" / "index.html").exists():
        pytest.fail("the web app is not built (make setup-web)", pytrace=False)
    data_dir = tmp_path_factory.mktemp("cn_e2e")
    port = free_port()
    env = {
        "BOOST_PORT": str(port), "BOOST_DATA_DIR": str(data_dir),
        "BOOST_INTERNAL_PORT_BASE": str(free_internal_port_base()),
        "BOOST_DATABASE_URL": mariadb_url, "BOOST_NATS_URL": nats_url, "BOOST_NAMESPACE": f"{namespace}_cne2e",
        "BOOST_NOW": "2027-02-20T01:00:00+00:00", "BOOST_DEMO": "0", "BOOST_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BOOST_LOG_LEVEL": "WARNING", "BOOST_CONNECTORS_TICK_SECONDS": "0.3", "BOOST_CONNECTORS_LEASE_SECONDS": "6",
        "BOOST_ADMIN_EMAILS": "admin@boost.example",
    }
    saved = {k: os.environ.pop(k) for k in ("BOOST_DATABASE_URL", "BOOST_NATS_URL", "BOOST_NAMESPACE") if k in os.environ}
    s = Stack(env, replicas={"connectors": 2}, log_dir=data_dir)
    try:
        s.start(timeout=120)
    except Exception:
        s.stop()
        for log in sorted(data_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}")
        raise
    s.data_dir = data_dir
    try:
        yield s
    finally:
        s.stop()
        os.environ.update(saved)


def post(base: str, path: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(f"{base}{path}", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def objective_with_krs(base: str, admin: dict[str, str], n: int, title: str) -> dict[str, Any]:
    teams = api(base, "GET", "/api/okr/teams", admin)
    me = api(base, "GET", "/api/auth/me", admin)
    return dict(api(base, "POST", "/api/okr/objectives", admin, {
        "cycle": "2027-Q1", "team_id": teams[0]["id"], "title": title, "owner_id": me["user"]["id"],
        "key_results": [{"title": f"Signal {i}", "start": 0, "target": 100, "owner_id": me["user"]["id"]}
                        for i in range(n)]}))


def wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not in {timeout:.0f} s")
        time.sleep(0.2)


def local_ports_of(group: int) -> set[int]:
    """The local TCP ports of the sockets the processes of a process group hold (Linux /proc)."""
    inodes: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) != group:
                continue
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except (OSError, ValueError, IndexError):
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_two_replicas_and_a_kill_mid_run_record_every_due_run_once(system: Any, counting: Counting) -> None:
    base = system.base_url
    admin = api_login(base, "admin@boost.example")
    krs = [kr for half in ("Signals A", "Signals B")  # an objective holds at most 20 key results
           for kr in objective_with_krs(base, admin, BINDINGS // 2, half)["key_results"]]
    for i, kr in enumerate(krs):
        source = api(base, "POST", "/api/connectors/sources", admin, {
            "name": f"Counter {i}", "kind": "http_json", "config": {"url": f"http://127.0.0.1:{counting.port}/count/{i}"}})
        api(base, "PUT", f"/api/connectors/key-results/{kr['id']}/binding", admin,
            {"source_id": source["id"], "query": "n", "every_minutes": 5})
    # Both replicas take runs at once; kill the first while its fetches are in flight.
    wait(lambda: sum(counting.hits.values()) >= BINDINGS // 2, 30, "runs started")
    first = system.children["connectors"].pid  # its own process group (the stack starts each so)

    def first_has_runs_in_flight() -> bool:
        with counting.lock:
            in_flight = set(counting.in_flight)
        return bool(in_flight & local_ports_of(first))
    wait(first_has_runs_in_flight, 30, "the first replica has fetches in flight")
    system.kill("connectors")

    def all_recorded() -> bool:
        return all(api(base, "GET", f"/api/okr/key-results/{kr['id']}", admin)["current"] > 0 for kr in krs)
    wait(all_recorded, 60, "every key result got its value")
    time.sleep(2 * SLOW)  # anything still running would show up now
    histories = {kr["id"]: api(base, "GET", f"/api/okr/key-results/{kr['id']}/check-ins", admin) for kr in krs}
    assert all(len(h) == 1 for h in histories.values()), {k: len(h) for k, h in histories.items() if len(h) != 1}
    hits = [counting.hits[f"/count/{i}"] for i in range(BINDINGS)]
    # Each due run was fetched once, except those the killed replica had in flight, which the
    # survivor fetched again after their lease lapsed (recorded once: the dead one never got to).
    assert all(h in (1, 2) for h in hits), hits
    taken_over = sum(1 for h in hits if h == 2)
    assert taken_over > 0, "the kill happened mid-run"
    for i, kr in enumerate(krs):
        assert histories[kr["id"]][0]["value"] == hits[i]
        assert histories[kr["id"]][0]["source"]["kind"] == "http_json"
    system.start_one("connectors")  # back for the next tests


def test_a_webhook_through_nginx(system: Any) -> None:
    base = system.base_url
    admin = api_login(base, "admin@boost.example")
    kr = objective_with_krs(base, admin, 1, "Pushed")["key_results"][0]
    source = api(base, "POST", "/api/connectors/sources", admin, {"name": "CI", "kind": "webhook"})
    binding = api(base, "PUT", f"/api/connectors/key-results/{kr['id']}/binding", admin, {"source_id": source["id"]})
    url: str = binding["webhook_url"]
    assert url.startswith(f"{base}/api/connectors/hooks/")
    wait(lambda: api(base, "GET", f"/api/okr/key-results/{kr['id']}", admin)["source"] is not None, 15, "okr knows")
    status, body = post(base, url.removeprefix(base), {"value": 17, "note": "deploys"})
    assert status == 202 and body["checked_in"] is True
    view = api(base, "GET", f"/api/okr/key-results/{kr['id']}", admin)
    assert view["current"] == 17 and view["source"]["kind"] == "webhook"
    status, body = post(base, "/api/connectors/hooks/" + "A" * 43, {"value": 99})
    assert status == 404 and json.loads(body)["status"] == 404
    assert api(base, "GET", f"/api/okr/key-results/{kr['id']}", admin)["current"] == 17
    answers = [post(base, "/api/connectors/hooks/" + "B" * 43, {"value": 1}) for _ in range(60)]
    statuses = Counter(code for code, _ in answers)
    assert statuses[429] > 0 and set(statuses) <= {404, 429}, statuses
    limited = next(body for code, body in answers if code == 429)
    assert b"webhook pushes" in limited


def test_connect_data_in_the_browser(system: Any, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    import sqlite3

    from playwright.sync_api import expect

    base = system.base_url
    admin = api_login(base, "admin@boost.example")
    obj = objective_with_krs(base, admin, 1, "Connected in the browser")
    kr = obj["key_results"][0]
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (n INTEGER)")
        conn.executemany("INSERT INTO orders VALUES (?)", [(1,)] * 23)
    api(base, "POST", "/api/connectors/sources", admin,
        {"name": "Shop DB", "kind": "sql", "config": {"url": f"sqlite:///{db}"}, "secret": "never-shown-pw"})
    context = browser.new_context(base_url=base, locale="en-US", bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": k, "value": v, "url": base} for k, v in admin.items()])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"/objectives/{obj['id']}")
        page.get_by_test_id(f"kr-connect-{kr['id']}").click()
        form = page.get_by_test_id(f"kr-connect-form-{kr['id']}")
        form.get_by_label("Source").select_option(label="Shop DB (SQL)")
        form.get_by_label("Query").fill("SELECT count(*) FROM orders")
        expect(page.get_by_test_id("connect-save")).to_be_disabled()  # test first
        page.get_by_test_id("connect-test").click()
        expect(page.get_by_test_id("connect-test-result")).to_contain_text("23")
        page.get_by_test_id("connect-save").click()
        badge = page.get_by_test_id(f"kr-source-{kr['id']}")
        expect(badge).to_have_attribute("data-state", "ok", timeout=20_000)
        page.reload()
        expect(page.get_by_test_id(f"kr-source-{kr['id']}")).to_have_attribute("data-state", "ok")
        expect(page.get_by_test_id(f"kr-{kr['id']}")).to_contain_text("23")
        page.goto("/admin/sources")
        expect(page.get_by_text("Shop DB")).to_be_visible()
        assert "never-shown-pw" not in page.content()
        page.screenshot(path=str(system.data_dir / "connect-data.png"), full_page=True)
    finally:
        context.close()
