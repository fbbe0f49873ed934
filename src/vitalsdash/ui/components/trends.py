"""The bedside trend chart: one figure, five stacked rows sharing an elapsed-time axis.

Rows (top to bottom): events (actions, alarm onsets), HR, SpO2, NIBP (systolic ▼,
diastolic ▲, mean –), RR. Figures are plain dicts (a go.Figure costs ~5x the server
time). Every trace is built from lists and has a ``text`` list, so one ``extendData``
(built in the browser from ``compact``) can append to any subset of traces. Limit bands,
baselines and phase markers are layout shapes ("decor") that the browser builds from
a compact spec and applies with ``Plotly.relayout``, so extended points are never
re-rendered away.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from vitalsdash.ui.theme import PALETTE

CHANNELS = ("HR", "SPO2", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP", "RR")
TRACE = {
    "HR": 0,
    "SPO2": 1,
    "NIBP_SYS": 2,
    "NIBP_DIA": 3,
    "NIBP_MAP": 4,
    "RR": 5,
    "action": 6,
    "LOW": 7,
    "MEDIUM": 8,
    "HIGH": 9,
}
N_TRACES = len(TRACE)
MAX_POINTS = 30000
"""Per trace in the browser: 6 h at 1 Hz plus the downsampled history before it."""

# (row key, axis suffix, title, domain)
ROWS = (
    ("events", "", "", (0.905, 1.0)),
    ("HR", "2", "HR", (0.69, 0.885)),
    ("SPO2", "3", "SpO₂", (0.5, 0.67)),
    ("NIBP", "4", "NIBP", (0.22, 0.48)),
    ("RR", "5", "RR", (0.0, 0.2)),
)
AXIS = {key: suffix for key, suffix, _, _ in ROWS}
Y_RANGES = {"HR": [40, 140], "SPO2": [85, 100], "NIBP": [50, 200], "RR": [0, 32]}
"""Always shown; the axis grows past these when a value or a limit does."""
PHASE_LABEL = {
    "infusion": "Infusion",
    "observation": "Observation",
    "ready": "Ready",
    "ended": "Ended",
}
ALARM_COLOUR = {"HIGH": PALETTE["high-text"], "MEDIUM": PALETTE["medium"], "LOW": PALETTE["low"]}
BAND = {"HR": "HR", "SPO2": "SPO2", "NIBP": "SYS", "RR": "RR"}
BAND_COLOUR = {
    "HR": PALETTE["hr"],
    "SPO2": PALETTE["spo2"],
    "NIBP": PALETTE["nibp"],
    "RR": PALETTE["rr"],
}


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
        "hovertemplate": "%{y} mmHg<extra>" + name + "</extra>",
    }
    if y is not None:
        trace["hovertemplate"] = "%{text}<extra></extra>"
    return trace


def empty_figure() -> dict[str, Any]:
    """The chart with every trace present and empty."""
    p = PALETTE
    data = [
        _line("HR", p["hr"], AXIS["HR"], "bpm"),
        _line("SpO₂", p["spo2"], AXIS["SPO2"], "%"),
        _points("Systolic", p["nibp"], AXIS["NIBP"], "triangle-down", 9),
        _points("Diastolic", p["nibp"], AXIS["NIBP"], "triangle-up", 9),
        _points("Mean", p["muted"], AXIS["NIBP"], "line-ew-open", 10),
        _line("RR", p["rr"], AXIS["RR"], "/min"),
        _points("Action", p["link"], AXIS["events"], "diamond", 10, 1),
        _points("Low alarm", ALARM_COLOUR["LOW"], AXIS["events"], "triangle-down", 9, 0),
        _points("Medium alarm", ALARM_COLOUR["MEDIUM"], AXIS["events"], "triangle-down", 10, 0),
        _points("High alarm", ALARM_COLOUR["HIGH"], AXIS["events"], "triangle-down", 11, 0),
    ]
    layout: dict[str, Any] = {
        "template": None,
        "paper_bgcolor": p["panel"],
        "plot_bgcolor": p["panel"],
        "font": {"color": p["text"], "size": 13, "family": "Inter, Roboto, Arial, sans-serif"},
        "margin": {"l": 56, "r": 14, "t": 6, "b": 28},
        "showlegend": False,
        "hovermode": "x",
        "hoverlabel": {"bgcolor": p["panel-2"], "font": {"color": p["text"]}},
        "uirevision": "trends",
        "shapes": [],
    }
    for key, suffix, title, domain in ROWS:
        bottom = key == "RR"
        layout[f"xaxis{suffix}"] = {
            "type": "date",
            "anchor": f"y{suffix}",
            "showticklabels": bottom,
            "tickformat": "%H:%M",
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
            "title": {"text": title, "font": {"size": 12}},
        }
        if key == "events":
            y.update(
                range=[-0.7, 1.7], tickvals=[0, 1], ticktext=["alarm", "action"], showgrid=False
            )
        else:
            y.update(autorange=True, autorangeoptions={"include": Y_RANGES[key]})
        layout[f"yaxis{suffix}"] = y
    return {"data": data, "layout": layout}


def figure(
    series: dict[str, tuple[list, list]],
    events: dict[str, tuple[list, list, list]],
) -> dict[str, Any]:
    """The chart with a backfill: channel series and event markers (x, y, text). The
    decor follows in the same response and is drawn in the browser."""
    fig = empty_figure()
    for ch, (xs, ys) in series.items():
        trace = fig["data"][TRACE[ch]]
        trace["x"], trace["y"] = xs, ys
    for key, (xs, ys, texts) in events.items():
        trace = fig["data"][TRACE[key]]
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
    for ch, (x, y) in series.items():
        if not x:
            continue
        ys = [_y(v) for v in y]
        dx = x[1] - x[0] if len(x) > 1 else 1000
        if all(b - a == dx for a, b in pairwise(x)):
            out.append([TRACE[ch], x[0], dx, ys])
        else:
            out.append([TRACE[ch], x, ys, []])
    for key, (x, y, t) in events.items():
        if x:
            out.append([TRACE[key], x, y, t])
    return out or None


DECOR_LIMITS = (
    "HR_LO",
    "HR_HI",
    "SPO2_LO",
    "SPO2_HI",
    "SYS_LO",
    "SYS_HI",
    "DIA_LO",
    "DIA_HI",
    "RR_LO",
    "RR_HI",
)


def decor_key(
    limits: dict[str, float | None],
    baseline: Any,
    phases: list[list[Any]],
    gaps: Sequence[Sequence[Any]] = (),
) -> tuple:
    """What the decor depends on: cheap to compare every tick."""
    return (
        tuple(limits.get(c) for c in DECOR_LIMITS),
        baseline,
        tuple(map(tuple, phases)),
        tuple(map(tuple, gaps)),
    )


def decor(
    limits: dict[str, float | None],
    baseline: Any,
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
    for row, cond in BAND.items():
        axis = AXIS[row]
        lo, hi = limits.get(f"{cond}_LO"), limits.get(f"{cond}_HI")
        if lo is None and hi is None:
            continue
        top = hi if hi is not None else Y_RANGES[row][1]
        bottom = lo if lo is not None else Y_RANGES[row][0]
        rects.append([axis, _y(bottom), _y(top), BAND_COLOUR[row]])
        lines += [[axis, _y(v), BAND_COLOUR[row], "dot", ""] for v in (lo, hi) if v is not None]
    for v in (limits.get("DIA_LO"), limits.get("DIA_HI")):
        if v is not None:
            lines.append([AXIS["NIBP"], _y(v), PALETTE["muted"], "dot", ""])
    if baseline is not None:
        for row, attr in (
            ("HR", "hr_bpm"),
            ("SPO2", "spo2_pct"),
            ("NIBP", "sys_mmhg"),
            ("NIBP", "dia_mmhg"),
        ):
            v = getattr(baseline, attr, None)
            if v is not None:
                lines.append([AXIS[row], _y(v), PALETTE["muted"], "dash", f"baseline {v:.0f}"])
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
