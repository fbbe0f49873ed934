"""The bedside trend chart: one figure, stacked rows sharing an elapsed-time axis.

Rows (top to bottom): events (actions, alarm onsets), then one per panel of the channel
registry in rank order (the built-in ones: heart rate, saturation, blood pressure with
systolic ▼, diastolic ▲, mean –, respiration). Figures are plain dicts (a go.Figure
costs ~5x the server time). Every trace is built from lists and has a ``text`` list, so
one ``extendData`` (built in the browser from ``compact``) can append to any subset of
traces. Limit bands,
baselines and phase markers are layout shapes ("decor") that the browser builds from
a compact spec and applies with ``Plotly.relayout``, so extended points are never
re-rendered away.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from vitalsdash import channels
from vitalsdash.runtime import BaselineView
from vitalsdash.ui.theme import PALETTE

EVENT_TRACES = ("action", "LOW", "MEDIUM", "HIGH")
EVENTS_LABEL = "Events"
"""The events row's label: its lanes (actions ◆ above, alarm onsets ▼ below) say the rest
on hover."""
MARGIN_L = 66
"""Left margin (px): a row's label, then its tick labels (three digits at TICK_FONT)."""
TICK_FONT = 11
LABEL_FONT = 11
X_TICKFORMATS = [
    {"dtickrange": [None, 60_000], "value": "%H:%M:%S"},
    {"dtickrange": [60_000, None], "value": "%H:%M"},
]
"""The time axis in whole minutes, with seconds once it is zoomed to ticks under a minute
(so no two ticks read the same)."""
EVENTS_HEIGHT = 0.095
GAP = 0.02
MAX_POINTS = 30000
"""Per trace in the browser: 6 h at 1 Hz plus the downsampled history before it."""
PHASE_LABEL = {
    "infusion": "Infusion",
    "observation": "Observation",
    "ready": "Ready",
    "ended": "Ended",
}
ALARM_COLOUR = {"HIGH": PALETTE["high-text"], "MEDIUM": PALETTE["medium"], "LOW": PALETTE["low"]}


def _whole(v: float) -> float | int:
    return int(v) if v == int(v) else v


class _Layout:
    """The chart's channels, rows and traces, from the channel registry's panels (rank
    order): one row per panel under the events row, one trace per shown channel."""

    def __init__(self) -> None:
        panels = channels.panels()
        self.panels = panels
        self.channels = tuple(c.id for chans in panels.values() for c in chans)
        self.trace = {ch: i for i, ch in enumerate(self.channels)}
        self.trace.update({k: len(self.channels) + i for i, k in enumerate(EVENT_TRACES)})
        heights = [chans[0].trend_height for chans in panels.values()]
        scale = min(1.0, (1.0 - EVENTS_HEIGHT - GAP * len(heights)) / sum(heights))
        rows: list[tuple[str, str, str, tuple[float, float]]] = []
        top = 1.0 - EVENTS_HEIGHT - GAP
        for i, (key, chans) in enumerate(panels.items(), start=2):
            bottom = top - chans[0].trend_height * scale
            domain = (round(max(bottom, 0.0), 4), round(top, 4))
            rows.append((key, str(i), chans[0].panel_label, domain))
            top = bottom - GAP
        self.rows = (("events", "", "", (round(1.0 - EVENTS_HEIGHT, 4), 1.0)), *rows)
        self.axis = {key: suffix for key, suffix, _, _ in self.rows}
        self.y_ranges = {
            key: [_whole(v) for v in chans[0].trend_range or (0.0, 1.0)]
            for key, chans in panels.items()
        }
        self.band = {key: chans[0].short for key, chans in panels.items() if chans[0].alarmed}
        self.band_colour = {key: chans[0].colour for key, chans in panels.items()}
        self.decor_limits = tuple(
            f"{c.short}_{d}"
            for chans in panels.values()
            for c in chans
            if c.alarmed and not c.secondary
            for d in ("LO", "HI")
        )


_CACHE: list[_Layout] = []


def chart() -> _Layout:
    """The chart's layout for the channels registered now (rebuilt when they change)."""
    if not _CACHE:
        _CACHE.append(_Layout())
    return _CACHE[0]


channels.on_change(_CACHE.clear)


_BUILT_IN = chart()
CHANNELS = _BUILT_IN.channels
TRACE = _BUILT_IN.trace
N_TRACES = len(TRACE)
ROWS = _BUILT_IN.rows
AXIS = _BUILT_IN.axis
Y_RANGES = _BUILT_IN.y_ranges
"""Always shown; the axis grows past these when a value or a limit does."""
BAND = _BUILT_IN.band
BAND_COLOUR = _BUILT_IN.band_colour


