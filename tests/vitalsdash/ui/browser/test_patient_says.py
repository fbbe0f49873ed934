"""The bedside shows what the patient says: their words in quotes, and when.

A chair of its own, served by ``vitalsdash run`` in a child process (tests/helpers/
served.py) at x120: a hypertensive responder who is nervous at the start and, once the
infusion is in, complains of a pounding head and a tight chest as the blood pressure
climbs. The page is
pushed to (the clinic's ``live_updates``), so the new words arrive without a reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from served import Served

pytestmark = pytest.mark.browser

BED = "says1"
CLINIC_TOML = f"""
[clinic]
name = "Patient words clinic"
speed = 120
live_updates = "push"

[[beds]]
id = "{BED}"
label = "Words chair"
scenario = "hypertensive-responder"
seed = 3
"""
TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("says")
    (tmp / "clinic.toml").write_text(CLINIC_TOML)
    srv = Served(tmp, "--db", str(tmp / "store.sqlite"), "--clinic", str(tmp / "clinic.toml"),
                 timeout_s=TIMEOUT_S, poll_s=0.2)  # fmt: skip
    try:
        srv.start()
        srv.wait_for("the server", lambda: srv.request("GET", "/api/health", timeout=5)[0] == 200)
        yield srv
    finally:
        srv.stop()


def _said(server: Served) -> dict | None:
    beds = server.get("/api/beds")
    return (beds[0]["session"] or {}).get("patient_said")


def _shows_the_latest(page: Page, server: Served) -> bool:
    """The page shows the words the patient said last (the API's, asked now)."""
    said = _said(server)
    words = page.locator("#patient-says-words")
    return said is not None and words.count() > 0 and (
        words.inner_text() == f"“{said['words']}”")  # fmt: skip


def test_the_bedside_shows_what_the_patient_says(page: Page, server: Served) -> None:
    """At x120 the patient's words come seconds apart: each check compares the page with
    what the API says was said last, at that moment."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a calm baseline says nothing: the nurse starts the infusion once the check allows it
    server.wait_for("the infusion to start", lambda: server.post(
        f"/api/beds/{BED}/actions", {"kind": "start_infusion"})[0] == 200)  # fmt: skip
    page.goto(f"http://127.0.0.1:{server.port}/bed/{BED}")
    expect(page.locator("#bed-phase")).to_contain_text(" · ", timeout=15_000)  # live
    # the words reach the open page as the patient says them (pushed, no reload)
    server.wait_for("the patient's words on the open page", lambda: _shows_the_latest(page, server))
    box = page.locator("#patient-says")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Patient says")
    expect(page.locator("#patient-says-time")).to_have_text(re.compile(r"^at \d:\d\d:\d\d$"))
    complaint = re.compile(r"^“.*(head|chest).*”$", re.IGNORECASE)  # very high BP
    expect(page.locator("#patient-says-words")).to_have_text(complaint)

    # a page opened afterwards shows what was said last
    fresh = page.context.new_page()
    fresh.on("pageerror", lambda e: errors.append(str(e)))
    fresh.goto(f"http://127.0.0.1:{server.port}/bed/{BED}")
    server.wait_for("the patient's last words on a page opened after them",
                    lambda: _shows_the_latest(fresh, server))  # fmt: skip
    expect(fresh.locator("#patient-says")).to_be_visible()
    fresh.close()
    assert errors == []
