"""Bedside monitor in a real browser: live numerics and trends, the pump, rejected actions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from vitalsdash.ui import fmt

pytestmark = pytest.mark.browser
HR_POINTS = """() => {
    const gd = document.querySelector('#bed-trends .js-plotly-plot');
    return gd && gd.data ? gd.data[0].x.length : -1;
}"""


def test_numerics_and_trends_update_live(page: Page, clinic, errors: list[str]) -> None:
    page.goto(clinic.url + "/bed/chair1")
    v = clinic.view("chair1")
    expect(page.locator("#num-HR-value")).to_have_text(fmt.num(v.value("HR")))
    expect(page.locator("#bed-phase")).to_have_text(f"Infusion · {fmt.clock(v.t_s)}")
    page.wait_for_function(f"({HR_POINTS})() > 0")
    before = page.evaluate(HR_POINTS)
    clinic.advance(5)
    v = clinic.view("chair1")
    expect(page.locator("#bed-phase")).to_have_text(f"Infusion · {fmt.clock(v.t_s)}")
    expect(page.locator("#num-HR-value")).to_have_text(fmt.num(v.value("HR")))
    expect(page.locator("#num-SPO2-value")).to_have_text(fmt.num(v.value("SPO2")))
    expect(page.locator("#num-HR-limits")).to_have_text(
        fmt.limit_pair(v.limits["HR_LO"], v.limits["HR_HI"])
    )
    page.wait_for_function(f"({HR_POINTS})() === {before + 5}")  # extendData, 1 point/s
    page.get_by_label("15 min").check()
    span = """() => { const r = document.querySelector('#bed-trends .js-plotly-plot')
        ._fullLayout.xaxis.range.map(d => Date.parse(d.replace(' ', 'T') + 'Z'));
        return (r[1] - r[0]) / 60000; }"""
    page.wait_for_function(f"Math.abs(({span})() - 15) < 0.1")
    assert errors == []


def test_pausing_the_pump_at_x60_lowers_bp(page: Page, clinic) -> None:
    """chair3 and chair4 are the same patient; only chair3's pump is paused."""
    rt = clinic.runtime
    page.goto(clinic.url + "/bed/chair3")
    expect(page.locator(".pump-state")).to_have_text("Running")
    page.locator("#pump-pause").click()
    expect(page.locator("#action-toast")).to_contain_text("Pump paused")
    expect(page.locator(".pump-state")).to_have_text("Paused")
    assert rt.beds["chair3"].session.source.pump().running is False
    assert rt.control.speed == 60
    for minute in range(15):
        clinic.run_wall(1)  # one wall second at x60: a simulated minute
        if minute % 3 == 2:
            for bed in ("chair3", "chair4"):
                rt.submit(bed, "nibp_start", {}, "trainee")
    clinic.run_wall(1)  # the readings complete
    paused, running = (clinic.view(b).last_nibp["NIBP_SYS"] for b in ("chair3", "chair4"))
    assert paused[0] == running[0], "both cuffs measured at the same second"
    assert paused[1] <= running[1] - 8, (paused, running)
    v = clinic.view("chair3")
    nibp = v.last_nibp
    expect(page.locator("#num-NIBP-value")).to_have_text(
        f"{fmt.num(nibp['NIBP_SYS'][1])}/{fmt.num(nibp['NIBP_DIA'][1])}"
    )
    page.locator("#pump-resume").click()
    expect(page.locator(".pump-state")).to_have_text("Running")


def test_a_rejected_action_says_why(page: Page, clinic, errors: list[str]) -> None:
    page.goto(clinic.url + "/bed/chair1")
    page.locator("#pump-set-rate").click()
    toast = page.locator("#action-toast")
    expect(toast).to_contain_text("Not possible")
    expect(toast).to_contain_text("Enter a rate in mg/kg/h first.")
    page.locator("#pump-rate-input").fill("5")
    page.locator("#pump-set-rate").click()
    expect(toast).to_contain_text("Rate (mg/kg/h) must be at most 3 (got 5)")
    assert "Traceback" not in page.content()
    page.locator("#pump-resume").click()  # it runs: the pump says so
    expect(toast).to_contain_text("the pump is already running")
    page.locator("#pump-rate-input").fill("0.5")
    page.locator("#pump-set-rate").click()
    expect(toast).to_contain_text("Rate set to 0.5 mg/kg/h")
    expect(page.locator(".pump-rate")).to_have_text("0.50 mg/kg/h")
    assert errors == []


def test_charting_an_observation_lists_it(page: Page, clinic) -> None:
    page.goto(clinic.url + "/bed/chair1")
    page.locator("#chart-kind").select_option("sedation")
    page.locator("#chart-value").fill("3")
    page.locator("#chart-submit").click()
    expect(page.locator("#action-toast")).to_contain_text("Charted sedation")
    expect(page.locator("#chart-recent")).to_contain_text("Sedation: 3")


def test_stopping_the_infusion_asks_first(page: Page, clinic) -> None:
    page.goto(clinic.url + "/bed/chair4")
    expect(page.locator(".pump-state")).to_have_text("Running")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#pump-stop-button").click()
    expect(page.locator("#action-toast")).to_contain_text("Infusion stopped")
    expect(page.locator(".pump-state")).to_have_text("Stopped")
    assert clinic.runtime.beds["chair4"].session.source.pump().ended_s is not None
