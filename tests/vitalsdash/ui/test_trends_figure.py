"""The bedside trend figure: rows that never share a label or a tick.

Rows are stacked on one elapsed-time axis, each a few dozen pixels high on a laptop. Their
names are level labels in the left margin, one per row at its middle (upright axis titles
ran into each other); a tick label that would leave its row is hidden, so neighbouring rows'
labels never meet; the time axis shows seconds once zoomed under a minute. The browser test
(browser/test_bedside_fixes.py) measures the drawn labels at 1280x800 and 1920x1080.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from vitalsdash import channels
from vitalsdash.ui.widgets import trends

pytestmark = pytest.mark.unit


def _y_axes(layout: dict) -> list[tuple[str, dict]]:
    return sorted(
        ((k, v) for k, v in layout.items() if k.startswith("yaxis")),
        key=lambda kv: -kv[1]["domain"][1],
    )


def test_rows_are_apart_and_unlabelled_on_end() -> None:
    layout = trends.empty_figure()["layout"]
    axes = _y_axes(layout)
    assert len(axes) == len(channels.panels()) + 1  # the events row and one per panel
    for (_, upper), (_, lower) in pairwise(axes):
        assert lower["domain"][1] <= upper["domain"][0] - trends.GAP + 1e-9
    for name, axis in axes:
        assert "title" not in axis, f"{name}: a title on end would run into the next row's"
        assert axis["ticklabeloverflow"] == "hide past domain", name
        assert 0 <= axis["domain"][0] < axis["domain"][1] <= 1


def test_each_row_has_one_level_label_at_its_middle() -> None:
    fig = trends.empty_figure()
    layout, lay = fig["layout"], trends.chart()
    labels = layout["annotations"]
    assert [a["text"] for a in labels] == [
        trends.EVENTS_LABEL,
        *[chans[0].panel_label for chans in lay.panels.values()],
    ]
    assert len({a["yref"] for a in labels}) == len(labels), "one row each"
    for a, (key, suffix, _, domain) in zip(labels, lay.rows, strict=True):
        assert a["yref"] == f"y{suffix} domain"
        assert (a["y"], a["yanchor"], a["xanchor"]) == (0.5, "middle", "left")
        assert a["xshift"] == -trends.MARGIN_L + 2, "in the margin, left of the tick labels"
        assert not a["showarrow"]
        # one line of the label fits the row at the chart's smallest height on a laptop
        plot_px = 150 - layout["margin"]["t"] - layout["margin"]["b"]
        assert (domain[1] - domain[0]) * plot_px >= a["font"]["size"], key


def test_no_axis_can_repeat_a_tick_label() -> None:
    """Plotly writes automatic ticks with as many digits as tell them apart; a fixed
    tickformat or tick text could repeat one (two ticks "98" on a 97.5..98.5 range)."""
    layout = trends.empty_figure()["layout"]
    events = layout[f"yaxis{trends.chart().axis['events']}"]
    assert events["showticklabels"] is False, "the lanes are told apart by their marks"
    for name, axis in _y_axes(layout):
        assert "tickformat" not in axis, name
        assert "ticktext" not in axis, name


def test_the_time_axis_shows_seconds_below_a_minute() -> None:
    layout = trends.empty_figure()["layout"]
    for name, axis in layout.items():
        if name.startswith("xaxis"):
            stops = {tuple(s["dtickrange"]): s["value"] for s in axis["tickformatstops"]}
            assert stops == {(None, 60_000): "%H:%M:%S", (60_000, None): "%H:%M"}, name
