"""An XSS corpus through every place the web app shows people's text: objective titles and
descriptions, key result titles, chat bodies (with mentions), feedback and retrospectives,
people's and teams' names, and the Slack messages page that renders the bot's mrkdwn.
Stored through the API like anyone could, then shown in a real Chromium with the CSP
*bypassed* (so that only the rendering protects the page): nothing runs, and no element
of a payload reaches the DOM, while its text is shown as written."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import api_login
from tests.support.waiting import eventually

CYCLE = "2027-Q1"

# Every payload that could make an element carries `data-xss`, and every script sets
# window.__xss: either would be seen.
CORPUS = [
    '<img src=x onerror="window.__xss=1" data-xss>',
    "<script data-xss>window.__xss=1</script>",
    '<svg data-xss onload="window.__xss=1"><circle r=1></svg>',
    '"><iframe data-xss srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<a data-xss href="javascript:window.__xss=1">click me</a>',
    "<javascript:window.__xss=1|click> <https://evil.example/|evil> <//evil.example/x|proto-relative>",
    "javascript:window.__xss=1",
    "<@1><img src=x onerror=window.__xss=1 data-xss><@999999>",
    "&lt;img src=x onerror=window.__xss=1 data-xss&gt; &amp;lt;b&amp;gt;",
    "*<b data-xss>bold</b>* _<i data-xss>it</i>_ `<u data-xss>code</u>`",
    '<style data-xss>*{display:none}</style><link data-xss rel=stylesheet href="https://evil.example/x.css">',
    '<math data-xss><mi xlink:href="javascript:window.__xss=1">x</mi></math>',
    "{{constructor.constructor('window.__xss=1')()}} ${window.__xss=1} [x](javascript:window.__xss=1)",
    '<details data-xss open ontoggle="window.__xss=1">',
    "\u202e<img src=x onerror=window.__xss=1 data-xss>\u0000",
]


@pytest.fixture(scope="module")
def planted(slack_stack: Any) -> dict[str, Any]:
    """The corpus stored everywhere people write text, by an admin and by a member."""
    with httpx.Client(base_url=slack_stack.base_url, timeout=15) as http:
        def sign_in(email: str) -> dict[str, str]:
            r = http.post("/api/auth/dev-login", json={"email": email})
            assert r.status_code == 200, r.text
            http.cookies.clear()
            return {"Authorization": f"Bearer {r.json()['token']}"}

        def ok(who: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
            r = http.request(method, path, headers=who, **kwargs)
            assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
            return r.json() if r.content else None

        admin = sign_in("admin@boost.example")
        me = ok(admin, "GET", "/api/auth/me")
        ok(admin, "PATCH", f"/api/okr/users/{me['user']['id'] if 'user' in me else me['id']}",
           json={"slack_user_id": "U0XSSADMIN"})
        root = next(t for t in ok(admin, "GET", "/api/okr/teams") if t["parent_id"] is None)
        people = [ok(admin, "POST", "/api/okr/users", json={"email": f"xss{i}@x.example", "name": p[:200]})
                  for i, p in enumerate(CORPUS)]
        writer = people[0]
        ok(admin, "PATCH", f"/api/okr/users/{writer['id']}", json={"slack_user_id": "U0XSSWRITER"})
        team = ok(admin, "POST", "/api/okr/teams", json={
            "name": CORPUS[0], "parent_id": root["id"],
            "members": [{"user_id": p["id"], "role": "lead" if i == 0 else "member"} for i, p in enumerate(people)]})
        as_writer = sign_in("xss0@x.example")
        objectives = []
        for i, payload in enumerate(CORPUS):
            obj = ok(as_writer, "POST", "/api/okr/objectives", json={
                "cycle": CYCLE if i % 2 == 0 else "2027-Q2", "team_id": team["id"], "title": payload[:200],
                "description": payload, "key_results": [{"title": payload[:200], "start": 0, "target": 10, "unit": payload[:20]}]})
            objectives.append(obj)
        first = objectives[0]
        ok(as_writer, "POST", f"/api/okr/key-results/{first['key_results'][0]['id']}/check-ins",
           json={"value": 3, "confidence": 2, "note": CORPUS[1]})
        ok(as_writer, "POST", f"/api/okr/objectives/{first['id']}/submit")  # Slack messages quote the title
        # feedback learns objectives from okr's events: its chat opens once the objective reached it
        deadline = time.monotonic() + 15
        while http.get(f"/api/feedback/threads/objective:{first['id']}/messages", headers=as_writer).status_code == 404:
            assert time.monotonic() < deadline, "feedback never learned the objective"
            time.sleep(0.1)
        for payload in CORPUS:
            body = f"{payload} <@{writer['id']}> <@{people[3]['id']}>"
            ok(as_writer, "POST", f"/api/feedback/threads/objective:{first['id']}/messages", json={"body": body[:4000]})
            ok(as_writer, "POST", f"/api/feedback/threads/draft:2027-Q2:team:{team['id']}/messages", json={"body": body})
            ok(admin, "POST", "/api/feedback/feedback", json={"kind": "praise", "objective_id": first["id"], "body": payload})
            ok(admin, "POST", "/api/feedback/feedback", json={"kind": "question", "to_team_id": team["id"], "body": payload})
        ok(as_writer, "POST", "/api/feedback/feedback", json={
            "kind": "retro", "team_id": team["id"], "cycle": CYCLE, "went_well": CORPUS[2], "to_improve": CORPUS[3],
            "score": 0.5})
        return {"objective": first, "team": team, "writer_email": "xss0@x.example"}


def visit_and_check(browser: Any, base_url: str, email: str, path: str, must_show: str) -> None:
    """The page, under the app's production CSP, has rendered the stored payload as text, and
    nothing of it became markup, ran, or turned into a script link."""
    context = browser.new_context(base_url=base_url, locale="en-US",
                                  viewport={"width": 1280, "height": 900})
    try:
        cookies = api_login(base_url, email)
        context.add_cookies([{"name": k, "value": v, "url": base_url} for k, v in cookies.items()])
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_default_timeout(15_000)
        page.goto(path)
        page.wait_for_load_state("networkidle")
        try:
            eventually(page, "t => document.body.innerText.includes(t)", must_show)
        except AssertionError:
            raise AssertionError(f"{path} never showed {must_show!r}: {page.evaluate('document.body.innerText')[:500]}") from None
        page.wait_for_timeout(300)  # onerror/onload handlers would have run by now
        injected = page.evaluate("document.querySelectorAll('[data-xss], script:not([src]), iframe[srcdoc]').length")
        ran = page.evaluate("window.__xss === undefined && parent.__xss === undefined ? 0 : 1")
        bad_links = page.evaluate("""[...document.querySelectorAll('a[href], [src], [xlink\\\\:href]')]
            .map(e => e.getAttribute('href') || e.getAttribute('src') || '')
            .filter(h => /^\\s*(javascript|data|vbscript):/i.test(h)).length""")
        assert (injected, ran, bad_links, dialogs) == (0, 0, 0, []), (path, injected, ran, bad_links, dialogs)
    finally:
        context.close()


def test_payloads_stay_text_on_every_page(slack_stack: Any, browser: Any, planted: dict[str, Any]) -> None:
    obj, team = planted["objective"], planted["team"]
    admin, writer = "admin@boost.example", planted["writer_email"]
    views = [  # (page, who, text it must show once rendered)
        (f"/objectives/{obj['id']}", admin, "window.__xss=1"),  # title, description, KRs, note, chat, feedback
        (f"/objectives/{obj['id']}", writer, "window.__xss=1"),
        ("/", writer, "window.__xss=1"),  # dashboard: team cards, at-risk key results
        (f"/cycles/{CYCLE}", writer, "window.__xss=1"),  # this quarter: my key results
        (f"/cycles/2027-Q2/teams/{team['id']}/draft", writer, "data-xss"),  # drafting page and its chat
        ("/feedback", writer, "data-xss"),  # Feedback Hub (addressed to my team), the retrospective
        (f"/teams/{team['id']}?cycle={CYCLE}", admin, "window.__xss=1"),
        ("/admin/people", admin, "data-xss"),  # people's and teams' names
        ("/slack", admin, "window.__xss=1"),  # the bot's messages (mrkdwn) quoting titles
        ("/slack", writer, "window.__xss=1"),
    ]
    for path, email, must_show in views:
        visit_and_check(browser, slack_stack.base_url, email, path, must_show)
    print(f"\nXSS corpus: {len(CORPUS)} payloads × titles, descriptions, KRs, notes, chat, feedback, retro, names; "
          f"{len(views)} page views, each showing the payloads as text, 0 elements injected, 0 scripts run")
