"""The instructor console in a real browser: sessions, live events, speed, pause, activity.

The tests use a chair of their own (no session, not autostarted), added to the shared
clinic for this module only, so the other modules' chairs stay as they expect them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from vitalsdash.config import BedConfig
from vitalsdash.runtime._core import Bed  # a test hook: a chair added for the test

pytestmark = pytest.mark.browser
BED = "chair8"


@pytest.fixture(scope="module")
def spare(clinic) -> Iterator[str]:
    rt = clinic.runtime
    cfg = BedConfig(
        id=BED, label="Chair 8", scenario="hypertensive-responder", seed=8, autostart=False
    )
    with rt.lock:
        rt.beds[BED] = Bed(cfg)
    speed = rt.control.speed
    yield BED
    with rt.lock:
        s = rt.beds[BED].session
        if s is not None and s.status == "running":
            rt.submit(BED, "end_session", {}, "instructor")
        rt.beds.pop(BED)
    rt.control.set_speed(speed)
    rt.control.resume()


def _card(page: Page):
    return page.locator(f'.ins-card[data-bed="{BED}"]')


def _session(clinic):
    return clinic.runtime.beds[BED].session


def _truth_bp(clinic) -> str:
    t = _session(clinic).source.truth()
    return f"{t['NIBP_SYS']:.0f}/{t['NIBP_DIA']:.0f} ({t['NIBP_MAP']:.0f})"


def test_start_a_session_from_a_scenario(page: Page, clinic, spare, errors: list[str]) -> None:
    page.goto(clinic.url + "/instructor")
    card = _card(page)
    expect(card.locator(".ins-status")).to_have_text("No session")
    expect(card.locator(".truth-grid")).to_be_hidden()
    card.get_by_label("Scenario").select_option("uneventful-depression")
    card.get_by_label("Seed").fill("5")
    card.get_by_role("button", name="Start session").click()
    expect(card.locator(".ins-msg")).to_have_text("Session started: uneventful-depression, seed 5")
    expect(card.locator(".ins-status")).to_have_text(re.compile(r"^Baseline · 0:00:0\d$"))
    s = _session(clinic)
    assert s.status == "running"
    row = clinic.runtime.store.session(s.session_id)
    assert row["seed"] == 5
    expect(card.locator(".ins-patient")).to_contain_text("Uneventful depression session · seed 5")
    expect(card.locator(".truth-grid")).to_be_visible()
    expect(card.get_by_role("button", name="Start session")).to_be_hidden()
    clinic.advance(60)
    expect(card.locator('.truth[data-key="NIBP"] .truth-value')).to_have_text(_truth_bp(clinic))
    assert errors == []


def test_a_surge_raises_the_true_bp(page: Page, clinic, spare, errors: list[str]) -> None:
    page.goto(clinic.url + "/instructor")
    card = _card(page)
    sbp0 = _session(clinic).source.truth()["NIBP_SYS"]
    expect(card.get_by_label("Event")).to_have_value("hypertensive_surge")
    card.get_by_label("SBP rise").fill("60")
    card.get_by_label("Onset").fill("1")
    card.get_by_label("Duration").fill("20")
    card.get_by_role("button", name="Inject now").click()
    expect(card.locator(".ins-msg")).to_contain_text("Injected at ")
    expect(card.locator(".ins-msg")).to_contain_text("Hypertensive surge: SBP rise 60 mmHg")
    actions = clinic.runtime.feed.actions_since(_session(clinic).session_id, 0)
    assert actions[-1]["kind"] == "inject_event"
    assert actions[-1]["actor"] == "instructor"
    assert actions[-1]["params"]["params"]["sbp_rise_mmhg"] == 60
    assert actions[-1]["params"]["params"]["onset_min"] == 1
    clinic.advance(300)
    t = _session(clinic).source.truth()
    assert t["NIBP_SYS"] > sbp0 + 40
    expect(card.locator('.truth[data-key="NIBP"] .truth-value')).to_have_text(_truth_bp(clinic))
    nibp_t, nibp = clinic.view(BED).last_nibp["NIBP_SYS"]
    assert nibp_t > 120  # measured (every 5 min in the baseline) after the onset
    assert nibp > sbp0 + 30
    injected = card.locator('.act-row[data-who="instructor"]').first
    expect(injected).to_contain_text("Injected Hypertensive surge: SBP rise 60 mmHg")
    expect(card.locator('.act-row[data-who="alarm"]').first).to_contain_text("Systolic high")
    assert errors == []


def test_the_form_follows_the_kind_and_says_what_is_wrong(
    page: Page, clinic, spare, errors: list[str]
) -> None:
    page.goto(clinic.url + "/instructor")
    card = _card(page)
    n = len(clinic.runtime.feed.actions_since(_session(clinic).session_id, 0))
    card.get_by_label("SBP rise").fill("500")
    card.get_by_role("button", name="Inject now").click()
    msg = card.locator(".ins-msg")
    expect(msg).to_have_class("ins-msg error")
    expect(msg).to_contain_text("sbp_rise_mmhg")
    expect(msg).to_contain_text("120")
    card.get_by_label("SBP rise").fill("")
    card.get_by_role("button", name="Inject now").click()
    expect(msg).to_have_text("Not possible: Enter the SBP rise (mmHg) first.")
    card.get_by_label("Event").select_option("nausea")
    expect(card.get_by_label("Severity")).to_be_visible()
    expect(card.get_by_label("SBP rise")).to_have_count(0)
    card.get_by_label("Event").select_option("probe_off")
    expect(card.locator(".field-note")).to_contain_text("No magnitude")
    expect(card.get_by_label("Onset")).to_have_count(0)
    assert len(clinic.runtime.feed.actions_since(_session(clinic).session_id, 0)) == n
    assert "Traceback" not in page.content()
    assert errors == []


def test_speed_pause_and_resume(page: Page, clinic, spare, errors: list[str]) -> None:
    rt = clinic.runtime
    page.goto(clinic.url + "/instructor")
    x10 = page.get_by_role("button", name="x10", exact=True)
    x10.click()
    expect(x10).to_have_class("speed-btn active")
    expect(x10).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#ins-sim-state")).to_have_text("Running · x10")
    assert rt.control.speed == 10
    page.get_by_role("button", name="x120", exact=True).click()
    expect(page.locator("#ins-sim-state")).to_have_text("Running · x120")
    expect(x10).to_have_class("speed-btn")
    assert rt.control.speed == 120
    page.locator("#ins-pause").click()
    expect(page.locator("#ins-pause")).to_have_text("Resume")
    expect(page.locator("#ins-sim-state")).to_have_text("Paused · x120 when resumed")
    assert rt.control.paused
    clinic.clock.advance(30)
    assert rt.control.take_seconds() == 0  # nothing is due while paused
    page.locator("#ins-pause").click()
    expect(page.locator("#ins-pause")).to_have_text("Pause")
    assert not rt.control.paused
    page.get_by_role("button", name="x60", exact=True).click()
    expect(page.locator("#ins-sim-state")).to_have_text("Running · x60")
    assert rt.control.speed == 60
    assert errors == []


def test_trainee_actions_appear_as_they_happen(
    page: Page, clinic, spare, errors: list[str]
) -> None:
    page.goto(clinic.url + "/instructor")
    rows = _card(page).locator(".act-row")
    expect(rows.first).to_be_visible()
    clinic.runtime.submit(BED, "reassure", {}, "trainee")
    expect(rows.first).to_contain_text("Reassured")
    expect(rows.first).to_have_attribute("data-who", "trainee")
    expect(rows.first.locator(".act-who")).to_have_text("Trainee")
    clinic.runtime.submit(BED, "oxygen_on", {"flow_l_min": 3}, "trainee")
    expect(rows.first).to_contain_text("Oxygen 3.0 L/min")
    expect(rows.nth(1)).to_contain_text("Reassured")
    s = _session(clinic)
    active = [a for a in s.engine.signals(s.t_s).alarms if not a.acknowledged]
    assert active, "the surge left no alarm to acknowledge"
    clinic.runtime.submit(BED, "acknowledge", {"condition": active[0].condition}, "trainee")
    label = clinic.view(BED).alarm_labels[active[0].condition]  # in words: "Systolic high"
    expect(rows.first).to_contain_text(re.compile(rf"Acknowledged {label} after \d+ s"))
    expect(rows.first).to_have_attribute("data-who", "trainee")
    for _ in range(14):  # the list keeps the newest rows only
        clinic.runtime.submit(BED, "reposition", {}, "trainee")
    expect(rows.first).to_contain_text("Repositioned")
    expect(rows).to_have_count(12)
    assert errors == []


def test_truth_is_on_the_instructor_page_only(page: Page, clinic, spare) -> None:
    for path in ("/", f"/bed/{BED}", "/settings"):
        page.goto(clinic.url + path)
        expect(page.locator(".notice")).to_be_visible()
        expect(page.locator(".truth-grid")).to_have_count(0)
        expect(page.locator(".inject-form")).to_have_count(0)
    page.goto(clinic.url + "/instructor")
    expect(page.locator(".truth-grid")).to_have_count(len(clinic.runtime.beds))


def test_end_then_random_patient(page: Page, clinic, spare, errors: list[str]) -> None:
    page.goto(clinic.url + "/instructor")
    card = _card(page)
    page.once("dialog", lambda d: d.accept())
    card.get_by_role("button", name="End session").click()
    expect(card.locator(".ins-msg")).to_have_text("Session ended")
    expect(card.locator(".ins-status")).to_have_text(re.compile(r"^Session ended at "))
    assert _session(clinic).status == "ended"
    old = _session(clinic).session_id
    card.get_by_role("button", name="Random patient").click()
    expect(card.locator(".ins-msg")).to_contain_text("Random patient: uneventful-depression, seed ")
    s = _session(clinic)
    assert s.session_id != old
    assert s.status == "running"
    seed = clinic.runtime.store.session(s.session_id)["seed"]
    expect(card.locator(".ins-msg")).to_contain_text(f"seed {seed}")
    expect(card.locator(".act-empty")).to_have_text("Nothing yet")  # a new session's list
    assert errors == []
