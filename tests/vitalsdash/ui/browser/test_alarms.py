"""Alarms in a real browser: colour by priority, acknowledge, audio pause, audio state.

The banner shows one row per parameter (``AlarmView.group``), its highest priority alarm
on it and the others folded; a row's Acknowledge acknowledges the row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from vitalsdash.ui import fmt

pytestmark = pytest.mark.browser
BED = "chair2"


def _signals(clinic):
    return clinic.view(BED).signals


@pytest.fixture(scope="module")
def surge(clinic):
    """An instructor's hypertensive surge on chair2, run until two rows (parameters) sound."""
    clinic.runtime.submit(BED, "inject_event", {"kind": "hypertensive_surge", "params": {
        "sbp_rise_mmhg": 60, "duration_min": 20}}, "instructor")  # fmt: skip
    for _ in range(30):
        clinic.advance(60)
        if len({a.group for a in _signals(clinic).alarms if a.sounding}) >= 2:
            return _signals(clinic)
    pytest.fail("the surge raised fewer than two sounding rows in 30 minutes")


def test_surge_colours_the_tile_and_the_banner(page: Page, clinic, surge) -> None:
    top = _signals(clinic).alarms[0].priority.lower()
    page.goto(clinic.url + "/")
    expect(page.locator(f'.tile[data-bed="{BED}"]')).to_have_class(f"tile alarm-{top}")
    expect(page.locator('.tile[data-bed="chair1"]')).to_have_class("tile")
    page.goto(clinic.url + f"/bed/{BED}")
    expect(page.locator("#alarm-banner")).to_have_class(f"alarm-banner highest-{top}")
    sig = _signals(clinic)
    heads = [a for a in sig.alarms if not a.folded]
    rows = page.locator(".alarm-row")
    expect(rows).to_have_count(len(heads))
    for i, a in enumerate(heads):  # a row per parameter: by priority, then newest
        expect(rows.nth(i)).to_have_attribute("data-condition", a.condition)
        expect(rows.nth(i)).to_have_attribute("data-group", a.group)
        expect(rows.nth(i)).to_have_attribute("data-priority", a.priority)
        expect(rows.nth(i)).to_contain_text(a.marker)
        folded = sum(x.folded and x.group == a.group for x in sig.alarms)
        expect(rows.nth(i)).to_have_attribute("data-folded", str(folded))
    expect(page.locator("#bed-audio")).to_have_attribute("data-audio", sig.audio.priority)
    text = page.locator("body").inner_text().lower()
    for secret in ("surge", "hypertensive", "inject", "scenario"):
        assert secret not in text  # trainees never see what the scenario has in store


def test_acknowledge_silences_that_row_only(page: Page, clinic, surge) -> None:
    page.goto(clinic.url + f"/bed/{BED}")
    sounding = list(dict.fromkeys(a.group for a in _signals(clinic).alarms if a.sounding))
    first, other = sounding[0], sounding[1]
    row, other_row = (page.locator(f'.alarm-row[data-group="{g}"]') for g in (first, other))
    expect(row).to_have_attribute("data-sounding", "true")
    row.get_by_role("button", name="Acknowledge").click()
    expect(row).to_have_attribute("data-sounding", "false")
    expect(row).to_have_attribute("data-acknowledged", "true")
    expect(other_row).to_have_attribute("data-sounding", "true")
    alarms = _signals(clinic).alarms
    assert all(a.acknowledged and not a.sounding for a in alarms if a.group == first)
    assert any(a.sounding for a in alarms if a.group == other)
    assert not any(a.acknowledged for a in alarms if a.group == other)
    expect(page.locator("#bed-audio")).to_have_attribute(
        "data-audio", _signals(clinic).audio.priority
    )


