"""Starting the infusion in a real browser: the bedside's pre-infusion checklist and its
Start button, the instructor's override with a reason, the central tile of a chair that
starts by itself (or is held), and the debrief on the review page.

The chairs are this module's own (added to the shared clinic, not autostarted); every
test starts a fresh session on the chair it uses, so the order of the tests is free.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from vitalsdash.config import BedConfig
from vitalsdash.runtime._core import Bed  # a test hook: chairs added for the test

pytestmark = pytest.mark.browser

CHAIRS = {
    "st-high": ("Start 172/108", "uncontrolled-hypertension", 21, False),
    "st-calm": ("Start calm", "uneventful-depression", 4, False),
    "st-caution": ("Start caution", "example-annotated", 4, False),
    "st-auto": ("Start auto", "uneventful-depression", 5, True),
    "st-held": ("Start held", "uncontrolled-hypertension", 22, True),
}
REASON = "Repeat BP 150/95 after rest; consultant agrees"


@pytest.fixture(scope="module")
def chairs(clinic) -> Iterator[None]:
    rt = clinic.runtime
    with rt.lock:
        for bed, (label, scenario, seed, auto) in CHAIRS.items():
            cfg = BedConfig(id=bed, label=label, scenario=scenario, seed=seed, autostart=False,
                            auto_start=auto)  # fmt: skip
            rt.beds[bed] = Bed(cfg)
    yield
    with rt.lock:
        for bed in CHAIRS:
            s = rt.beds[bed].session
            if s is not None and s.status == "running":
                rt.submit(bed, "end_session", {}, "instructor")
            rt.beds.pop(bed)


def fresh(clinic, bed: str) -> int:
    """A new session on ``bed`` (the one before, if any, ended): its id."""
    rt = clinic.runtime
    s = rt.beds[bed].session
    if s is not None and s.status == "running":
        rt.submit(bed, "end_session", {}, "instructor")
    return rt.submit(bed, "start_session", {}, "instructor")["session_id"]


def phase(clinic, bed: str) -> str:
    return clinic.runtime.beds[bed].session.phase.value


def test_a_blocked_patient_is_refused_to_the_trainee_and_started_by_the_instructor(
    page: Page, clinic, chairs, errors: list[str]
) -> None:
    sid = fresh(clinic, "st-high")
    clinic.advance(420)  # 7 min of baseline: two readings of about 172/108
    page.goto(clinic.url + "/bed/st-high")
    card = page.locator("#start-card")
    expect(card).to_be_visible()
    expect(page.locator("#start-headline")).to_contain_text("Do not start")
    bp = page.locator('#start-check li[data-item="bp"]')
    expect(bp).to_have_attribute("data-status", "blocked")
    expect(bp).to_contain_text(
        re.compile(r"^✗BP \d+/\d+ mmHg is at or above 160/100: do not start$")
    )
    expect(page.locator('#start-check li[data-item="screening_pregnancy"]')).to_have_text(
        "✓Pregnancy: no"
    )
    expect(page.locator('#start-check li[data-item="spo2"]')).to_have_attribute(
        "data-status", "pass"
    )
    # the trainee presses Start: refused, in the nurse's words
    page.locator("#start-infusion").click()
    toast = page.locator("#action-toast")
    expect(toast).to_contain_text("Not possible")
    expect(toast).to_contain_text("Not started. The pre-infusion check says: BP ")
    expect(toast).to_contain_text("is at or above 160/100: do not start")
    assert phase(clinic, "st-high") == "baseline"
    # the instructor: without a reason still refused, with one started
    page.goto(clinic.url + "/instructor")
    ins = page.locator('.ins-card[data-bed="st-high"]')
    ins.get_by_role("button", name="Start infusion").click()
    expect(ins.locator(".ins-msg")).to_contain_text(
        "Not possible: Not started: the pre-infusion check says BP "
    )
    expect(ins.locator(".ins-msg")).to_contain_text(
        "an instructor may start it anyway with a reason"
    )
    ins.get_by_label("Override reason").fill(REASON)
    ins.get_by_role("button", name="Start infusion").click()
    expect(ins.locator(".ins-msg")).to_have_text("Infusion started despite the check")
    clinic.advance(1)
    assert phase(clinic, "st-high") == "infusion"
    expect(ins.locator(".act-row").first).to_contain_text(
        f"Infusion started despite a blocked check: {REASON}"
    )
    page.goto(clinic.url + "/bed/st-high")
    expect(page.locator(".pump-state")).to_have_text("Running")
    expect(page.locator("#start-card")).to_be_hidden()
    # the debrief on the review page: the refused attempt and the override
    clinic.runtime.submit("st-high", "end_session", {}, "instructor")
    page.goto(f"{clinic.url}/review/{sid}")
    lines = page.locator("#review-start-lines")
    expect(lines).to_contain_text(
        "Trainee tried to start the infusion at 0:07:00: refused by the pre-infusion check (BP "
    )
    expect(lines).to_contain_text(
        f"Infusion started by instructor despite a blocked check: {REASON}"
    )
    expect(lines.locator(".start-bad").first).to_have_text(
        f"Infusion started by instructor despite a blocked check: {REASON}"
    )
    assert errors == []


def test_a_normal_patient_starts_from_the_bedside_button(
    page: Page, clinic, chairs, errors: list[str]
) -> None:
    fresh(clinic, "st-calm")
    clinic.advance(60)
    page.goto(clinic.url + "/bed/st-calm")
    expect(page.locator("#start-headline")).to_contain_text("Do not start")  # too early
    expect(page.locator('#start-check li[data-item="baseline_time"]')).to_contain_text(
        "Baseline of 5 min needed, 1 min so far"
    )
    clinic.advance(360)
    expect(page.locator("#start-headline")).to_contain_text("Ready to start")
    expect(page.locator('#start-check li[data-status="pass"]')).to_have_count(12)
    page.set_viewport_size({"width": 1280, "height": 800})  # the checklist fits the screen
    button = page.locator("#start-infusion").bounding_box()
    assert button is not None
    assert button["y"] + button["height"] <= 800, button
    assert page.evaluate("document.scrollingElement.scrollHeight <= innerHeight")
    page.locator("#start-infusion").click()
    expect(page.locator("#action-toast")).to_contain_text("Infusion started")
    expect(page.locator("#start-card")).to_be_hidden()
    clinic.advance(1)
    expect(page.locator(".pump-state")).to_have_text("Running")
    expect(page.locator("#bed-phase")).to_contain_text("Infusion")
    assert errors == []


def test_a_caution_start_asks_first(page: Page, clinic, chairs, errors: list[str]) -> None:
    fresh(clinic, "st-caution")
    clinic.advance(420)
    page.goto(clinic.url + "/bed/st-caution")
    expect(page.locator("#start-headline")).to_contain_text("Start with caution")
    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog) -> None:
            asked.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    def ask(accept: bool) -> None:
        n = len(asked)
        page.once("dialog", answer(accept))
        page.locator("#start-infusion").click()
        for _ in range(200):  # until the confirmation came (a server round trip away)
            if len(asked) > n:
                return
            page.wait_for_timeout(25)
        raise AssertionError("no confirmation was asked")

    ask(False)  # not now: nothing is sent
    assert "140/90: start with caution" in asked[0]
    assert asked[0].endswith("Start the infusion?")
    expect(page.locator("#start-headline")).to_contain_text("Start with caution")
    assert phase(clinic, "st-caution") == "baseline"
    assert not [a for a in clinic.runtime.store.actions(clinic.view("st-caution").session_id)
                if a["kind"] == "start_infusion"]  # fmt: skip
    ask(True)
    expect(page.locator("#action-toast")).to_contain_text("Infusion started with caution: BP ")
    clinic.advance(1)
    assert phase(clinic, "st-caution") == "infusion"
    assert errors == []


def test_an_auto_start_chair_starts_by_itself_or_says_why_not(
    page: Page, clinic, chairs, errors: list[str]
) -> None:
    fresh(clinic, "st-auto")
    fresh(clinic, "st-held")
    clinic.advance(30)
    page.goto(clinic.url + "/")
    auto = page.locator('.tile[data-bed="st-auto"] .tile-pump')
    held = page.locator('.tile[data-bed="st-held"] .tile-pump')
    expect(auto).to_contain_text(re.compile(r"^Held: 2 baseline BP readings needed, [01] taken"))
    calm = page.locator('.tile[data-bed="st-calm"] .tile-pump')
    if clinic.view("st-calm").phase == "baseline":  # another test may have started it
        expect(calm).to_have_text("Waiting to start")
    clinic.advance(390)  # the check passes after 5 min and two readings
    expect(auto).to_contain_text("Pump running")
    assert phase(clinic, "st-auto") == "infusion"
    start = [a for a in clinic.runtime.store.actions(clinic.view("st-auto").session_id)
             if a["kind"] == "start_infusion"]  # fmt: skip
    assert [(a["actor"], a["params"]["auto"]) for a in start] == [("system", True)]
    assert 300 <= start[0]["t_s"] <= 360
    expect(held).to_contain_text(re.compile(r"^Held: BP \d+/\d+ mmHg is at or above 160/100"))
    assert phase(clinic, "st-held") == "baseline"
    page.goto(clinic.url + "/bed/st-held")
    expect(page.locator("#start-hold")).to_contain_text("Held: BP ")
    assert errors == []
