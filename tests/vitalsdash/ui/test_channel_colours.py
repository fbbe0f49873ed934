"""One colour per channel everywhere: the registry's (ChannelInfo.colour on the monitor and
the review page, ChannelInfo.print_colour on paper).

The bedside numerics, the trends, the central station's tiles, the instructor's truth strip,
the review timeline (its lines, points and limit bands, the pump) and the report's timeline
all take a channel's colour from vitalsdash.channels; no page keeps one of its own (the
stylesheets' side is test_ui_theme's).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from vitalsdash import channels
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import timeline_figure
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui import theme
from vitalsdash.ui.instructor import truth
from vitalsdash.ui.review import figure as review_figure
from vitalsdash.ui.widgets import numerics, tiles, trends

pytestmark = pytest.mark.unit

SHOWN = [c for c in channels.all_channels() if c.shown]


def _walk(node: Any) -> Iterator[Any]:
    if isinstance(node, (list, tuple)):
        for child in node:
            yield from _walk(child)
    elif hasattr(node, "to_plotly_json"):
        yield node
        yield from _walk(getattr(node, "children", None))


def _rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb``, ``#rgb`` or ``rgba(r,g,b,a)`` as (r, g, b)."""
    m = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", colour)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A hypertensive session with alarms (limit bands on every alarmed row), ended."""
    beds = [BedConfig(id="c", scenario="hypertensive-responder", seed=12, autostart=False)]
    store = Store(str(tmp_path_factory.mktemp("colours") / "c.sqlite"))
    rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    rt.submit("c", "start_session", {}, "instructor")
    rt.advance(900)
    rt.submit("c", "end_session", {}, "instructor")
    data = session_from_store(store, rt.view("c").session_id)
    yield data, compute_debrief(data)
    store.close()


def test_bedside_numerics_take_the_registry_colour() -> None:
    boxes = {c.id: c for c in _walk(numerics.layout()) if getattr(c, "id", None)}
    for key, chans in channels.panels().items():
        assert boxes[f"num-{key}-box"].style == {"--ch": chans[0].colour}, key
        for c in chans:
            if c.secondary:
                assert boxes[f"num-{key}-map"].style == {"--ch": c.colour}, c.id


def test_the_trend_chart_takes_the_registry_colour() -> None:
    fig = trends.empty_figure()
    lay = trends.chart()
    for c in SHOWN:
        trace = fig["data"][lay.trace[c.id]]
        drawn = trace["line"]["color"] if trace["mode"] == "lines" else trace["marker"]["color"]
        assert drawn == c.colour, c.id
    labels = {a["name"]: a["font"]["color"] for a in fig["layout"]["annotations"]}
    for key, chans in channels.panels().items():
        assert labels[f"row-{key}"] == chans[0].colour
    assert labels["row-events"] == theme.PALETTE["muted"]
    decor = trends.decor({"HR_LO": 50.0, "HR_HI": 120.0}, None, [])
    hr = channels.panels()[channels.get("HR").panel][0]
    assert decor["r"] == [[lay.axis[hr.panel], 50, 120, hr.colour]]


def test_tiles_and_the_truth_strip_take_the_registry_colour() -> None:
    styled = [c for c in _walk(tiles.tile("b", "B")) if getattr(c, "style", None)]
    colours = [c.style["--ch"] for c in styled if "tnum" in (c.className or "")]
    assert colours == [chans[0].colour for chans in channels.panels().values() if chans[0].tile]
    for item in truth.ITEMS:
        if channels.is_known(item.main[0]) and channels.get(item.main[0]).shown:
            assert item.colour == channels.get(item.main[0]).colour


def test_review_and_report_draw_each_channel_in_the_registry_colour(session) -> None:
    data, db = session
    report = timeline_figure(data, db, width=None)
    dark = review_figure.dark_timeline(timeline_figure(data, db, width=None))
    by_short = {c.short: c for c in channels.all_channels()}
    pump = channels.get(channels.pump_rate_channel())
    checked = set()
    for paper, screen in zip(report.data, dark.data, strict=True):
        name = paper.name or ""
        if name in by_short and by_short[name].shown:
            c = by_short[name]
            if paper.mode == "lines":
                assert (paper.line.color, screen.line.color) == (c.print_colour, c.colour)
            else:
                assert (paper.marker.color, screen.marker.color) == (c.print_colour, c.colour)
            checked.add(c.id)
        elif name.endswith(("low limit", "high limit")):
            c = by_short[name.split(" ")[0]]
            assert _rgb(paper.line.color) == _rgb(c.print_colour), name
            assert _rgb(screen.line.color) == _rgb(c.colour), name
            if paper.fill:
                assert _rgb(paper.fillcolor) == _rgb(c.print_colour), name
                assert _rgb(screen.fillcolor) == _rgb(c.colour), name
            checked.add(name)
        elif name == "pump":
            assert (paper.line.color, screen.line.color) == (pump.print_colour, pump.colour)
            checked.add(name)
    assert {c.id for c in SHOWN} <= checked
    assert "pump" in checked
    assert any(n.endswith("limit") for n in checked), "the session had limit bands"