def test_audio_pause_counts_down(page: Page, clinic, surge) -> None:
    page.goto(clinic.url + f"/bed/{BED}")
    page.locator("#alarm-pause-audio").click()
    countdown = page.locator("#audio-countdown")
    expect(page.locator("#alarm-pause-audio")).to_have_text("Resume audio")
    sig = _signals(clinic)
    assert sig.audio_paused
    expect(countdown).to_have_text(f"Audio paused {fmt.mmss(sig.pause_remaining_s)}")
    clinic.advance(30)
    sig = _signals(clinic)
    expect(countdown).to_have_text(f"Audio paused {fmt.mmss(sig.pause_remaining_s)}")
    expected = "none" if sig.audio is None else sig.audio.priority
    expect(page.locator("#bed-audio")).to_have_attribute("data-audio", expected)
    page.locator("#alarm-pause-audio").click()
    expect(page.locator("#alarm-pause-audio")).to_have_text("Pause audio")
    expect(countdown).to_have_text("")
    assert not _signals(clinic).audio_paused


def test_sound_switch_plays_the_page_pattern(page: Page, clinic, surge) -> None:
    page.goto(clinic.url + f"/bed/{BED}")
    toggle = page.locator("#sound-toggle")
    expect(toggle).to_have_text("Sound off · click to enable")
    expect(page.locator("body")).to_have_attribute("data-audio-playing", "none")
    toggle.click()
    expect(toggle).to_have_text("♪ Sound on")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    pattern = page.locator("#bed-audio").get_attribute("data-audio")
    expect(page.locator("body")).to_have_attribute("data-audio-playing", pattern or "none")
    toggle.click()
    expect(page.locator("body")).to_have_attribute("data-audio-playing", "none")


def _acks(clinic) -> list[str]:
    sid = clinic.runtime.beds[BED].session.session_id
    rows = clinic.runtime.feed.actions_since(sid, 0)
    return [r["params"]["condition"] or r["params"]["channel"] for r in rows
            if r["kind"] == "acknowledge"]  # fmt: skip


def test_rows_appearing_or_redrawn_never_acknowledge(page: Page, clinic, surge) -> None:
    """Only a click acknowledges: new rows (with new buttons) and redrawn rows do not.
    (Half a minute of clinic time at most: later modules share the clinic's clock.)"""
    page.goto(clinic.url + f"/bed/{BED}")
    rows = page.locator(".alarm-row")
    expect(rows).to_have_count(len({a.group for a in _signals(clinic).alarms}))
    before = _acks(clinic)
    session = clinic.runtime.beds[BED].session
    high = session.engine.limits()["HR_HI"]
    hr = session.latest["HR"][1]
    low = session.engine.limits()["HR_LO"]  # a limit below the HR, above the low one
    below = max(hr - 20, low + 1)
    clinic.runtime.submit(BED, "set_limit", {"channel": "HR", "which": "high",
                                             "value": below}, "trainee")  # fmt: skip
    try:
        for _ in range(6):  # the HR alarm's delay is 10 s
            clinic.advance(5)
            if any(a.condition == "HR_HI" for a in _signals(clinic).alarms):
                break
        sig = _signals(clinic)
        assert "HR_HI" in [a.condition for a in sig.alarms], "a new row with a new button"
        heads = [a for a in sig.alarms if not a.folded]
        expect(rows).to_have_count(len(heads))
        for i, a in enumerate(heads):
            expect(rows.nth(i)).to_have_attribute("data-condition", a.condition)
        page.locator("#alarm-pause-audio").click()  # every sounding row is redrawn
        expect(page.locator('.alarm-row[data-sounding="true"]')).to_have_count(0)
        page.locator("#alarm-pause-audio").click()
        expect(page.locator('.alarm-row[data-sounding="true"]')).not_to_have_count(0)
        assert _acks(clinic) == before
        page.locator('.alarm-row[data-condition="HR_HI"]').get_by_role(
            "button", name="Acknowledge"
        ).click()
        expect(page.locator('.alarm-row[data-condition="HR_HI"]')).to_have_attribute(
            "data-acknowledged", "true"
        )
        assert _acks(clinic) == [*before, "HR"]  # one click, one acknowledgement (the row)
    finally:
        clinic.runtime.submit(BED, "set_limit", {"channel": "HR", "which": "high",
                                                 "value": high}, "trainee")  # fmt: skip
