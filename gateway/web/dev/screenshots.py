"""Screenshots of every page at desktop and phone sizes, plus a quick axe-core and
horizontal-scroll check. Dev helper for looking at the app; the real browser tests
live in tests/e2e.

    /work/main/.venv/bin/python dev/screenshots.py [BASE_URL] [OUT_DIR] [AXE_JS]

Korean text needs a CJK font on the machine (apt-get install fonts-noto-cjk), or it
shows as empty boxes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "../../docs/screenshots")
AXE = Path(sys.argv[3]) if len(sys.argv) > 3 else None
SIZES = {"desktop": (1280, 900), "phone": (375, 812)}


def sign_in(page: Page, email: str) -> None:
    page.goto(f"{BASE}/signin")
    page.get_by_text(email).click()
    page.wait_for_url(re.compile(r"^(?!.*signin).*$"))


def discover(page: Page) -> dict[str, str]:
    """Find real ids from the API so the shots show real pages."""
    get = lambda path: page.evaluate(f"fetch('{path}').then(r => r.json())")  # noqa: E731
    cur = get("/api/okr/cycles/current")["id"]
    nxt = get("/api/okr/cycles/next")["id"]
    me = get("/api/auth/me")
    teams = get("/api/okr/teams")
    drafts = get(f"/api/okr/objectives?cycle={nxt}")
    counts: dict[int, int] = {}
    for o in drafts:
        counts[o["team_id"]] = counts.get(o["team_id"], 0) + 1
    mine = [t["id"] for t in me["teams"]]
    team = max(counts, key=lambda t: (counts[t], t in mine)) if counts else (mine[0] if mine else teams[-1]["id"])
    objs = get(f"/api/okr/objectives?cycle={cur}")
    # The objective people talk about most (feedback on it), else the first with key results.
    talked: dict[int, int] = {}
    for f in get(f"/api/feedback/feedback?cycle={cur}"):
        if f.get("objective_id"):
            talked[f["objective_id"]] = talked.get(f["objective_id"], 0) + 1
    ranked = sorted((o for o in objs if o["key_results"]), key=lambda o: -talked.get(o["id"], 0))
    obj = ranked[0] if ranked else (objs[0] if objs else None)
    pages = {
        "dashboard": "/",
        "drafting": f"/cycles/{nxt}/teams/{team}/draft",
        "this-quarter": f"/cycles/{cur}",
        "feedback": "/feedback",
        "teams": f"/teams/{team}?cycle={cur}",
        "slack": "/slack",
        "settings": "/settings",
        "admin-people": "/admin/people",
        "admin-settings": "/admin/settings",
    }
    if obj:
        pages["objective"] = f"/objectives/{obj['id']}?kr={obj['key_results'][0]['id']}"
    return pages


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for size, (w, h) in SIZES.items():
            # bypass_csp: only so that axe-core can be injected; the app itself runs under the gateway CSP.
            ctx = browser.new_context(viewport={"width": w, "height": h}, locale="en-US", bypass_csp=AXE is not None)
            page = ctx.new_page()
            page.goto(f"{BASE}/signin?next=/")
            page.wait_for_timeout(600)
            page.screenshot(path=str(OUT / f"signin-{size}.png"))
            sign_in(page, "admin@boost.example")
            pages = discover(page)
            for name, path in pages.items():
                if name == "slack":
                    # The gateway sends /slack/* to the notifier, so open this page in-app.
                    page.goto(f"{BASE}/")
                    page.wait_for_load_state("networkidle")
                    page.evaluate("p => { history.pushState({}, '', p); dispatchEvent(new PopStateEvent('popstate')) }", path)
                else:
                    page.goto(f"{BASE}{path}")
                page.wait_for_load_state("networkidle")
                if name == "feedback":  # the admin has nothing "For me": show the org's
                    page.get_by_role("tab", name="All").click()
                page.wait_for_timeout(900)
                if size == "desktop":
                    # Charts below the fold are drawn when scrolled near (WhenVisible).
                    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                    page.wait_for_timeout(900)
                    page.evaluate("window.scrollTo(0, 0)")
                    page.wait_for_timeout(200)
                page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=size == "desktop")
                scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                entry: dict[str, object] = {"path": path, "horizontal_overflow_px": scroll}
                if AXE:
                    page.add_script_tag(path=str(AXE))
                    res = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                    entry["axe"] = [
                        {"id": v["id"], "impact": v["impact"], "n": len(v["nodes"]),
                         "targets": [n["target"] for n in v["nodes"][:3]]}
                        for v in res["violations"] if v["impact"] in ("serious", "critical")
                    ]
                report[f"{name}-{size}"] = entry
            ctx.close()
        browser.close()
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
