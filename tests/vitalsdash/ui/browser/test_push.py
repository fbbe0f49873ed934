"""The bedside page when the clinic pushes (``live_updates = "push"``): a stream, no polls."""

from __future__ import annotations

import time

import dash
import pytest
from playwright.sync_api import Page, expect

from vitalsdash.ui import fmt
from vitalsdash.ui.live.stream import hub_of, stream_path

pytestmark = pytest.mark.browser
HR_POINTS = """() => {
    const gd = document.querySelector('#bed-trends .js-plotly-plot');
    return gd && gd.data ? gd.data[0].x.length : -1;
}"""


@pytest.fixture
def pushing(clinic, monkeypatch: pytest.MonkeyPatch):
    """The shared clinic in push mode for one test (pages read the mode when drawn)."""
    rt = clinic.runtime
    section = rt.clinic.clinic.model_copy(update={"live_updates": "push"})
    monkeypatch.setattr(rt, "clinic", rt.clinic.model_copy(update={"clinic": section}))
    return hub_of(dash.get_app().server)


def _bed_polls(page: Page) -> list[str]:
    """The bedside tick callback's requests. On a pushed page the callback declines the
    calls it still gets (the page being drawn, an action's refresh); ticks make none."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.method == "POST"
            and "bed-interval" in (r.post_data or "") else None)  # fmt: skip
    return seen


def _wait_until(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_pushed_page_updates_live_without_polling(page: Page, clinic, pushing,
                                                    errors: list[str]) -> None:  # fmt: skip
    polls = _bed_polls(page)
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/stream" in r.url else None)
    page.goto(clinic.url + "/bed/chair2")
    v = clinic.view("chair2")
    expect(page.locator("#num-HR-value")).to_have_text(fmt.num(v.value("HR")))
    page.wait_for_function(f"({HR_POINTS})() > 0")
    before = page.evaluate(HR_POINTS)
    drawn = len(polls)
    clinic.advance(5)
    v = clinic.view("chair2")
    expect(page.locator("#bed-phase")).to_have_text(f"{fmt.phase(v.phase)} · {fmt.clock(v.t_s)}")
    expect(page.locator("#num-SPO2-value")).to_have_text(fmt.num(v.value("SPO2")))
    page.wait_for_function(f"({HR_POINTS})() === {before + 5}")  # the 5 new seconds, once
    assert streams == [clinic.url + stream_path("chair2")]
    assert len(polls) == drawn

    page.locator("#act-oxygen-on").click()  # an action shows on the next tick's message
    expect(page.locator("#action-toast")).to_contain_text("Oxygen")
    clinic.advance(1)
    expect(page.locator("#oxygen-state")).to_contain_text("Oxygen on")
    page.locator("#act-oxygen-off").click()
    expect(page.locator("#action-toast")).to_contain_text("Oxygen off")
    clinic.advance(1)
    expect(page.locator("#oxygen-state")).to_have_text("Oxygen off")
    acted = len(polls)

    page.get_by_role("link", name="← Central station").click()
    expect(page.locator("a[href='/bed/chair2']")).to_be_visible()

    def gone() -> bool:  # the stream ends once the server writes into the closed page
        clinic.advance(1)
        return pushing.open_streams == 0

    assert _wait_until(gone, 15), f"{pushing.open_streams} streams still open"
    assert len(polls) == acted
    assert errors == []


def test_a_page_refused_a_stream_polls_instead(page: Page, clinic, pushing,
                                               errors: list[str]) -> None:  # fmt: skip
    polls = _bed_polls(page)
    pushing.max_streams = 0
    try:
        page.goto(clinic.url + "/bed/chair1")
        page.wait_for_function(f"({HR_POINTS})() > 0")
        clinic.advance(2)
        v = clinic.view("chair1")
        expect(page.locator("#bed-phase")).to_have_text(
            f"{fmt.phase(v.phase)} · {fmt.clock(v.t_s)}"
        )
        expect(page.locator("#num-HR-value")).to_have_text(fmt.num(v.value("HR")))
        assert len(polls) > 1, "the page fell back to its Interval"
    finally:
        pushing.max_streams = 32
    assert [e for e in errors if "503" not in e] == []  # the refused stream is logged
