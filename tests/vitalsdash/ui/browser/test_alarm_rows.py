"""One hypertensive surge in a real browser: one banner row per parameter, the rest folded
under it, in the nurse's words; one press of "Acknowledge all" silences every alarm; the
banner fits a 1280x800 window with the rest of the bedside page (nothing to scroll to
reach a control).

Each test has a chair of its own (a hypertensive responder with a fresh session, added
to the shared clinic and removed after it) and moves only that chair's clock, so the
tests run in any order and leave the other chairs as they were.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from vitalsdash import protocol
from vitalsdash.actions import ALL_ACTIONS, ActionError
from vitalsdash.config import BedConfig
from vitalsdash.runtime._core import Bed  # a test hook: a chair added for the test

pytestmark = pytest.mark.browser
BED = "chair7"
STARTS = (({}, "trainee"), ({"override_reason": "alarm test"}, "instructor"))
"""How the chair's infusion is started where the nurse starts it: as is, else overridden."""
CODE_NAMES = re.compile(r"\b[A-Z]{2,}_[A-Z_]+\b|critical_|NIBP_")


def _run(rt, seconds: int) -> None:
    """This chair alone, ``seconds`` on (the others' clocks stay where they are)."""
    with rt.lock:
        bed = rt.beds[BED]
        bed.session.advance(seconds, protocol.baseline_from)
        bed.readiness = bed.session.readiness
        rt._flush(bed)


def _rows(view) -> list[str]:
    return list(dict.fromkeys(a.group for a in view.signals.alarms))


@pytest.fixture
def surged(clinic) -> Iterator[str]:
    """A chair in its infusion, then an NIBP reading in a hypertensive surge: several
    alarms on one parameter at least (the limit and the rise over baseline)."""
    rt = clinic.runtime
    cfg = BedConfig(id=BED, label="Chair 7", scenario="hypertensive-responder", seed=12,
                    autostart=False)  # fmt: skip
    with rt.lock:
        rt.beds[BED] = Bed(cfg)
    rt.submit(BED, "start_session", {}, "instructor")
    try:
        for _ in range(40):  # the infusion starts on its schedule, or when it is started
            _run(rt, 30)
            if rt.view(BED).phase == "infusion":
                break
            if "start_infusion" in ALL_ACTIONS:  # the nurse starts it (or, if held, overrides)
                for params, actor in STARTS:
                    with contextlib.suppress(ActionError):
                        rt.submit(BED, "start_infusion", params, actor)
                        break
        assert rt.view(BED).phase == "infusion"
        _run(rt, 120)
        rt.submit(BED, "inject_event", {"kind": "hypertensive_surge", "params": {
            "sbp_rise_mmhg": 90, "duration_min": 20}}, "instructor")  # fmt: skip
        for _ in range(120):  # the next cuff reading (every 10 min), then the rules on it
            _run(rt, 10)
            alarms = rt.view(BED).signals.alarms
            if len(alarms) > len(_rows(rt.view(BED))) >= 3:
                break
        view = rt.view(BED)
        assert len(view.signals.alarms) > len(_rows(view)) >= 3, view.signals.alarms
        yield BED
    finally:
        with rt.lock:
            if rt.beds[BED].session.status == "running":
                rt.submit(BED, "end_session", {}, "instructor")
            rt.beds.pop(BED)


def test_one_surge_gives_one_row_per_parameter_in_words(page: Page, clinic, surged) -> None:
    view = clinic.view(BED)
    page.goto(clinic.url + f"/bed/{BED}")
    rows = page.locator(".alarm-row")
    expect(rows).to_have_count(len(_rows(view)))
    for group in _rows(view):
        alarms = [a for a in view.signals.alarms if a.group == group]
        row = page.locator(f'.alarm-row[data-group="{group}"]')
        head = alarms[0]
        expect(row).to_have_attribute("data-condition", head.condition)
        expect(row.locator(".alarm-msg")).to_have_text(
            head.message.removeprefix(head.marker).strip()
        )
        expect(row).to_have_attribute("data-folded", str(len(alarms) - 1))
        if len(alarms) > 1:
            expect(row.locator(".alarm-folded").first).not_to_be_visible()
            row.locator(".alarm-more-head").click()  # "+N more" opens the rest
            expect(row.locator(".alarm-more-head")).to_have_text(f"+{len(alarms) - 1} more")
            expect(row.locator(".alarm-folded")).to_have_text(
                [f"{a.marker} {a.message.removeprefix(a.marker).strip()}" for a in alarms[1:]]
            )
            expect(row.locator(".alarm-folded").first).to_be_visible()
    opened = page.locator(".alarm-more[open] .alarm-folded")
    count = opened.count()
    assert count == sum(a.folded for a in view.signals.alarms)
    page.locator("#alarm-pause-audio").click()  # every row is redrawn, silenced
    expect(page.locator('.alarm-row[data-sounding="true"]')).to_have_count(0)
    expect(opened).to_have_count(count)  # what the nurse opened stays open
    text = page.locator("#alarm-banner").inner_text()
    assert "Systolic high" in text
    assert not CODE_NAMES.search(text), text  # the nurse's words; code names are the API's


def test_acknowledge_all_silences_every_alarm(page: Page, clinic, surged) -> None:
    page.goto(clinic.url + f"/bed/{BED}")
    expect(page.locator('.alarm-row[data-sounding="true"]')).to_have_count(
        len(_rows(clinic.view(BED)))
    )
    key = page.get_by_role("button", name="Acknowledge all")
    expect(key).to_be_enabled()
    key.click()
    expect(page.locator("#action-toast")).to_contain_text("All alarms acknowledged")
    expect(page.locator('.alarm-row[data-acknowledged="false"]')).to_have_count(0)
    expect(page.locator('.alarm-row[data-sounding="true"]')).to_have_count(0)
    expect(key).to_be_disabled()  # nothing left to acknowledge
    view = clinic.view(BED)
    assert all(a.acknowledged and not a.sounding for a in view.signals.alarms)
    expect(page.locator("#bed-audio")).to_have_attribute("data-audio", "none")
    sid = view.session_id
    presses = [r for r in clinic.runtime.feed.actions_since(sid, 0)
               if r["kind"].startswith("acknowledge")]  # fmt: skip
    assert [(r["kind"], r["actor"]) for r in presses] == [("acknowledge_all", "trainee")]


def test_the_banner_fits_1280x800_with_every_control(page: Page, clinic, surged) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(clinic.url + f"/bed/{BED}")
    expect(page.locator(".alarm-row")).to_have_count(len(_rows(clinic.view(BED))))
    expect(page.locator("#bed-trends .js-plotly-plot")).to_be_visible()
    scroll = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
    assert scroll <= 0, f"the page scrolls by {scroll} px"
    listing = page.locator("#alarm-list")
    assert listing.evaluate("e => e.scrollHeight - e.clientHeight") <= 0, "rows hidden"
    controls = ["#alarm-ack-all", "#alarm-pause-audio", "#alarm-reset", "#pump-pause",
                "#pump-stop", "#act-nibp", "#chart-submit", ".alarm-row .alarm-ack"]  # fmt: skip
    for sel in controls:
        found = page.locator(sel)
        for i in range(found.count()):
            box = found.nth(i).bounding_box()
            assert box is not None, sel
            inside = (box["x"] >= 0, box["y"] >= 0, box["x"] + box["width"] <= 1280,
                      box["y"] + box["height"] <= 800)  # fmt: skip
            assert all(inside), (sel, box)
    for value in ("#num-HR-value", "#num-NIBP-value"):  # the numbers stay large
        size = page.locator(value).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 36, (value, size)
