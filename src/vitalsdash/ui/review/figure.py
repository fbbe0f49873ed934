"""The report's timeline in the monitor's dark colours.

The timeline itself is :func:`vitalsdash.report.timeline_figure` (the HTML report draws
the same figure on white); this only recolours it, by trace name, so that the review page
looks like the rest of the monitor: the vital signs in their bedside colours, alarm
priorities in the alarm colours, light marks where the report has dark ones.
"""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go

from vitalsdash import channels
from vitalsdash.report import INTERRUPTION
from vitalsdash.ui.theme import PALETTE

GRID = "#1d252e"
AXIS = "#3a4654"
INSTRUCTOR = "#d0a8ff"  # the instructor's marks on the timeline (lilac)
LINES = {
    "pump": channels.get(channels.pump_rate_channel()).colour,
    "HIGH": PALETTE["high-text"],
    "MEDIUM": PALETTE["medium"],
    "LOW": PALETTE["low"],
    "latched": PALETTE["muted"],
}
MARKERS = {
    "acknowledged": PALETTE["text"],
    "suppressed": PALETTE["muted"],
    "trainee": PALETTE["link"],
    "instructor": INSTRUCTOR,
    "charted": PALETTE["ok"],
    "scenario": "#f4a261",
    "device": PALETTE["muted"],
    "patient said": "#ff8a80",
}
"""Trace name -> colour on the dark panel (names as timeline_figure gives them); the
channels' own come from the registry (``channel_colours``)."""
BAND_LINE_ALPHA, BAND_FILL_ALPHA = 0.55, 0.09
"""A row's limit band: its channel's colour, translucent (as on the bedside trends)."""
EVENT_LINE = "rgba(244,162,97,0.6)"
FONT = '"DejaVu Sans", "Inter", "Roboto", "Helvetica Neue", Arial, sans-serif'

_RGBA = re.compile(r"rgba\((\d+),\s*(\d+),\s*(\d+),\s*([\d.]+)\)")


def channel_colours() -> tuple[dict[str, str], dict[str, str]]:
    """Line and marker colours of the registry's channels by trace name (their short name):
    continuous channels draw lines, periodic ones points (a secondary one muted)."""
    lines = {c.short: c.colour for c in channels.of_kind(channels.Kind.CONTINUOUS)}
    markers = {c.short: c.colour for c in channels.of_kind(channels.Kind.PERIODIC)}
    return lines, markers


def band_colours() -> dict[str, str]:
    """A limit band's trace name prefix (the channel's short name) -> its channel's colour."""
    return {c.short: c.colour for c in channels.all_channels() if c.alarmed}


def translucent(hex_colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r,g,b,alpha)``."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


def on_dark(colour: str | None) -> str | None:
    """A translucent phase shade made for white paper, for a near-black one: half as
    strong again, and a black shade turns white (the shade of the ``ended`` phase)."""
    m = _RGBA.fullmatch(colour or "")
    if m is None:
        return colour
    r, g, b, a = (int(m[1]), int(m[2]), int(m[3]), float(m[4]))
    if max(r, g, b) < 40:
        r = g = b = 255
    return f"rgba({r},{g},{b},{min(0.3, 1.5 * a):.3g})"


def dark_timeline(fig: go.Figure, *, uirevision: str | None = None) -> go.Figure:
    """Recolour ``fig`` (a timeline_figure) in place for the dark monitor; returns it.

    ``uirevision`` keeps the reader's zoom when the figure is replaced (the values
    toggle)."""
    panel, text, muted = PALETTE["panel"], PALETTE["text"], PALETTE["muted"]
    chan_lines, chan_markers = channel_colours()
    lines, markers = {**chan_lines, **LINES}, {**chan_markers, **MARKERS}
    bands = band_colours()
    for trace in fig.data:
        name = trace.name or ""
        if name.endswith(("low limit", "high limit")):
            colour = bands.get(name.split(" ")[0], PALETTE["muted"])
            trace.line.color = translucent(colour, BAND_LINE_ALPHA)
            if trace.fill:
                trace.fillcolor = translucent(colour, BAND_FILL_ALPHA)
        elif name in lines:
            trace.line.color = lines[name]
            if name == "pump":
                trace.fillcolor = translucent(lines[name], 0.16)
        elif name in markers:
            trace.marker.color = markers[name]
    shapes = []
    for shape in fig.layout.shapes:
        s = shape.to_plotly_json()
        if s.get("type") == "rect":
            s["fillcolor"] = on_dark(s.get("fillcolor"))
        elif s.get("name") == INTERRUPTION:  # stays a warning colour
            s["line"] = {**s.get("line", {}), "color": PALETTE["medium"]}
        elif s.get("type") == "line":
            s["line"] = {**s.get("line", {}), "color": EVENT_LINE}
        shapes.append(s)
    notes = []
    for note in fig.layout.annotations:
        n = note.to_plotly_json()
        warn = n.get("name") == INTERRUPTION
        n["font"] = {**n.get("font", {}), "color": PALETTE["medium"] if warn else muted}
        if warn:
            n["bgcolor"] = panel
        notes.append(n)
    axis = {"gridcolor": GRID, "linecolor": AXIS, "tickcolor": AXIS, "zerolinecolor": AXIS}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    fig.update_layout(
        shapes=shapes,
        annotations=notes,
        paper_bgcolor=panel,
        plot_bgcolor=panel,
        font={"family": FONT, "color": text, "size": 11},
        hoverlabel={"bgcolor": PALETTE["panel-2"], "bordercolor": AXIS, "font_color": text},
        modebar={"bgcolor": "rgba(0,0,0,0)", "color": muted, "activecolor": text},
        margin={"l": max(96, int(fig.layout.margin.l or 0)), "r": 16, "t": 26, "b": 44},
        uirevision=uirevision,
    )
    return fig


def trace_index(figure: dict[str, Any], name: str) -> int | None:
    """Where the trace called ``name`` is in a figure dict (None if absent)."""
    for i, trace in enumerate(figure.get("data", [])):
        if trace.get("name") == name:
            return i
    return None
