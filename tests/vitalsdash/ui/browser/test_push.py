"""The bedside page when the clinic pushes (``live_updates = "push"``): a stream, no polls."""

from __future__ import annotations

import time

import dash
import pytest
from playwright.sync_api import Page, expect

from vitalsdash.ui import fmt
from vitalsdash.ui.live.bedside import bedside_tick, component_props
from vitalsdash.ui.live.stream import _frame, hub_of, stream_path

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


def _points(wire: dict | None, trace: int) -> int:
    """Points a tick's wire adds to one trace ([trace, x0, dx, ys] or [trace, xs, ...])."""
    entries = (wire or {}).get("e") or []
    return sum(len(e[3]) if isinstance(e[1], (int, float)) else len(e[1])
               for e in entries if e[0] == trace)  # fmt: skip


def test_messages_that_arrive_together_are_all_drawn(page: Page, clinic, pushing,
                                                     errors: list[str]) -> None:  # fmt: skip
    """A busy browser reads several messages at once, and Dash runs a callback once for
    inputs that changed twice: still every message's points and the backfill's decor
    (limits, baselines) are drawn, each once. The stream is the server's own messages for
    three ticks: the backfill, then the other two in one piece."""
    rt = clinic.runtime
    ticks = [bedside_tick(rt, "chair2", None)]
    for seconds in (3, 4):
        clinic.advance(seconds)
        ticks.append(bedside_tick(rt, "chair2", ticks[-1]["cursor"]))
    added = [_points(t.get("wire"), 0) for t in ticks[1:]]
    assert all(added), added  # each later tick brings HR points of its own
    spec = ticks[0]["wire"]["d"]
    decor_shapes = sum(len(spec.get(k) or []) for k in ("r", "h", "v", "i"))
    assert decor_shapes > 0
    # the backfill, then (the browser reconnects) the next two ticks' messages in one piece
    bodies = [
        b"retry: 2000\n\n" + _frame(component_props(ticks[0])),
        b"retry: 600000\n\n" + b"".join(_frame(component_props(t)) for t in ticks[1:]),
    ]
    page.route(f"**{stream_path('chair2')}", lambda route: route.fulfill(
        status=200, headers={"Content-Type": "text/event-stream"},
        body=bodies.pop(0) if bodies else b"retry: 600000\n\n"))  # fmt: skip
    page.goto(clinic.url + "/bed/chair2")
    backfill = len(ticks[0]["figure"]["data"][0]["x"])
    page.wait_for_function(f"({HR_POINTS})() >= {backfill}")
    try:
        page.wait_for_function(f"({HR_POINTS})() === {backfill + sum(added)}")
    except Exception:
        drawn = page.evaluate(HR_POINTS)
        raise AssertionError(f"HR points drawn {drawn}, expected {backfill} + {added}") from None
    page.wait_for_function(
        "(n) => { const gd = document.querySelector('#bed-trends .js-plotly-plot');"
        " return gd && gd.layout && (gd.layout.shapes || []).length === n; }",
        arg=decor_shapes,
    )
    time.sleep(0.5)  # nothing drawn twice
    assert page.evaluate(HR_POINTS) == backfill + sum(added)
    assert errors == []
