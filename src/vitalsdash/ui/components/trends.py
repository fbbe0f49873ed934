"""The bedside trend chart: one figure, five stacked rows sharing an elapsed-time axis.

Rows (top to bottom): events (actions, alarm onsets), HR, SpO2, NIBP (systolic ▼,
diastolic ▲, mean –), RR. Figures are plain dicts (a go.Figure costs ~5x the server
time). Every trace is built from lists and has a ``text`` list, so one ``extendData``
can append to any subset of traces. Limit bands, baselines and phase markers are layout
shapes ("decor"), replaced in the browser with ``Plotly.relayout`` when they change, so
the extended points are never re-rendered away.
"""

from __future__ import annotations

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
    decor: list[dict[str, Any]],
) -> dict[str, Any]:
    """The chart with a backfill: channel series, event markers (x, y, text) and decor."""
    fig = empty_figure()
    for ch, (xs, ys) in series.items():
        trace = fig["data"][TRACE[ch]]
        trace["x"], trace["y"] = xs, ys
    for key, (xs, ys, texts) in events.items():
        trace = fig["data"][TRACE[key]]
        trace["x"], trace["y"], trace["text"] = xs, ys, texts
    fig["layout"]["shapes"] = decor
    return fig


def extend(
    series: dict[str, tuple[list, list]],
    events: dict[str, tuple[list, list, list]],
) -> list[Any] | None:
    """``extendData`` for the new points, or None when there are none."""
    idx: list[int] = []
    xs: list[list] = []
    ys: list[list] = []
    texts: list[list] = []
    for ch, (x, y) in series.items():
        if x:
            idx.append(TRACE[ch])
            xs.append(x)
            ys.append(y)
            texts.append([])
    for key, (x, y, t) in events.items():
        if x:
            idx.append(TRACE[key])
            xs.append(x)
            ys.append(y)
            texts.append(t)
    if not idx:
        return None
    return [{"x": xs, "y": ys, "text": texts}, idx, MAX_POINTS]


def _hline(axis: str, y: float, colour: str, dash: str, label: str = "") -> dict[str, Any]:
    shape: dict[str, Any] = {
        "type": "line",
        "xref": f"x{axis} domain",
        "x0": 0,
        "x1": 1,
        "yref": f"y{axis}",
        "y0": y,
        "y1": y,
        "layer": "below",
        "line": {"color": colour, "width": 1, "dash": dash},
    }
    if label:
        shape["label"] = {
            "text": label,
            "textposition": "end",
            "yanchor": "bottom",
            "font": {"size": 10, "color": PALETTE["muted"]},
        }
    return shape


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


def decor_key(limits: dict[str, float | None], baseline: Any, phases: list[list[Any]]) -> tuple:
    """What the decor depends on: cheap to compare every tick."""
    return tuple(limits.get(c) for c in DECOR_LIMITS), baseline, tuple(map(tuple, phases))


def decor(
    limits: dict[str, float | None], baseline: Any, phases: list[list[Any]]
) -> list[dict[str, Any]]:
    """Shaded limit bands (inside the limits), the patient's baseline as dashed lines,
    and a vertical marker at each phase change."""
    shapes: list[dict[str, Any]] = []
    for row, cond in BAND.items():
        axis = AXIS[row]
        lo, hi = limits.get(f"{cond}_LO"), limits.get(f"{cond}_HI")
        if lo is None and hi is None:
            continue
        top = hi if hi is not None else Y_RANGES[row][1]
        bottom = lo if lo is not None else Y_RANGES[row][0]
        shapes.append(
            {
                "type": "rect",
                "xref": f"x{axis} domain",
                "x0": 0,
                "x1": 1,
                "yref": f"y{axis}",
                "y0": bottom,
                "y1": top,
                "layer": "below",
                "line": {"width": 0},
                "fillcolor": BAND_COLOUR[row],
                "opacity": 0.07,
            }
        )
        for v in (lo, hi):
            if v is not None:
                shapes.append(_hline(axis, v, BAND_COLOUR[row], "dot"))
    for v in (limits.get("DIA_LO"), limits.get("DIA_HI")):
        if v is not None:
            shapes.append(_hline(AXIS["NIBP"], v, PALETTE["muted"], "dot"))
    if baseline is not None:
        for row, attr in (
            ("HR", "hr_bpm"),
            ("SPO2", "spo2_pct"),
            ("NIBP", "sys_mmhg"),
            ("NIBP", "dia_mmhg"),
        ):
            v = getattr(baseline, attr, None)
            if v is not None:
                shapes.append(_hline(AXIS[row], v, PALETTE["muted"], "dash", f"baseline {v:.0f}"))
    for t_ms, phase in phases:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": t_ms,
                "x1": t_ms,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "layer": "above",
                "line": {"color": PALETTE["text"], "width": 1, "dash": "longdash"},
                "label": {
                    "text": PHASE_LABEL.get(phase, phase),
                    "textposition": "end",
                    "textangle": 0,
                    "xanchor": "left",
                    "yanchor": "top",
                    "font": {"size": 11, "color": PALETTE["text"]},
                },
            }
        )
    return shapes
