"""The dashboard in a real browser: time to interactive on the demo company, and the
JavaScript it costs, measured in Debian's Chromium (Playwright's Python package).

Boost is started the `make run` way (bundled NATS, SQLite, the five services, nginx, the
demo company). Each visit is a fresh browser context, so nothing is cached: the page,
its scripts and its data all come through nginx. Per visit:
- content: navigation start → the dashboard's objectives and the save indicator are on
  the page (a MutationObserver installed before any script runs);
- interactive: the later of content and the end of the last long task (> 50 ms) on the
  main thread, a second after content (the same quiet-main-thread idea as Lighthouse's TTI);
- JavaScript: compressed bytes of every script the visit loaded (nginx sends the `.gz`
  files the build wrote). The progress-over-time chart, at the bottom of the page, is
  drawn when it is scrolled near, so its charting library is not among them.
Floor, same browser, same run: navigating to a small JSON file through nginx (what any
page costs before it has run a line of its own).

Run: .venv/bin/python -m bench.web_bench   (needs /usr/bin/chromium and nginx)
Knobs: BENCH_VISITS (default 15), BENCH_CHROMIUM (default /usr/bin/chromium)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import ROOT, free_port, pct, write_results

VISITS = int(os.environ.get("BENCH_VISITS", "15"))
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
NOW = "2027-02-20T01:00:00+00:00"  # as the tests: 2027-Q1 is running, 2027-Q2 is being drafted soon
PERSON = "emma.lee@boost.example"  # a demo team lead: her dashboard has her key results too

# Installed before the app's scripts: note when the dashboard's content appears, and every long task.
OBSERVE = """
window.__bench = {content: null, longtasks: []};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
}).observe({type: 'longtask', buffered: true});
const seen = () => document.querySelector('[data-testid^="objective-"]') && document.querySelector('[data-testid="save-state"]');
new MutationObserver((_, observer) => {
  if (window.__bench.content === null && seen()) { window.__bench.content = performance.now(); observer.disconnect(); }
}).observe(document, {childList: true, subtree: true});
"""

COLLECT = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const scripts = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.js'));
  return {content: window.__bench.content, longtasks: window.__bench.longtasks,
          dom_content_loaded: nav.domContentLoadedEventEnd, fcp: paint ? paint.startTime : null,
          scripts: scripts.map((r) => [r.name.split('/').pop(), r.encodedBodySize, r.decodedBodySize])};
}"""


def dev_login(base_url: str, email: str) -> dict[str, str]:
    request = urllib.request.Request(f"{base_url}/api/auth/dev-login", data=json.dumps({"email": email}).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return {name: rest.split(";", 1)[0] for name, _, rest in
                (h.partition("=") for h in response.headers.get_all("set-cookie"))}


def visit(browser: Any, base_url: str, cookies: dict[str, str]) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url, locale="en-US")
    try:
        context.add_cookies([{"name": k, "value": v, "url": base_url} for k, v in cookies.items()])
        context.add_init_script(OBSERVE)
        page = context.new_page()
        page.goto("/")
        page.wait_for_selector('[data-testid^="objective-"]', timeout=20_000)
        page.get_by_test_id("save-state").wait_for(timeout=20_000)
        page.wait_for_timeout(1000)  # long tasks that follow the content
        got: dict[str, Any] = page.evaluate(COLLECT)
    finally:
        context.close()
    content = got["content"]
    last_long_task = max((start + duration for start, duration in got["longtasks"]), default=0.0)
    return {"content_ms": content, "interactive_ms": max(content, last_long_task), "fcp_ms": got["fcp"],
            "dom_content_loaded_ms": got["dom_content_loaded"], "long_tasks": len(got["longtasks"]),
            "scripts": got["scripts"]}


