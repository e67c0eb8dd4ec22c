"""A real team's first month (issue 21), in Chromium against the whole stack: every page
that several people write is as safe as the drafting page, links point where Boost runs,
errors read as sentences."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from itertools import zip_longest
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.conftest import api, api_login, start_stack

pytestmark = pytest.mark.e2e
EMMA = "emma.lee@boost.example"
JIWOO = "jiwoo.park@boost.example"


@pytest.fixture(scope="module")
def product(stack: Any) -> dict[str, Any]:
    cookies = api_login(stack.base_url, JIWOO)
    teams = {t["name"]: t for t in api(stack.base_url, "GET", "/api/okr/teams", cookies)}
    return {"id": teams["Product"]["id"], "cookies": cookies, "base_url": stack.base_url}


def _type(field: Any, text: str) -> None:
    for ch in text:
        field.press("Space" if ch == " " else ch)


def test_two_people_writing_the_retro_at_once_both_keep_their_text(new_page: Any, product: dict[str, Any]) -> None:
    """The seen example: one typed into "What went well" while the other saved his version;
    her sentence was replaced by his. Now both type at once and both sentences stay."""
    path = f"/feedback?team={product['id']}&cycle=2026-Q4"
    a, b = new_page(EMMA), new_page(JIWOO)
    a.goto(path)
    b.goto(path)
    field_a, field_b = a.get_by_test_id("retro-went_well"), b.get_by_test_id("retro-went_well")
    field_a.click()  # the first to put the cursor in it starts the retro
    expect(field_a).to_be_editable()
    _type(field_a, "Shipped v2.")
    expect(field_b).to_have_value("Shipped v2.", timeout=5000)  # live, without a reload
    field_a.press("End")
    field_b.click()
    field_b.press("Home")
    for x, y in zip_longest(" Hired two.", "Calm launch. "):
        if x:
            field_a.press("Space" if x == " " else x)
        if y:
            field_b.press("Space" if y == " " else y)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        va, vb = field_a.input_value(), field_b.input_value()
        if va == vb and all(p in va for p in ("Calm launch.", "Shipped v2.", "Hired two.")):
            break
        time.sleep(0.2)
    assert va == vb, f"the two screens disagree: {va!r} vs {vb!r}"
    assert all(p in va for p in ("Calm launch.", "Shipped v2.", "Hired two.")), va
    for page in (a, b):
        expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=10_000)
    [retro] = api(product["base_url"], "GET", f"/api/feedback/feedback?kind=retro&team_id={product['id']}&cycle=2026-Q4",
                  product["cookies"])
    assert retro["went_well"] == va
    # Nothing to press: there is no save button that could send a stale form.
    expect(a.get_by_role("button", name="Update retrospective")).to_have_count(0)


def test_a_slack_deep_link_from_a_stack_on_another_port_opens_there(tmp_path_factory: Any, browser: Any) -> None:
    """Without BOOST_PUBLIC_URL, a stack on a port other than 8080 puts its own port in Slack's buttons."""
    s = start_stack(tmp_path_factory, "other-port", {"BOOST_PUBLIC_URL": ""})
    try:
        port = s.settings.port
        assert port != 8080 and s.settings.public_url == f"http://localhost:{port}"
        admin = api_login(s.base_url, "admin@boost.example")
        req = urllib.request.Request(f"{s.base_url}/api/scheduler/reminders/drafting_open/run", data=b"{}", method="POST",
                                     headers={"content-type": "application/json", "X-Boost-CSRF": admin["boost_csrf"],
                                              "cookie": "; ".join(f"{k}={v}" for k, v in admin.items())})
        urllib.request.urlopen(req, timeout=10).read()
        links: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not links:
            rows = api(s.base_url, "GET", "/api/notifier/deliveries?kind=drafting_open", admin)
            blob = json.dumps(rows)
            links = [w.strip('"\\,') for w in blob.split() if "/draft" in w and "http" in w]
            time.sleep(0.5)
        assert links, "no drafting_open message was recorded"
        url = links[0][links[0].index("http"):].split('"')[0].split("\\")[0]
        assert url.startswith(f"http://localhost:{port}/cycles/"), url
        context = browser.new_context(locale="en-US")
        cookies = api_login(s.base_url, JIWOO)
        context.add_cookies([{"name": k, "value": v, "url": f"http://localhost:{port}"} for k, v in cookies.items()])
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=15_000)
        assert "/draft" in page.url and f":{port}/" in page.url
        context.close()
    finally:
        s.stop()


