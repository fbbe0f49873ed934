"""What a new user found on the bedside page, checked the way they met it.

The page fits a laptop (1280x800) and a full-HD screen without scrolling, with room for
one more row or card of controls; the action toast covers no numeric, alarm or control;
the chart form empties after a charted observation and keeps a refused one's text; the
trend chart has no repeated tick label and no label over another; the tab and the heading
name the chair as the clinic does; the NIBP box says the cuff's program in force.

Only reads and harmless actions (a refused rate, notes and sedation scores charted), on
chairs any test may use: nothing here depends on what other tests did or leaves them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from vitalsdash.ui.widgets import numerics

pytestmark = pytest.mark.browser

SIZES = [(1280, 800), (1920, 1080)]
CONTROLS = "button, input, select, textarea, a[href], .form-check"
OUT_OF_VIEW = """(sel) => {
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;  // not displayed
        if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5)
            out.push(`${el.id || el.className || el.tagName} ${JSON.stringify(r)}`);
    }
    return out;
}"""
PAGE_SCROLLS = "() => document.scrollingElement.scrollHeight > innerHeight"
EXTRA_ROW = """() => {
    /* what another helper may add: a row of controls under the others, and a card in it */
    const row = document.createElement('div');
    row.className = 'row g-2 extra-row';
    row.innerHTML = '<div class="col"><div class="card panel-card"><div class="card-header">' +
        'Pre-infusion checklist</div><div class="card-body"><button class="btn btn-sm ' +
        'btn-primary">Start infusion</button> <button class="btn btn-sm btn-secondary">' +
        'Discharge</button></div></div></div>';
    document.querySelector('.bed-page').appendChild(row);
}"""
EXTRA_CARD = """() => {
    const row = document.querySelector('.bed-controls');
    const card = row.children[1].cloneNode(true);
    card.querySelectorAll('[id]').forEach(e => e.removeAttribute('id'));
    row.insertBefore(card, row.firstElementChild);
}"""
OVERLAPS = """([box, sel]) => {
    const a = document.querySelector(box).getBoundingClientRect();
    const hit = [];
    for (const el of document.querySelectorAll(sel)) {
        if (el.closest(box)) continue;  // the toast's own close button
        const b = el.getBoundingClientRect();
        if (b.width === 0 || b.height === 0) continue;
        if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
            hit.push(el.id || el.className || el.tagName);
    }
    return hit;
}"""


def _open(page: Page, url: str, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(url)
    expect(page.locator("#num-HR-value")).not_to_have_text("–")
    page.wait_for_function("document.querySelector('#bed-trends .yaxislayer-above text')")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_page_fits_the_screen_with_every_control_in_reach(
    page: Page, clinic, size: tuple[int, int], errors: list[str]
) -> None:
    _open(page, clinic.url + "/bed/chair3", size)
    assert not page.evaluate(PAGE_SCROLLS), page.evaluate(
        "() => [document.scrollingElement.scrollHeight, innerHeight]"
    )
    assert page.evaluate(OUT_OF_VIEW, CONTROLS) == []
    assert page.evaluate(OUT_OF_VIEW, ".num-box, .alarm-banner, .trend-card") == []
    # room for one more row of controls, or one more card in the row: still one screen
    for extra in (EXTRA_ROW, EXTRA_CARD):
        page.reload()
        expect(page.locator("#num-HR-value")).not_to_have_text("–")
        page.evaluate(extra)
        assert not page.evaluate(PAGE_SCROLLS)
        assert page.evaluate(OUT_OF_VIEW, CONTROLS) == []
        value = page.locator("#num-HR-value").bounding_box()
        assert value is not None
        assert value["height"] >= 20, "the numerics stay readable"
    assert errors == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_toast_covers_no_numeric_alarm_or_control(
    page: Page, clinic, size: tuple[int, int]
) -> None:
    _open(page, clinic.url + "/bed/chair4", size)
    page.locator("#pump-set-rate").click()  # refused (no rate): nothing changes
    toast = page.locator("#action-toast")
    expect(toast).to_contain_text("Enter a rate in mg/kg/h first.")
    covered = page.evaluate(
        OVERLAPS, ["#action-toast", f".num-box, .alarm-banner, .alarm-row, {CONTROLS}"]
    )
    assert covered == []
    inside = page.evaluate(OVERLAPS, ["#action-toast", ".bed-trends"])
    assert inside, "it sits on the trend chart"


def test_the_chart_form_clears_after_charting_and_keeps_a_refused_text(page: Page, clinic) -> None:
    page.goto(clinic.url + "/bed/chair1")
    kind, value, text = (page.locator(f"#chart-{p}") for p in ("kind", "value", "text"))
    toast = page.locator("#action-toast")
    kind.select_option("sedation")
    text.fill("calm, eyes closed")
    page.locator("#chart-submit").click()
    expect(toast).to_contain_text("Enter a score from 0 to 10 first.")
    expect(text).to_have_value("calm, eyes closed")  # refused: nothing is lost
    value.fill("3")
    page.locator("#chart-submit").click()
    expect(toast).to_contain_text("Charted sedation")
    expect(value).to_have_value("")
    expect(text).to_have_value("")
    expect(kind).to_have_value("sedation")  # the next score of the same kind is one entry
    expect(page.locator("#chart-recent")).to_contain_text("Sedation: 3 calm, eyes closed")
    kind.select_option("note")
    text.fill("asked for water")
    page.locator("#chart-submit").click()
    expect(page.locator("#chart-recent")).to_contain_text("Note: asked for water")
    expect(text).to_have_value("")


TICKS = """() => {
    /* per y axis: its visible tick labels; and every label's box (ticks and row labels) */
    const gd = document.querySelector('#bed-trends .js-plotly-plot');
    const axes = {}, boxes = [];
    for (const t of gd.querySelectorAll('.yaxislayer-above [class^="y"][class$="tick"] text')) {
        const r = t.getBoundingClientRect();
        if (!r.width || getComputedStyle(t).display === 'none') continue;
        const axis = t.parentNode.getAttribute('class');
        (axes[axis] = axes[axis] || []).push(t.textContent);
        boxes.push([axis + ' ' + t.textContent, r.left, r.top, r.right, r.bottom]);
    }
    for (const a of gd.querySelectorAll('.annotation')) {
        const r = a.getBoundingClientRect();
        boxes.push(['label ' + a.textContent, r.left, r.top, r.right, r.bottom]);
    }
    return {axes, boxes};
}"""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trend_labels_neither_repeat_nor_overlap(page: Page, clinic, size) -> None:
    _open(page, clinic.url + "/bed/chair3", size)
    # under load the last rows' tick labels may come a redraw later: wait for all five
    page.wait_for_function(f"() => Object.keys(({TICKS})().axes).length >= 5", timeout=15_000)
    got = page.evaluate(TICKS)
    assert len(got["axes"]) == 5, got["axes"]  # the events row's lanes have no tick labels
    for axis, labels in got["axes"].items():
        assert len(labels) == len(set(labels)), f"{axis} repeats a label: {labels}"
    boxes = got["boxes"]
    labels = [b for b in boxes if b[0].startswith("label ")]
    names = ("Events", "HR", "SpO₂", "NIBP", "RR", "EtCO₂")
    assert [b[0] for b in labels] == [f"label {t}" for t in names]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
            assert apart, f"{a[0]} overlaps {b[0]}: {a[1:]} {b[1:]}"


X_TICKS = """() => [...document.querySelectorAll(
    '#bed-trends .xaxislayer-above [class^="x"][class$="tick"] text')]
    .filter(t => t.getBoundingClientRect().width > 0).map(t => t.textContent)"""
ZOOM = """(seconds) => {
    const gd = document.querySelector('#bed-trends .js-plotly-plot');
    const end = gd._fullLayout.xaxis.r2l(gd._fullLayout.xaxis.range[1]);
    return window.Plotly.relayout(gd, {'xaxis.range': [end - seconds * 1000, end]});
}"""


def test_the_time_axis_never_repeats_a_label_when_zoomed(page: Page, clinic) -> None:
    _open(page, clinic.url + "/bed/chair3", SIZES[0])
    for seconds in (90, 600, 3600):
        page.evaluate(ZOOM, seconds)
        labels = page.evaluate(X_TICKS)
        assert len(labels) >= 2, labels
        assert len(labels) == len(set(labels)), f"{seconds} s: {labels}"


def test_the_title_and_heading_name_the_chair(page: Page, clinic) -> None:
    page.goto(clinic.url + "/bed/chair3")
    expect(page).to_have_title("Chair 3 — vitalsdash")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chair 3")
    page.goto(clinic.url + "/bed/chair1")
    expect(page).to_have_title("Chair 1 — vitalsdash")
    expect(page.locator("h1.bed-name")).to_have_text("Chair 1")


def test_the_nibp_box_says_the_program_in_force(page: Page, clinic) -> None:
    """The hypertensive responder's own [nibp]: every 5 min while infusing (the protocol
    file says 10); the box says what the bed's view says."""
    page.goto(clinic.url + "/bed/chair4")
    v = clinic.view("chair4")
    age = page.locator("#num-NIBP-age")
    expect(age).to_contain_text(numerics.every(v).strip(" ·"))
    if v.phase == "infusion":
        expect(age).to_contain_text("every 5 min")