def floor_visit(browser: Any, base_url: str) -> float:
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        page.goto("/api/okr/healthz")
        return float(page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd"))
    finally:
        context.close()


def bundle_sizes() -> dict[str, Any]:
    """Every script the build made, as nginx sends it: the `.gz` the build wrote beside it."""
    dist = ROOT / "gateway" / "web" / "dist" / "assets"
    sizes = {p.name: (p.with_name(p.name + ".gz") if p.with_name(p.name + ".gz").exists() else p).stat().st_size
             for p in sorted(dist.glob("*.js"))}
    return {"files": len(sizes), "all_js_gzip_bytes": sum(sizes.values())}


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(pct(values, 50), 1), "p95_ms": round(pct(values, 95), 1),
            "max_ms": round(max(values), 1)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "scripts"))
    from boost import Stack, free_internal_port_base

    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="boost-web-bench-"))
    env = {"BOOST_PORT": str(port), "BOOST_DATA_DIR": str(data_dir), "BOOST_NOW": NOW, "BOOST_DEMO": "1",
           "BOOST_INTERNAL_PORT_BASE": str(free_internal_port_base()),
           "BOOST_PUBLIC_URL": f"http://127.0.0.1:{port}", "BOOST_LOG_LEVEL": "WARNING"}
    for key in ("BOOST_DATABASE_URL", "BOOST_NATS_URL", "BOOST_NAMESPACE"):
        os.environ.pop(key, None)
    stack = Stack(env, log_dir=data_dir)
    try:
        print(f"starting Boost the make-run way (logs in {data_dir})…", flush=True)
        stack.start(timeout=180)
        cookies = dev_login(stack.base_url, PERSON)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                visit(browser, stack.base_url, cookies)  # the services' first answers (caches, lazy imports)
                floors = [floor_visit(browser, stack.base_url) for _ in range(VISITS)]
                visits = []
                for i in range(VISITS):
                    visits.append(visit(browser, stack.base_url, cookies))
                    print(f"visit {i + 1}: interactive {visits[-1]['interactive_ms']:.0f} ms", flush=True)
            finally:
                browser.close()
    finally:
        stack.stop()

    scripts = {name: encoded for name, encoded, _ in visits[-1]["scripts"]}
    first_visit_js = sum(scripts.values())
    interactive = summary([v["interactive_ms"] for v in visits])
    content = summary([v["content_ms"] for v in visits])
    fcp = summary([v["fcp_ms"] for v in visits if v["fcp_ms"] is not None])
    floor = summary(floors)
    bundle = bundle_sizes()
    results = {
        "visits": VISITS, "person": PERSON, "browser": CHROMIUM,
        "interactive": interactive, "content": content, "first_contentful_paint": fcp, "floor_navigation": floor,
        "long_tasks_per_visit": [v["long_tasks"] for v in visits],
        "dashboard_js": {"scripts": scripts, "compressed_bytes": first_visit_js},
        "bundle": bundle,
        "ratios": {"interactive_p50_over_floor_p50": round(interactive["p50_ms"] / floor["p50_ms"], 1)},
        "goals": {"interactive_under_1s": interactive["p95_ms"] < 1000, "js_under_300kB_gzip": first_visit_js < 300_000},
    }
    table = [
        ["what", "n", "p50", "p95", "max"],
        ["floor: a small JSON file through nginx, navigated to (fresh context)", str(floor["n"]),
         f"{floor['p50_ms']} ms", f"{floor['p95_ms']} ms", f"{floor['max_ms']} ms"],
        ["dashboard: first contentful paint", str(fcp["n"]), f"{fcp['p50_ms']} ms", f"{fcp['p95_ms']} ms",
         f"{fcp['max_ms']} ms"],
        ["dashboard: content on screen", str(content["n"]), f"{content['p50_ms']} ms", f"{content['p95_ms']} ms",
         f"{content['max_ms']} ms"],
        ["dashboard: interactive (content, and no long task left)", str(interactive["n"]),
         f"{interactive['p50_ms']} ms", f"{interactive['p95_ms']} ms", f"{interactive['max_ms']} ms"],
        ["ratio interactive p50 / floor p50", "", str(results["ratios"]["interactive_p50_over_floor_p50"]), "", ""],
        [f"JavaScript the dashboard loaded ({len(scripts)} files, as sent by nginx, gzip)", "",
         f"{first_visit_js / 1000:.1f} kB", "", ""],
        [f"JavaScript of the whole app ({bundle['files']} files, gzip as served)", "",
         f"{bundle['all_js_gzip_bytes'] / 1000:.1f} kB", "", ""],
    ]
    print(write_results("web", results, table))


if __name__ == "__main__":
    main()
