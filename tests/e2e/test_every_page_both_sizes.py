"""Every page at 1366 and 375 px, in both languages: nothing runs off the side of a phone,
no raw JSON or developer error anywhere, and the words are the page's language. Screenshots go
to $BOOST_SCREENSHOTS_DIR (default test-results/screens) to be looked at (issue 21)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import api, api_login

pytestmark = pytest.mark.e2e
JIWOO = "jiwoo.park@boost.example"
ADMIN = "admin@boost.example"
OUT = Path(os.environ.get("BOOST_SCREENSHOTS_DIR", "test-results/screens"))
SIZES = {"desktop": (1366, 900), "phone": (375, 812)}


@pytest.fixture(scope="module")
def pages(stack: Any) -> dict[str, tuple[str, str]]:
    cookies = api_login(stack.base_url, JIWOO)
    teams = {t["name"]: t for t in api(stack.base_url, "GET", "/api/okr/teams", cookies)}
    product = teams["Product"]["id"]
    objective = api(stack.base_url, "GET", f"/api/okr/objectives?cycle=2027-Q1&team_id={product}", cookies)[0]["id"]
    return {
        "dashboard": ("/", JIWOO), "drafting": (f"/cycles/2027-Q2/teams/{product}/draft", JIWOO),
        "this-quarter": ("/cycles/2027-Q1", JIWOO), "past-quarter": (f"/cycles/2026-Q3?team={product}", JIWOO),
        "objective": (f"/objectives/{objective}", JIWOO), "feedback": (f"/feedback?team={product}&cycle=2027-Q1", JIWOO),
        "teams": (f"/teams/{product}?cycle=2027-Q1", JIWOO), "slack": ("/slack", ADMIN), "settings": ("/settings", JIWOO),
        "admin-people": ("/admin/people", ADMIN), "admin-settings": ("/admin/settings", ADMIN), "signin": ("/signin", ""),
        "not-found": ("/objectives/987654", JIWOO),
    }


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_and_reads_as_sentences(stack: Any, browser: Any, pages: dict[str, tuple[str, str]],
                                                 size: str, lang: str) -> None:
    width, height = SIZES[size]
    OUT.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, (path, who) in pages.items():
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=stack.base_url,
                                      locale="ko-KR" if lang == "ko" else "en-US", is_mobile=size == "phone",
                                      has_touch=size == "phone")
        context.add_init_script(f"localStorage.setItem('boost.locale', '{lang}')")
        if who:
            context.add_cookies([{"name": k, "value": v, "url": stack.base_url} for k, v in api_login(stack.base_url, who).items()])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(path)
        try:
            page.locator("h1, .signin__card, [role=alert], .empty").first.wait_for(timeout=10_000)
        except Exception:
            problems.append(f"{name}: neither a heading nor a sentence saying what happened")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / f"{name}-{size}-{lang}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        text = page.locator("body").inner_text()
        clipped = page.evaluate("""() => { const s = document.querySelector('.select--cycle'); if (!s) return false;
            const c = document.createElement('canvas').getContext('2d'), st = getComputedStyle(s);
            c.font = `${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
            return c.measureText(s.selectedOptions[0].text).width + parseFloat(st.paddingLeft) + parseFloat(st.paddingRight) > s.clientWidth + 1 }""")
        if clipped:
            problems.append(f"{name}: the quarter switcher's text is cut off")
        if overflow > 1:
            problems.append(f"{name}: {overflow}px wider than the {size} screen")
        if re.search(r'\{"|"detail"|Unexpected Application Error|\(을\)|\(를\)|\(이\)|\(가\)', text):
            problems.append(f"{name}: raw JSON, a developer error or a bracketed particle on the page")
        if lang == "ko" and not re.search(r"[가-힣]", text):
            problems.append(f"{name}: no Korean on the Korean page")
        context.close()
    assert not problems, problems