ADMIN = "admin@boost.example"


def test_the_csv_example_imports_with_a_lead_after_a_preview(new_page: Any, product: dict[str, Any]) -> None:
    page = new_page(ADMIN)
    page.goto("/admin/people")
    example = page.get_by_test_id("import-example").inner_text()
    page.get_by_label("Or paste CSV").fill(example)
    page.get_by_role("button", name="Import", exact=True).wait_for()
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()  # a preview comes first
    page.get_by_role("button", name="Preview changes").click()
    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("add minji@example.com to Growth — lead")
    admin = api_login(product["base_url"], ADMIN)
    assert not [u for u in api(product["base_url"], "GET", "/api/okr/users", admin) if u["email"] == "minji@example.com"]
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported.")).to_be_visible()
    teams = {t["name"]: t for t in api(product["base_url"], "GET", "/api/okr/teams", admin)}
    [minji] = [u for u in api(product["base_url"], "GET", "/api/okr/users", admin) if u["email"] == "minji@example.com"]
    assert {"user_id": minji["id"], "role": "lead"} in teams["Growth"]["members"]


def test_export_buttons_on_the_quarter_and_the_dashboard(new_page: Any) -> None:
    page = new_page(JIWOO)
    for path in ("/", "/cycles/2027-Q1"):
        page.goto(path)
        link = page.get_by_test_id("export-csv")
        expect(link).to_have_attribute("href", re.compile(r"/api/okr/export\.csv\?cycle=2027-Q1$"))
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".csv")
    # Offline, the button says so in a sentence instead of opening an error document.
    page.context.set_offline(True)
    here = page.url
    page.get_by_test_id("export-csv").click()
    expect(page.locator(".toast--error")).to_contain_text(re.compile("download|offline|내려받지|오프라인"))
    assert page.url == here
    page.context.set_offline(False)


def test_two_admins_saving_org_settings_see_both_names(new_page: Any, product: dict[str, Any]) -> None:
    page = new_page(ADMIN)
    page.goto("/admin/settings")
    name = page.get_by_label("Name", exact=True)
    loaded = name.input_value()
    name.fill("Haneul Labs (mine)")
    # Another admin saves a new name meanwhile.
    admin = api_login(product["base_url"], ADMIN)
    org = api(product["base_url"], "GET", "/api/okr/org", admin)
    api(product["base_url"], "PATCH", "/api/okr/org", admin, {"name": "Sky Labs", "version": org["version"],
                                                              "base": {"name": loaded}})
    expect(name).to_have_value("Haneul Labs (mine)")  # the event does not wipe what I typed
    page.get_by_role("button", name="Save", exact=True).click()
    notice = page.get_by_test_id("conflict")
    expect(notice.get_by_test_id("conflict-theirs-name")).to_have_text("Sky Labs")
    expect(notice.get_by_test_id("conflict-mine-name")).to_have_text("Haneul Labs (mine)")
    assert api(product["base_url"], "GET", "/api/okr/org", admin)["name"] == "Sky Labs"
    notice.get_by_role("button", name="Save mine over theirs").click()
    expect(notice).to_have_count(0)
    assert api(product["base_url"], "GET", "/api/okr/org", admin)["name"] == "Haneul Labs (mine)"