def _line(name: str, colour: str, axis: str, unit: str) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": [],
        "y": [],
        "text": [],
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "connectgaps": False,
        "line": {"color": colour, "width": 1.6},
        "hovertemplate": f"%{{y}} {unit}<extra>{name}</extra>",
    }


def _points(
    name: str,
    colour: str,
    axis: str,
    symbol: str,
    size: int,
    y: float | None = None,
    unit: str = "mmHg",
) -> dict[str, Any]:
    trace = {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [],
        "y": [],
        "text": [],
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "marker": {"color": colour, "symbol": symbol, "size": size},
        "hovertemplate": f"%{{y}} {unit}<extra>" + name + "</extra>",
    }
    if y is not None:
        trace["hovertemplate"] = "%{text}<extra></extra>"
    return trace


def empty_figure() -> dict[str, Any]:
    """The chart with every trace present and empty."""
    p = PALETTE
    lay = chart()
    data = []
    for key, chans in lay.panels.items():
        for c in chans:
            if c.periodic:
                size = 10 if c.secondary else 9
                data.append(
                    _points(c.trend_label, c.colour, lay.axis[key], c.marker, size, unit=c.unit)
                )
            else:
                data.append(_line(c.trend_label, c.colour, lay.axis[key], c.unit))
    data += [
        _points("Action", p["link"], lay.axis["events"], "diamond", 10, 1),
        _points("Low alarm", ALARM_COLOUR["LOW"], lay.axis["events"], "triangle-down", 9, 0),
        _points("Medium alarm", ALARM_COLOUR["MEDIUM"], lay.axis["events"], "triangle-down", 10, 0),
        _points("High alarm", ALARM_COLOUR["HIGH"], lay.axis["events"], "triangle-down", 11, 0),
    ]
    layout: dict[str, Any] = {
        "template": None,
        "paper_bgcolor": p["panel"],
        "plot_bgcolor": p["panel"],
        "font": {"color": p["text"], "size": 13, "family": "Inter, Roboto, Arial, sans-serif"},
        "margin": {"l": MARGIN_L, "r": 14, "t": 6, "b": 28},
        "showlegend": False,
        "hovermode": "x",
        "hoverlabel": {"bgcolor": p["panel-2"], "font": {"color": p["text"]}},
        "uirevision": "trends",
        "shapes": [],
        "annotations": row_labels(),
    }
    last = lay.rows[-1][0]
    for key, suffix, _title, domain in lay.rows:
        bottom = key == last
        layout[f"xaxis{suffix}"] = {
            "type": "date",
            "anchor": f"y{suffix}",
            "showticklabels": bottom,
            "tickformat": "%H:%M",
            "tickformatstops": X_TICKFORMATS,
            "hoverformat": "%H:%M:%S",
            "gridcolor": p["border"],
            "zeroline": False,
            "color": p["muted"],
            "showspikes": True,
            "spikecolor": p["muted"],
            "spikethickness": 1,
            "spikemode": "across",
            **({} if suffix == "" else {"matches": "x"}),
        }
        y: dict[str, Any] = {
            "domain": list(domain),
            "anchor": f"x{suffix}",
            "gridcolor": p["border"],
            "zeroline": False,
            "color": p["muted"],
            "fixedrange": True,
            "tickfont": {"size": TICK_FONT},
            "ticklabeloverflow": "hide past domain",  # never into the next row's labels
            "nticks": 5,
        }
        if key == "events":
            # two lanes (alarms below, actions above) told apart by their marks and hover
            # text: two tick labels in a row this low would sit on each other
            y.update(range=[-0.7, 1.7], showticklabels=False, showgrid=False)
        else:
            y.update(autorange=True, autorangeoptions={"include": lay.y_ranges[key]})
        layout[f"yaxis{suffix}"] = y
    return {"data": data, "layout": layout}


def row_labels() -> list[dict[str, Any]]:
    """Each panel's name, level, at the left edge of the chart and the middle of its row,
    in the panel's colour. Not axis titles: those stand on end and, rows being a few
    dozen pixels high on a laptop, ran into each other; a level label needs one line of
    its row. The tick labels sit between it and the plot (MARGIN_L)."""
    lay = chart()
    out = []
    for key, suffix, title, _ in lay.rows:
        colour = PALETTE["muted"] if key == "events" else lay.band_colour[key]
        out.append(
            {
                "text": title or EVENTS_LABEL,
                "showarrow": False,
                "xref": "paper",
                "x": 0,
                "xanchor": "left",
                "xshift": -MARGIN_L + 2,
                "yref": f"y{suffix} domain",
                "y": 0.5,
                "yanchor": "middle",
                "font": {"size": LABEL_FONT, "color": colour},
                "name": f"row-{key}",
            }
        )
    return out


