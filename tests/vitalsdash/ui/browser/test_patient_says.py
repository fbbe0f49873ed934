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


def test_the_bedside_shows_what_the_patient_says(page: Page, server: Served) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # a calm baseline says nothing: the nurse starts the infusion once the check allows it
    server.wait_for("the infusion to start", lambda: server.post(
        f"/api/beds/{BED}/actions", {"kind": "start_infusion"})[0] == 200)  # fmt: skip
    first = server.wait_for("the patient's first words", lambda: _said(server))
    page.goto(f"http://127.0.0.1:{server.port}/bed/{BED}")
    box = page.locator("#patient-says")
    expect(box).to_be_visible(timeout=15_000)
    expect(box).to_contain_text("Patient says")
    expect(page.locator("#patient-says-words")).to_have_text(f"“{first['words']}”")
    expect(page.locator("#patient-says-time")).to_have_text(re.compile(r"^at \d:\d\d:\d\d$"))

    # the patient's later complaint reaches the open page
    words = page.locator("#patient-says-words")
    complaint = re.compile(r"^“.*(head|chest).*”$", re.IGNORECASE)  # very high BP
    expect(words).to_have_text(complaint, timeout=90_000)
    assert errors == []