def _anonymous(browser: Any, base_url: str, locale: str = "en-US") -> Any:
    context = browser.new_context(base_url=base_url, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_sign_in_without_slack_shows_no_slack_button_and_no_json(stack: Any, browser: Any, locale: str) -> None:
    page = _anonymous(browser, stack.base_url, locale)
    try:
        page.goto("/signin")
        picker = page.get_by_role("button", name=re.compile("박지우"))
        expect(picker).to_contain_text("Product (" + ("리드" if locale == "ko-KR" else "Lead") + ")")
        expect(page.locator("a.btn--slack")).to_have_count(0)
        # Someone who follows an old "Sign in with Slack" link lands on a sentence, in their language.
        page.goto("/api/auth/slack/login?next=/")
        assert page.url.endswith("/signin?error=slack_unconfigured")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("관리자" if locale == "ko-KR" else "isn’t set up")
        assert "{" not in page.locator("body").inner_text()
    finally:
        page.context.close()


def test_error_pages_are_sentences_in_the_persons_language(new_page: Any, browser: Any, stack: Any) -> None:
    page = new_page(EMMA)
    for path in ("/objectives/987654", "/admin/settings", "/no/such/page"):  # 404, 403 (not an admin), no route
        page.goto(path)
        page.wait_for_load_state("networkidle")
        body = page.locator("main").inner_text()
        assert "{" not in body and "detail" not in body and body.strip(), (path, body)
    # The network goes down: a page whose data this browser never saw says so in a sentence
    # (the app itself opens from the service worker's cache; pages seen before show their data).
    page.goto("/")
    page.get_by_role("heading", level=1).wait_for()
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    objectives = api(stack.base_url, "GET", "/api/okr/objectives?cycle=2027-Q1", api_login(stack.base_url, EMMA))
    page.goto(f"/objectives/{objectives[-1]['id']}")
    expect(page.get_by_role("alert").first).to_contain_text(re.compile("offline|오프라인|연결"), timeout=10_000)
    assert "{" not in page.locator("main").inner_text()
    page.context.set_offline(False)


def test_a_submitted_card_names_its_approvers_and_a_lead_is_told_why_she_cannot(new_page: Any, product: dict[str, Any]) -> None:
    base, cookies = product["base_url"], product["cookies"]
    emma = next(u for u in api(base, "GET", "/api/okr/users", cookies) if u["email"] == EMMA)
    made = api(base, "POST", "/api/okr/objectives", cookies, {
        "cycle": "2027-Q2", "team_id": product["id"], "title": "Approve me", "owner_id": emma["id"], "key_results": [
            {"title": "Signups", "kind": "number", "start": 0, "target": 10}]})
    api(base, "POST", f"/api/okr/objectives/{made['id']}/submit", cookies)
    approvers = api(base, "GET", f"/api/okr/objectives/{made['id']}/approvers", cookies)["approvers"]
    users = {u["id"]: u["name"] for u in api(base, "GET", "/api/okr/users", cookies)}
    page = new_page(JIWOO)  # she leads Product, whose objectives the company's leads approve
    page.goto(f"/cycles/2027-Q2/teams/{product['id']}/draft")
    note = page.get_by_test_id(f"approvers-{made['id']}")
    expect(note).to_contain_text(users[approvers[0]])
    jiwoo = next(u for u in api(base, "GET", "/api/okr/users", cookies) if u["email"] == JIWOO)
    expect(note).to_contain_text("리드지만" if jiwoo["locale"] == "ko" else "You lead Product")
    expect(page.get_by_test_id(f"objective-{made['id']}").get_by_role("button", name=re.compile("^(Approve|승인)$"))).to_have_count(0)


def test_close_objective_is_offered_only_to_its_owner_leads_and_admins(new_page: Any, product: dict[str, Any]) -> None:
    base, cookies = product["base_url"], product["cookies"]
    emma = next(u for u in api(base, "GET", "/api/okr/users", cookies) if u["email"] == EMMA)
    team = api(base, "GET", f"/api/okr/teams/{product['id']}", cookies)
    assert {"user_id": emma["id"], "role": "member"} in team["members"]
    theirs = next(o for o in api(base, "GET", f"/api/okr/objectives?cycle=2027-Q1&team_id={product['id']}", cookies)
                  if o["owner_id"] != emma["id"] and o["status"] != "closed")
    page = new_page(EMMA)
    page.goto(f"/objectives/{theirs['id']}")
    page.get_by_role("heading", level=1).wait_for()
    expect(page.get_by_role("button", name="Close objective")).to_have_count(0)
    lead = new_page(JIWOO)
    lead.goto(f"/objectives/{theirs['id']}")
    expect(lead.get_by_role("button", name=re.compile("^(Close objective|목표 마감)$"))).to_have_count(1)


def test_1e309_is_never_sent_and_one_click_reverts_to_the_saved_value(new_page: Any, product: dict[str, Any]) -> None:
    """The seen example: typing 1e309 into a target autosaved 1e30 while the field said it was
    not a finite number, and Retry resent it."""
    base, cookies = product["base_url"], product["cookies"]
    draft = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q2&team_id={product['id']}", cookies)[0]
    kr = next(k for k in draft["key_results"] if k["kind"] in ("number", "percent"))
    page = new_page(EMMA)
    page.goto(f"/cycles/2027-Q2/teams/{product['id']}/draft")
    target = page.get_by_test_id(f"kr-{kr['id']}").get_by_label(re.compile("^(Target|목표값)$"))
    target.click()
    target.fill("")
    target.press_sequentially("1e309", delay=60)
    page.wait_for_timeout(1500)  # well past the debounce
    assert api(base, "GET", f"/api/okr/key-results/{kr['id']}", cookies)["target"] == kr["target"]
    expect(target).to_have_value("1e309")  # shown as typed, with a note, not silently replaced
    note = page.get_by_test_id(f"kr-{kr['id']}").get_by_role("alert")
    expect(note).to_be_visible()
    page.get_by_test_id(f"kr-{kr['id']}").get_by_test_id("revert").click()
    expect(target).to_have_value(re.compile(f"^{kr['target']:g}$"))
    expect(note).to_have_count(0)
    # A finished number is saved as usual.
    target.fill("")
    target.press_sequentially(str(int(kr["target"]) + 1), delay=30)
    target.press("Tab")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and api(base, "GET", f"/api/okr/key-results/{kr['id']}", cookies)["target"] == kr["target"]:
        time.sleep(0.2)
    assert api(base, "GET", f"/api/okr/key-results/{kr['id']}", cookies)["target"] == int(kr["target"]) + 1


def test_a_silently_dropped_connection_shows_offline_within_3_seconds_and_syncs_after(new_page: Any, product: dict[str, Any]) -> None:
    """The seen example: 14 s of "Saving…" before "Offline". Here the network stops carrying
    anything (no close, no error: a dead Wi-Fi), the worst case."""
    up = [True]
    page = new_page(EMMA)

    def route(ws: Any) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda m: server.send(m) if up[0] else None)
        server.on_message(lambda m: ws.send(m) if up[0] else None)

    page.context.route_web_socket(re.compile(r"/socket\.io/"), route)
    base, cookies = product["base_url"], product["cookies"]
    draft = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q2&team_id={product['id']}", cookies)[0]
    page.goto(f"/cycles/2027-Q2/teams/{product['id']}/draft")
    title = page.get_by_test_id(f"objective-title-{draft['id']}")
    expect(title).to_be_editable()
    page.wait_for_timeout(500)
    up[0] = False
    title.click()
    title.press("End")
    title.press_sequentially(" now", delay=20)
    started = time.monotonic()
    # Looked at every frame: `expect` polls at growing intervals (up to a second), which
    # would add its own delay to what is measured.
    page.wait_for_function("() => document.querySelector('[data-testid=save-state]')?.dataset.state === 'offline'",
                           polling="raf", timeout=3_500)
    assert time.monotonic() - started < 3.0 + 0.4  # the debounce (0.4 s) starts the clock
    up[0] = True
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=15_000)
    assert api(base, "GET", f"/api/okr/objectives/{draft['id']}", cookies)["title"].endswith(" now")


