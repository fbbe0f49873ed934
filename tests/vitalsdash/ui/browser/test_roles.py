"""Each role in the browser, on every page, with logins on as in a classroom.

Every response the browser gets from the server while a trainee or an observer uses the
dashboard (page layouts, every Dash callback answer, the API, the wave packets) is read
and checked for the simulated patient's hidden state; the same pages as the instructor
do show it, so the check can fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from vitalsdash import channels
from vitalsdash.access import hash_password

PASSWORD = "correct horse battery"
CODE = "K7QX2M"
HIDDEN_IDS = [c.id for c in channels.all_channels()
              if c.kind is channels.Kind.HIDDEN and not c.pump_rate]  # fmt: skip
HIDDEN_WORDS = [c.label for c in channels.all_channels()
                if c.kind is channels.Kind.HIDDEN and not c.pump_rate]  # fmt: skip

# page -> who may open it (the others get the "not for this account" page)
PAGES = {
    "/": {"instructor", "trainee", "observer"},
    "/bed/chair1": {"instructor", "trainee", "observer"},
    "/settings": {"instructor", "trainee"},
    "/instructor": {"instructor"},
    "/review": {"instructor"},
    "/class": {"instructor"},
    "/results/me": {"trainee"},
}
PAGE_MARK = {
    "/": "#central-grid, .tile",
    "/bed/chair1": ".bed-name",
    "/settings": ".settings-page",
    "/instructor": ".instructor-page, .console-page",
    "/review": ".review-page, .page",
    "/class": ".class-page",
    "/results/me": ".results-page",
}


@pytest.fixture(scope="module")
def classroom(clinic) -> Iterator:
    """Logins on, an instructor and an observer with passwords, a class code, and chair 1
    assigned to the trainee Tara (who joins in the tests); back to the open demo after."""
    store, now = clinic.runtime.store, clinic.runtime.wall()
    for name, role in (("Ines Moreau", "instructor"), ("Otto Projector", "observer")):
        if store.user_by_name(name) is None:
            store.add_user(name, role, hash_password(PASSWORD))
    if store.user_by_name("Tara Diaz") is None:
        store.add_user("Tara Diaz", "trainee")
    store.new_class_code(CODE, None, now, now + timedelta(hours=12))
    store.assign_chair("chair1", store.user_by_name("Tara Diaz")["id"], None, now)
    clinic.policy.require_login = True
    try:
        yield clinic
    finally:
        clinic.policy.require_login = False
        store.assign_chair("chair1", None, None, now)


def sign_in(page, clinic, role: str) -> None:
    if role == "trainee":
        page.goto(f"{clinic.url}/join")
        page.fill("input[name=class_code]", CODE.lower())
        page.fill("input[name=name]", "tara diaz")
        page.click("button[type=submit]")
    else:
        page.goto(f"{clinic.url}/login")
        name = "Ines Moreau" if role == "instructor" else "Otto Projector"
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
    page.wait_for_selector("#who .who-name", timeout=15_000)


def _watch(page) -> list[tuple[str, str]]:
    """Every answer from our server with a body a page reads (not the endless event
    stream): (url, text)."""
    seen: list[tuple[str, str]] = []

    def on_response(response) -> None:
        kind = response.headers.get("content-type", "")
        if "event-stream" in kind or response.request.resource_type in ("image", "font"):
            return
        try:
            body = response.body()
        except Exception:
            return
        seen.append((response.url, body.decode("utf-8", "replace")))

    page.on("response", on_response)
    return seen


def test_without_signing_in_every_page_goes_to_the_sign_in_page(classroom, page) -> None:
    for path in PAGES:
        page.goto(f"{classroom.url}{path}")
        page.wait_for_selector("input[name=password]")
        assert "/login" in page.url
    r = page.request.post(f"{classroom.url}/_dash-update-component", data="{}",
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status == 401
    assert page.request.get(f"{classroom.url}/api/beds").status == 401


def test_signing_in_returns_to_the_page_asked_for_with_a_safe_cookie(classroom, page) -> None:
    page.goto(f"{classroom.url}/instructor")
    page.fill("input[name=name]", "Ines Moreau")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "do not match" in page.inner_text(".access-error")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/instructor$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "vitalsdash_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    page.click("#sign-out")
    page.wait_for_selector("input[name=password]")
    page.goto(f"{classroom.url}/instructor")
    assert "/login" in page.url


@pytest.mark.parametrize("role", ["instructor", "trainee", "observer"])
def test_each_role_on_every_page(classroom, page, errors, role: str) -> None:
    seen = _watch(page)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, classroom, role)
    nav = page.inner_text(".shell-nav")
    for path, roles in PAGES.items():
        page.goto(f"{classroom.url}{path}")
        if role in roles:
            page.wait_for_selector(PAGE_MARK[path], timeout=15_000)
            assert "Not for this account" not in page.content(), path
        else:
            page.wait_for_selector(".access-why")
            assert page.title().startswith("Not for this account")
            assert "signed in as" in page.inner_text(".access-why")
        page.wait_for_timeout(1500)  # a tick or two of every callback on the page
    if role != "instructor":
        assert "Instructor" not in nav
        assert "Review" not in nav
        text = "\n".join(body for _, body in seen)
        leaks = [h for h in HIDDEN_IDS + HIDDEN_WORDS if h in text]
        assert leaks == [], [u for u, b in seen if any(h in b for h in leaks)][:5]
        assert len([u for u, _ in seen if "_dash-update-component" in u]) > 5
    else:
        assert "Instructor" in nav
        text = "\n".join(body for _, body in seen)
        assert any(w in text for w in HIDDEN_WORDS)  # the console shows the hidden state
    # the refused pages answer 403 (the browser logs that); nothing else fails
    assert [e for e in errors if "403" not in e] == [], (errors, failed)


def test_an_observer_watches_a_chair_but_cannot_act(classroom, page) -> None:
    sign_in(page, classroom, "observer")
    page.goto(f"{classroom.url}/bed/chair1")
    page.wait_for_selector("#watch-only")
    assert "cannot act" in page.inner_text("#watch-only")
    assert page.is_disabled("#act-reassure")
    r = page.request.post(f"{classroom.url}/api/beds/chair1/actions",
                          data='{"kind": "reassure"}',
                          headers={"Content-Type": "application/json",
                                   "Origin": classroom.url})  # fmt: skip
    assert r.status == 403


def test_a_trainee_acts_on_their_chair_and_watches_the_others(classroom, page) -> None:
    sign_in(page, classroom, "trainee")
    page.goto(f"{classroom.url}/bed/chair2")
    page.wait_for_selector("#watch-only")
    assert "not assigned to you" in page.inner_text("#watch-only")
    assert page.is_disabled("#act-reassure")
    page.goto(f"{classroom.url}/bed/chair1")
    page.wait_for_selector(".bed-name")
    assert page.locator("#watch-only").count() == 0
    page.click("#act-reassure")
    page.wait_for_selector(".action-toast.show, .action-toast .toast-body")
    sid = classroom.runtime.beds["chair1"].session.session_id
    classroom.advance(1)
    rows = [a for a in classroom.runtime.store.actions(sid) if a["kind"] == "reassure"]
    assert rows
    assert rows[-1]["user_name"] == "Tara Diaz"
    assert rows[-1]["actor"] == "trainee"


def test_every_callback_and_route_is_classified(classroom) -> None:
    """A new callback or route is closed until the matrix says who may use it: here,
    every one the app has is classified."""
    from vitalsdash.server._access import ROUTE_CAPABILITIES, _route_capability

    policy = classroom.policy
    unclassified = [
        o for o in policy.dash_app.callback_map if policy.callback_capability(o) is None
    ]
    assert unclassified == []
    server = policy.dash_app.server
    rules = [r.rule for r in server.url_map.iter_rules() if "<path:" not in r.rule]
    assert [
        r for r in rules if _route_capability(r.replace("<", "").replace(">", "")) is None
    ] == []
    assert ROUTE_CAPABILITIES  # the table the guard reads


def test_a_trainee_cannot_call_the_instructors_callbacks_directly(classroom, page) -> None:
    policy = classroom.policy
    instructor_outputs = [o for o in policy.dash_app.callback_map
                          if policy.callback_capability(o) == "instructor_console"]  # fmt: skip
    router = next(o for o in policy.dash_app.callback_map
                  if policy.callback_capability(o) == "router")  # fmt: skip
    assert instructor_outputs
    sign_in(page, classroom, "trainee")
    headers = {"Content-Type": "application/json", "Origin": classroom.url}
    for output in instructor_outputs:
        body = {"output": output, "outputs": [], "inputs": [], "state": [], "changedPropIds": []}
        r = page.request.post(f"{classroom.url}/_dash-update-component", data=body,
                              headers=headers)  # fmt: skip
        assert r.status == 403, output
        assert "instructor" in r.json()["message"]
    body = {"output": router, "outputs": [], "changedPropIds": [],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/instructor"},
                       {"id": "_pages_location", "property": "search", "value": ""}]}  # fmt: skip
    r = page.request.post(f"{classroom.url}/_dash-update-component", data=body, headers=headers)
    assert r.status == 403
