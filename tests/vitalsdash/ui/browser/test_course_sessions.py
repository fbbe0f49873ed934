"""A course of sessions in a real browser: the instructor chooses a patient file on the
console, the form says "Session 2 of 6 for Mrs Jane Doe", starts it, and the review page
of that session shows the course: session 1 (linked) and this one.

The patient file and its session 1 are written into the clinic's store by a second
runtime (its own chair, never started), so the clinic's chairs are left alone; the
instructor starts session 2 on a chair of this module's own (no session, not autostarted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from infusion_start import start_infusion
from playwright.sync_api import Page, expect

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.runtime._core import Bed  # a test hook: a chair added for the test

pytestmark = pytest.mark.browser
BED = "chair11"
NAME = "Mrs Jane Doe"


@dataclass
class Course:
    patient: int
    first: int


@pytest.fixture(scope="module")
def course(clinic) -> Course:
    """Mrs Jane Doe's file and her session 1 (infusion given, dissociation charted)."""
    store = clinic.runtime.store
    beds = [BedConfig(id="course-a", label="Course A", scenario="uneventful-depression",
                      seed=3, autostart=False)]  # fmt: skip
    rt = Runtime(ClinicConfig(clinic=ClinicSection(name="course", speed=60), beds=beds),
                 store, Feed(store), clock=ManualClock())  # fmt: skip
    made = rt.submit("course-a", "create_patient",
                     {"name": NAME, "scenario": "uneventful-depression", "seed": 4242},
                     "instructor")  # fmt: skip
    pid = made["patient_id"]
    first = rt.submit("course-a", "start_session", {"patient": pid}, "instructor")["session_id"]
    rt.advance(600)
    start_infusion(rt, "course-a")
    rt.advance(2400)
    rt.submit("course-a", "chart", {"kind": "dissociation", "value": 6})
    rt.advance(600)
    rt.submit("course-a", "end_session", {}, "instructor")
    return Course(pid, first)


@pytest.fixture(scope="module")
def chair(clinic) -> Iterator[str]:
    rt = clinic.runtime
    cfg = BedConfig(id=BED, label="Chair 11", scenario="uneventful-depression", seed=9,
                    autostart=False)  # fmt: skip
    with rt.lock:
        rt.beds[BED] = Bed(cfg)
    yield BED
    with rt.lock:
        s = rt.beds[BED].session
        if s is not None and s.status == "running":
            rt.submit(BED, "end_session", {}, "instructor")
        rt.beds.pop(BED)


def _cells(page: Page, table_id: str) -> list[list[str]]:
    return page.evaluate(
        """(id) => Array.from(document.querySelectorAll('#' + id + ' tbody tr'),
            tr => Array.from(tr.cells, td => td.innerText.trim()))""",
        table_id,
    )


def test_the_instructor_starts_session_2_and_the_review_shows_both(
    page: Page, clinic, course: Course, chair: str, errors: list[str]
) -> None:
    page.goto(clinic.url + "/instructor")
    card = page.locator(f'.ins-card[data-bed="{chair}"]')
    expect(card.locator(".ins-status")).to_have_text("No session")
    picker = card.get_by_label("Patient", exact=True)
    expect(picker.locator(f'option[value="{course.patient}"]')).to_have_text(
        f"{NAME} · uneventful-depression · 1 of 6 given"
    )
    # a new patient file from the chair's scenario and seed: the list chooses it
    card.get_by_label("Seed").fill("77")
    card.locator("summary", has_text="New patient file").click()
    card.get_by_label("Name").fill("Mr Tom Roe")
    card.get_by_label("Sessions").fill("4")
    card.get_by_role("button", name="Create patient").click()
    expect(card.locator(".ins-msg")).to_have_text(
        "Patient file created: Mr Tom Roe (uneventful-depression, seed 77, 4 sessions)"
    )
    expect(card.locator(".ins-course-next")).to_have_text("Session 1 of 4 for Mr Tom Roe")
    tom = clinic.runtime.store.patients()[-1]
    assert (tom["name"], tom["seed"], tom["sessions_planned"]) == ("Mr Tom Roe", 77, 4)
    expect(picker).to_have_value(str(tom["id"]))
    picker.select_option(str(course.patient))
    expect(card.locator(".ins-course-next")).to_have_text(f"Session 2 of 6 for {NAME}")
    expect(card.locator(".ins-course-who")).to_contain_text("seed 4242")
    card.get_by_role("button", name="Start this session").click()
    expect(card.locator(".ins-msg")).to_have_text(f"Session 2 of 6 for {NAME} started")
    expect(card.locator(".ins-status")).to_have_text(re.compile(r"^Baseline · 0:00:0\d$"))
    expect(card.locator(".ins-patient")).to_contain_text(f"Session 2 of 6 for {NAME}")

    s = clinic.runtime.beds[chair].session
    second = s.session_id
    store = clinic.runtime.store
    assert store.course_of(second) == {"patient_id": course.patient, "session_number": 2}
    assert s.source.sim.cohort.session_number == 2
    assert store.session(second)["patient"] == store.session(course.first)["patient"]

    page.goto(f"{clinic.url}/review/{second}")
    section = page.locator("#review-course-section")
    expect(section).to_be_visible()
    expect(page.locator("#review-course-title")).to_have_text(
        f"Course of {NAME}: 2 of 6 sessions · uneventful-depression"
    )
    rows = _cells(page, "review-course")
    assert [r[0] for r in rows] == ["1", "2 (this session)"]
    assert rows[0][6] == "6.0"  # the dissociation charted in session 1
    assert re.fullmatch(r"\d{2,3}/\d{2,3}", rows[0][3])  # its highest cuff reading
    expect(section.get_by_role("link", name="1", exact=True)).to_have_attribute(
        "href", f"/review/{course.first}"
    )
    expect(page.locator("#review-course-trend .js-plotly-plot")).to_be_attached()
    assert errors == []