def test_a_reload_while_offline_opens_the_app_with_the_queued_edit(new_page: Any, product: dict[str, Any]) -> None:
    """The seen example: a reload while offline showed Chrome's error page."""
    base, cookies = product["base_url"], product["cookies"]
    draft = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q2&team_id={product['id']}", cookies)[0]
    page = new_page(EMMA)
    path = f"/cycles/2027-Q2/teams/{product['id']}/draft"
    page.goto(path)
    title = page.get_by_test_id(f"objective-title-{draft['id']}")
    expect(title).to_be_editable()
    page.wait_for_function("navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller || true)")
    page.reload()  # the worker now controls the page and has seen its data
    page.wait_for_function("!!navigator.serviceWorker.controller")
    expect(title).to_be_editable()
    page.context.set_offline(True)
    title.click()
    title.press("End")
    title.press_sequentially(" offline", delay=20)
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "offline", timeout=3_000)
    page.reload()
    expect(page.get_by_test_id(f"objective-title-{draft['id']}")).to_have_value(re.compile(" offline$"), timeout=10_000)
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "offline")
    page.context.set_offline(False)
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-state", "saved", timeout=15_000)
    assert api(base, "GET", f"/api/okr/objectives/{draft['id']}", cookies)["title"].endswith(" offline")