def figure(
    series: dict[str, tuple[list, list]],
    events: dict[str, tuple[list, list, list]],
) -> dict[str, Any]:
    """The chart with a backfill: channel series and event markers (x, y, text). The
    decor follows in the same response and is drawn in the browser."""
    fig = empty_figure()
    trace_of = chart().trace
    for ch, (xs, ys) in series.items():
        trace = fig["data"][trace_of[ch]]
        trace["x"], trace["y"] = xs, ys
    for key, (xs, ys, texts) in events.items():
        trace = fig["data"][trace_of[key]]
        trace["x"], trace["y"], trace["text"] = xs, ys, texts
    return fig


def _y(v: float | None) -> float | int | None:
    """A whole number as an int: ``97`` is two bytes shorter on the wire than ``97.0``."""
    return int(v) if v is not None and v == int(v) else v


def compact(
    series: dict[str, tuple[list, list]],
    events: dict[str, tuple[list, list, list]],
) -> list[list[Any]] | None:
    """The new points, compactly, for the browser to extend the chart with (bedside.js).

    One entry per trace that grew: ``[trace, x0, dx, ys]`` when its x values are evenly
    spaced (1 Hz channels: a whole minute at x60 costs two numbers of x), otherwise
    ``[trace, xs, ys, texts]``. None when nothing is new."""
    out: list[list[Any]] = []
    trace_of = chart().trace
    for ch, (x, y) in series.items():
        if not x:
            continue
        ys = [_y(v) for v in y]
        dx = x[1] - x[0] if len(x) > 1 else 1000
        if all(b - a == dx for a, b in pairwise(x)):
            out.append([trace_of[ch], x[0], dx, ys])
        else:
            out.append([trace_of[ch], x, ys, []])
    for key, (x, y, t) in events.items():
        if x:
            out.append([trace_of[key], x, y, t])
    return out or None


DECOR_LIMITS = _BUILT_IN.decor_limits


def decor_key(
    limits: dict[str, float | None],
    baseline: BaselineView | None,
    phases: list[list[Any]],
    gaps: Sequence[Sequence[Any]] = (),
) -> tuple:
    """What the decor depends on: cheap to compare every tick."""
    return (
        tuple(limits.get(c) for c in chart().decor_limits),
        baseline,
        tuple(map(tuple, phases)),
        tuple(map(tuple, gaps)),
    )


def decor(
    limits: dict[str, float | None],
    baseline: BaselineView | None,
    phases: list[list[Any]],
    gaps: Sequence[Sequence[Any]] = (),
) -> dict[str, Any]:
    """What the chart draws behind the data, compactly; assets/bedside.js makes the shapes.

    ``r``: shaded bands inside the limits ``[axis, y0, y1, colour]``; ``h``: horizontal
    lines ``[axis, y, colour, dash, label]`` (limits dotted, the patient's baseline dashed);
    ``v``: a vertical marker ``[x, label]`` at each phase change; ``i``: a band ``[x,
    label]`` where monitoring was interrupted (a restart: session time did not move, the
    label says for how long monitoring stopped); ``m``/``t``/``w``: label and band
    colours. Sent whole when it changes: a few hundred bytes, not kilobytes of shapes."""
    rects: list[list[Any]] = []
    lines: list[list[Any]] = []
    lay = chart()
    for row, cond in lay.band.items():
        axis = lay.axis[row]
        lo, hi = limits.get(f"{cond}_LO"), limits.get(f"{cond}_HI")
        if lo is None and hi is None:
            continue
        top = hi if hi is not None else lay.y_ranges[row][1]
        bottom = lo if lo is not None else lay.y_ranges[row][0]
        colour = lay.band_colour[row]
        rects.append([axis, _y(bottom), _y(top), colour])
        lines += [[axis, _y(v), colour, "dot", ""] for v in (lo, hi) if v is not None]
    for row, chans in lay.panels.items():  # a panel's other limits (NIBP DIA): muted lines
        for c in chans[1:]:
            if c.alarmed and not c.secondary:
                for v in (limits.get(f"{c.short}_LO"), limits.get(f"{c.short}_HI")):
                    if v is not None:
                        lines.append([lay.axis[row], _y(v), PALETTE["muted"], "dot", ""])
    if baseline is not None:  # the patient's baseline of each main value (not the NIBP mean)
        for row, chans in lay.panels.items():
            for c in chans:
                v = None if c.secondary else baseline.value(c.id)
                if v is not None:
                    lines.append(
                        [lay.axis[row], _y(v), PALETTE["muted"], "dash", f"baseline {v:.0f}"]
                    )
    marks = [[t_ms, PHASE_LABEL.get(phase, phase)] for t_ms, phase in phases]
    return {
        "r": rects,
        "h": lines,
        "v": marks,
        "i": [list(g) for g in gaps],
        "m": PALETTE["muted"],
        "t": PALETTE["text"],
        "w": PALETTE["medium"],
    }
