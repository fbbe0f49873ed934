"""Central station in a real browser: live tiles, sparklines, and the way to the bedside."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from vitalsdash.ui import fmt

pytestmark = pytest.mark.browser


def _nibp(view) -> str:
    nibp = view.last_nibp
    return f"{fmt.num(nibp['NIBP_SYS'][1])}/{fmt.num(nibp['NIBP_DIA'][1])}"


def test_tiles_follow_the_runtime(page: Page, clinic, errors: list[str]) -> None:
    page.goto(clinic.url + "/")
    tile = page.locator('.tile[data-bed="chair1"]')
    for _ in range(2):
        v = clinic.view("chair1")
        expect(tile.locator(".tile-phase")).to_have_text(f"Infusion · {fmt.clock(v.t_s)}")
        expect(tile.locator(".tnum-hr .tnum-value")).to_have_text(fmt.num(v.value("HR")))
        expect(tile.locator(".tnum-spo2 .tnum-value")).to_have_text(fmt.num(v.value("SPO2")))
        expect(tile.locator(".tnum-nibp .tnum-value")).to_have_text(_nibp(v))
        expect(tile.locator(".tile-pump")).to_contain_text("Pump running")
        clinic.advance(7)
    assert page.locator(".tile").count() == len(clinic.runtime.beds)
    expect(page.locator(".notice")).to_have_text("Training tool — not a medical device")
    assert errors == []


def test_sparklines_are_svg_and_grow(page: Page, clinic) -> None:
    page.goto(clinic.url + "/")
    spark = page.locator('.tile[data-bed="chair1"] .tile-spark .js-plotly-plot')
    expect(spark.locator(".scatterlayer .trace")).to_have_count(3)
    assert spark.locator("canvas").count() == 0  # SVG lines, no WebGL context
    last = "el => el.data && el.data[0].x.length ? el.data[0].x[el.data[0].x.length - 1] : -1"
    page.wait_for_function(f"el => ({last})(el) > 0", arg=spark.element_handle())
    before = spark.evaluate(last)
    clinic.advance(60)  # four more 15-second buckets (the window keeps its last 30 min)
    page.wait_for_function(f"el => ({last})(el) >= {before + 60}", arg=spark.element_handle())


def test_a_tile_opens_its_bedside_monitor(page: Page, clinic) -> None:
    page.goto(clinic.url + "/")
    page.locator('.tile[data-bed="chair2"] .tile-link').click()
    expect(page).to_have_url(clinic.url + "/bed/chair2")
    expect(page.locator(".bed-name")).to_have_text("Chair 2")