def test_a_past_quarter_reads_as_history(new_page: Any, product: dict[str, Any]) -> None:
    """The seen example: "No objectives for 2026-Q3 yet — start with one", "View 2026-Q3 draft"."""
    base, cookies = product["base_url"], product["cookies"]
    kr = [{"title": "Activation", "kind": "percent", "start": 20, "target": 40}]
    done = api(base, "POST", "/api/okr/objectives", cookies, {"cycle": "2026-Q3", "team_id": product["id"],
                                                               "title": "Faster onboarding", "key_results": kr})
    open_one = api(base, "POST", "/api/okr/objectives", cookies, {"cycle": "2026-Q3", "team_id": product["id"],
                                                                   "title": "Self-serve billing", "key_results": kr})
    api(base, "POST", f"/api/okr/objectives/{done['id']}/close", cookies, {"score": 0.7, "note": "Most of it shipped"})
    carried = api(base, "POST", f"/api/okr/objectives/{open_one['id']}/carry-over", cookies)
    api(base, "POST", "/api/feedback/feedback", cookies, {"kind": "retro", "team_id": product["id"], "cycle": "2026-Q3",
                                                         "went_well": "Pairing on onboarding", "to_improve": "Scope",
                                                         "score": 0.6})
    page = new_page(EMMA)
    page.goto(f"/cycles/2026-Q3?team={product['id']}")
    history = page.get_by_test_id("past-quarter")
    expect(history).to_contain_text("Pairing on onboarding")
    expect(page.get_by_test_id(f"objective-score-{done['id']}")).to_contain_text("0.7")
    expect(page.get_by_test_id(f"objective-score-{done['id']}")).to_contain_text("Most of it shipped")
    expect(history.get_by_test_id("carried-over")).to_contain_text(carried["title"])
    body = page.locator("main").inner_text()
    assert "start with one" not in body and "Draft objectives" not in body
    page.goto(f"/teams/{product['id']}?cycle=2026-Q3")
    expect(page.get_by_test_id("past-quarter")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name=re.compile("draft|Edit 2026-Q3", re.I))).to_have_count(0)
    # A past quarter with nothing in it says so, without offering to draft it.
    page.goto(f"/cycles/2025-Q4?team={product['id']}")
    expect(page.get_by_text(re.compile("had no objectives in 2025-Q4|2025-Q4"))).not_to_have_count(0)
    assert "start with one" not in page.locator("main").inner_text()


