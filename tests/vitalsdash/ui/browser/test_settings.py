"""Alarm limits in a real browser: an edit takes effect and is logged; a bad one changes
nothing; alarm off shows a reminder until it is back on; auto-limits from the baseline.

The tests use a chair of their own with a fresh session, added for this module only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
from infusion_start import start_infusion
from playwright.sync_api import Page, expect

from vitalsdash.config import BedConfig
from vitalsdash.runtime._core import Bed  # a test hook: a chair added for the test

pytestmark = pytest.mark.browser
BED = "chair9"


@pytest.fixture(scope="module")
def spare(clinic) -> Iterator[str]:
    rt = clinic.runtime
    cfg = BedConfig(
        id=BED, label="Chair 9", scenario="uneventful-depression", seed=9, autostart=False
    )
    with rt.lock:
        rt.beds[BED] = Bed(cfg)
    rt.submit(BED, "start_session", {}, "instructor")
    rt.advance(60)  # a minute of baseline: HR is there, the baseline is not yet taken
    yield BED
    with rt.lock:
        if rt.beds[BED].session.status == "running":
            rt.submit(BED, "end_session", {}, "instructor")
        rt.beds.pop(BED)


def _engine(clinic):
    return clinic.runtime.beds[BED].session.engine


def _sid(clinic) -> int:
    return clinic.runtime.beds[BED].session.session_id


def _limit_changes(clinic, condition: str, cause: str) -> list[dict]:
    return [
        r
        for r in clinic.runtime.feed.alarm_events_since(_sid(clinic), 0)
        if r["event"] == "limit_changed"
        and r["condition"] == condition
        and r["detail"].get("cause") == cause
    ]


def _card(page: Page):
    return page.locator(f'.set-card[data-bed="{BED}"]')


def test_a_limit_edit_takes_effect_and_is_logged(
    page: Page, clinic, spare, errors: list[str]
) -> None:
    page.goto(clinic.url + "/settings")
    card = _card(page)
    old = _engine(clinic).limits()["HR_HI"]
    hr = clinic.view(BED).value("HR")
    low = _engine(clinic).limits()["HR_LO"]
    new = float(max(low + 1, math.floor(hr) - 8))  # the patient's HR is now above it
    assert hr > new
    box = card.get_by_label("HR high", exact=True)
    expect(box).to_have_value(f"{old:g}")
    box.fill(f"{new:g}")
    card.get_by_role("button", name="Apply changes").click()
    expect(card.locator(".set-msg")).to_have_text(f"Limits set: HR high {new:g}")
    assert _engine(clinic).limits()["HR_HI"] == new
    [row] = _limit_changes(clinic, "HR_HI", "set_limit")
    assert row["detail"]["before"]["limit"] == old
    assert row["detail"]["after"]["limit"] == new
    assert row["actor"] == "instructor"
    first = card.locator(".chg-row").first
    expect(first).to_contain_text(f"HR high {old:g} → {new:g}")
    expect(first).to_contain_text("instructor · edit")
    clinic.advance(30)  # HR delay 10 s
    sig = clinic.view(BED).signals
    assert "HR_HI" in [a.condition for a in sig.alarms]
    expect(box).to_have_value(f"{new:g}")
    assert errors == []


def test_an_invalid_limit_changes_nothing(page: Page, clinic, spare, errors: list[str]) -> None:
    page.goto(clinic.url + "/settings")
    card = _card(page)
    before = _engine(clinic).limits()
    logged = len(clinic.runtime.feed.alarm_events_since(_sid(clinic), 0))
    high = before["HR_HI"]
    card.get_by_label("HR low", exact=True).fill(f"{high + 20:g}")  # low >= high
    card.get_by_label("SpO₂ low", exact=True).fill("90")  # valid, but not alone
    card.get_by_role("button", name="Apply changes").click()
    msg = card.locator(".set-msg")
    expect(msg).to_have_class("set-msg error")
    expect(msg).to_have_text(f"Not applied: HR high: {high:g} must be above low ({high + 20:g})")
    assert _engine(clinic).limits() == before
    assert len(clinic.runtime.feed.alarm_events_since(_sid(clinic), 0)) == logged
    card.get_by_label("HR low", exact=True).fill("")
    card.get_by_role("button", name="Apply changes").click()
    expect(msg).to_contain_text("a limit cannot be removed")
    assert _engine(clinic).limits() == before
    card.get_by_role("button", name="Undo edits").click()
    expect(card.get_by_label("HR low", exact=True)).to_have_value(f"{before['HR_LO']:g}")
    expect(card.get_by_label("SpO₂ low", exact=True)).to_have_value(f"{before['SPO2_LO']:g}")
    assert "Traceback" not in page.content()
    assert errors == []


def test_alarm_off_shows_a_reminder_until_it_is_on(
    page: Page, clinic, spare, errors: list[str]
) -> None:
    page.goto(clinic.url + "/settings")
    card = _card(page)
    page.get_by_label("Trainee").check()
    row = card.locator('.lim-row[data-channel="RR"]')
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Turn off").click()
    notice = card.locator(".set-off-notice")
    expect(notice).to_have_text(re.compile(r"^⚠ Alarms OFF: RR since \d:\d\d:\d\d$"))
    expect(row.locator(".lim-state")).to_have_text("OFF")
    assert [n.channel for n in clinic.view(BED).signals.alarms_off] == ["RR"]
    offs = [
        r
        for r in clinic.runtime.feed.alarm_events_since(_sid(clinic), 0)
        if r["event"] == "alarm_off"
    ]
    assert [(r["condition"], r["actor"]) for r in offs] == [("RR", "trainee")]
    expect(card.locator(".chg-row").first).to_contain_text("RR alarms OFF")
    clinic.advance(120)
    expect(notice).to_be_visible()  # persistent
    page.goto(clinic.url + f"/bed/{BED}")  # and at the bedside
    expect(page.locator("#alarm-off-notice")).to_have_text("Alarms OFF: RR")
    page.goto(clinic.url + "/settings")
    row.get_by_role("button", name="Turn on").click()
    expect(row.locator(".lim-state")).to_have_text("On")
    expect(notice).to_be_hidden()
    assert clinic.view(BED).signals.alarms_off == ()
    assert errors == []


def test_auto_limits_from_the_baseline(page: Page, clinic, spare, errors: list[str]) -> None:
    page.goto(clinic.url + "/settings")
    card = _card(page)
    card.get_by_role("button", name="Auto-limits from baseline").click()
    expect(card.locator(".set-msg")).to_have_text(
        "Not applied: auto-limits need the patient's baseline first"
    )
    clinic.advance(600)  # past the 10-minute baseline: the infusion is started
    start_infusion(clinic.runtime, BED)
    clinic.advance(1)
    assert clinic.runtime.beds[BED].session.phase.value == "infusion"
    card.get_by_role("button", name="Auto-limits from baseline").click()
    expect(card.locator(".set-msg")).to_have_text("Limits set from baseline")
    expect(card.locator(".set-head")).to_contain_text("Infusion phase")
    base_hr = _engine(clinic).state.baseline
    hr = next(v for k, v in base_hr.items() if k.value == "HR")
    high = float(round(1.25 * hr))
    assert _engine(clinic).limits()["HR_HI"] == min(high, 150.0)
    expect(card.get_by_label("HR high", exact=True)).to_have_value(f"{min(high, 150.0):g}")
    expect(card.locator(".chg-row").first).to_contain_text("auto-limits")
    assert errors == []