def test_a_tap_on_a_phone_opens_the_check_in_and_records_only_on_confirm(stack: Any, browser: Any, product: dict[str, Any]) -> None:
    """The seen example: a stray tap while scrolling recorded a check-in. Desktop keeps one click."""
    base, cookies = product["base_url"], product["cookies"]
    objective = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q1&team_id={product['id']}", cookies)[0]
    kr = next(k for k in objective["key_results"] if k["kind"] in ("number", "percent"))
    before = len(api(base, "GET", f"/api/okr/key-results/{kr['id']}/check-ins", cookies))
    context = browser.new_context(base_url=base, viewport={"width": 375, "height": 812}, has_touch=True, is_mobile=True,
                                  locale="en-US")
    context.add_cookies([{"name": k, "value": v, "url": base} for k, v in api_login(base, JIWOO).items()])
    try:
        phone = context.new_page()
        phone.set_default_timeout(15_000)
        phone.goto(f"/cycles/2027-Q1?team={product['id']}")
        hit = phone.get_by_test_id(f"kr-checkin-{kr['id']}").locator(".checkin__hit")
        # The page may re-render the card once its live data lands (the bar is replaced, not
        # moved): measure the bar that stays, not one React is about to drop.
        expect(hit).to_be_visible()
        phone.wait_for_load_state("networkidle")
        box = None
        for _ in range(5):
            try:
                hit.scroll_into_view_if_needed()
                box = hit.bounding_box()
                break
            except PlaywrightError:
                phone.wait_for_timeout(200)
        assert box is not None
        hit.tap(position={"x": box["width"] * 0.6, "y": box["height"] / 2})
        confirm = phone.get_by_test_id("checkin-confirm")
        expect(confirm).to_be_visible()
        phone.wait_for_timeout(800)
        assert len(api(base, "GET", f"/api/okr/key-results/{kr['id']}/check-ins", cookies)) == before  # nothing yet
        confirm.tap()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(api(base, "GET", f"/api/okr/key-results/{kr['id']}/check-ins", cookies)) == before:
            time.sleep(0.2)
        assert len(api(base, "GET", f"/api/okr/key-results/{kr['id']}/check-ins", cookies)) == before + 1
    finally:
        context.close()


def test_chat_says_who_is_typing(new_page: Any, product: dict[str, Any]) -> None:
    base, cookies = product["base_url"], product["cookies"]
    oid = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q1&team_id={product['id']}", cookies)[0]["id"]
    a, b = new_page(EMMA), new_page(JIWOO)
    a.goto(f"/objectives/{oid}#chat")
    b.goto(f"/objectives/{oid}#chat")
    b.get_by_test_id("chat-input").wait_for()
    a.get_by_test_id("chat-input").press_sequentially("Looks good", delay=20)
    expect(b.get_by_test_id("chat-typing")).to_contain_text("Emma Lee", timeout=5000)
    a.get_by_test_id("chat-input").press("Enter")
    expect(b.get_by_test_id("chat-typing")).to_have_count(0, timeout=5000)


def test_a_remote_keystroke_marks_the_field_not_the_card_and_the_retro_shows_who_is_in_it(
        new_page: Any, product: dict[str, Any]) -> None:
    base, cookies = product["base_url"], product["cookies"]
    draft = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q2&team_id={product['id']}", cookies)[0]
    path = f"/cycles/2027-Q2/teams/{product['id']}/draft"
    a, b = new_page(EMMA), new_page(JIWOO)
    a.goto(path)
    b.goto(path)
    mine = a.get_by_test_id(f"objective-title-{draft['id']}")
    theirs = b.get_by_test_id(f"objective-title-{draft['id']}")
    theirs.wait_for()
    mine.click()
    mine.press("End")
    mine.press_sequentially("!", delay=20)  # a first edit may send a submitted objective back to draft: the card's news
    expect(theirs).to_have_value(re.compile("!$"))
    card = b.get_by_test_id(f"objective-{draft['id']}")
    field = b.locator(".field", has=theirs)
    expect(card).not_to_have_class(re.compile("is-flash"), timeout=5000)  # that highlight is over
    expect(field).not_to_have_attribute("data-flash", "on", timeout=5000)
    mine.press_sequentially("!", delay=20)  # now only the title changes
    expect(field).to_have_attribute("data-flash", "on", timeout=5000)
    assert "is-flash" not in (card.get_attribute("class") or "")
    # The retro shows who is in which field, like the draft page.
    retro_path = f"/feedback?team={product['id']}&cycle=2026-Q2"
    a.goto(retro_path)
    b.goto(retro_path)
    expect(b.get_by_test_id("retro-to_improve")).to_be_visible()  # the watcher has the retro open first
    a.get_by_test_id("retro-to_improve").click()
    expect(a.get_by_test_id("retro-to_improve")).to_be_editable()
    a.get_by_test_id("retro-to_improve").click()
    tag = b.locator(".field--others", has=b.get_by_test_id("retro-to_improve")).locator(".field__tag")
    # A saturated realtime replica coalesces presence into its next sweep (up to 2 s late).
    expect(tag).to_have_text("Emma Lee", timeout=10_000)


def test_start_and_target_stay_on_one_line_on_a_phone(new_page: Any, product: dict[str, Any]) -> None:
    base, cookies = product["base_url"], product["cookies"]
    draft = api(base, "GET", f"/api/okr/objectives?cycle=2027-Q2&team_id={product['id']}", cookies)[0]
    kr = next(k for k in draft["key_results"] if k["kind"] in ("number", "percent"))
    phone = new_page(EMMA, width=375, height=812)
    phone.goto(f"/cycles/2027-Q2/teams/{product['id']}/draft")
    row = phone.get_by_test_id(f"kr-{kr['id']}")
    start = row.get_by_label(re.compile("^(Start|시작값)$"))
    target = row.get_by_label(re.compile("^(Target|목표값)$"))
    start.wait_for()
    s, t = start.bounding_box(), target.bounding_box()
    assert s and t and abs(s["y"] - t["y"]) < 4 and t["x"] > s["x"], (s, t)
    arrow = row.locator(".kredit__arrow").bounding_box()
    assert arrow and s["x"] < arrow["x"] < t["x"]


def test_feedback_reworded_in_two_tabs_keeps_both_edits(new_page: Any, product: dict[str, Any]) -> None:
    """A feedback body is written by its author only, but in two tabs it must not overwrite itself."""
    cookies = api_login(product["base_url"], EMMA)
    made = api(product["base_url"], "POST", "/api/feedback/feedback", cookies,
               {"kind": "praise", "to_team_id": product["id"], "body": "Great demo."})
    a, b = new_page(EMMA), new_page(EMMA)
    for page in (a, b):
        page.goto("/feedback")
        page.get_by_role("tab", name=re.compile("Given by me|내가 남긴")).click()
        card = page.locator("li.fbcard", has_text="Great demo.")
        card.get_by_role("button", name=re.compile("^(Edit|수정)$")).click()
    body_a, body_b = a.get_by_test_id(f"feedback-body-{made['id']}"), b.get_by_test_id(f"feedback-body-{made['id']}")
    body_a.press("End")
    body_a.press_sequentially(" Thanks!", delay=20)
    body_b.press("Home")
    body_b.press_sequentially("Wow. ", delay=20)
    deadline = time.monotonic() + 10
    saved = ""
    while time.monotonic() < deadline:
        saved = api(product["base_url"], "GET", f"/api/feedback/feedback/{made['id']}", cookies)["body"]
        if "Thanks!" in saved and "Wow." in saved:
            break
        time.sleep(0.3)
    assert saved == "Wow. Great demo. Thanks!", saved


def test_the_first_use_hint_sits_under_the_bar_and_leaves_it_whole(new_page: Any) -> None:
    """The hint once sat beside the bar in its flex row and squeezed it to a sliver on the
    dashboard's key result cards."""
    page = new_page(EMMA, width=1366, height=900)
    page.goto("/")
    hint = page.get_by_test_id("checkin-hint").first
    expect(hint).to_be_visible(timeout=10_000)
    bar = hint.locator("xpath=preceding-sibling::div[contains(@class, 'checkin--bar')][1]")
    bar_box, hint_box = bar.bounding_box(), hint.bounding_box()
    assert bar_box is not None and hint_box is not None
    assert bar_box["width"] >= 0.8 * hint_box["width"], (bar_box, hint_box)
    assert hint_box["y"] >= bar_box["y"] + bar_box["height"] - 1  # below the bar, outside its click area
