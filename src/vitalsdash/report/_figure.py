"""The session timeline as one Plotly figure (report and review page share it).

Private to :mod:`vitalsdash.report`, which re-exports :func:`timeline_figure`. Plotly only,
never Dash. Rows, top to bottom: the continuous channels of the registry (heart rate,
saturation, respiration: lines with the limit band in force), its periodic panels (NIBP:
readings as points), pump rate, alarm episodes (one line per condition, coloured by
priority, escalations included), and what people and the scenario did. Phases shade the
background; injected and scripted events are dotted vertical lines; where monitoring
was interrupted (a server restart) a wide orange line says so in words.

Long sessions are downsampled: min and max of each time bucket, so every excursion that
would trip an alarm is still drawn. Arrays go out as float32 (Plotly sends typed arrays
base64-encoded), which keeps a 6-hour report small.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vitalsdash import channels, interruptions
from vitalsdash.channels import ChannelInfo
from vitalsdash.debrief import SessionData
from vitalsdash.durations import hms
from vitalsdash.report._tables import said_words
from vitalsdash.text import plotly_text

PRIORITY_COLOURS = {"HIGH": "#d62728", "MEDIUM": "#d9a400", "LOW": "#17a2b8"}
PHASE_COLOURS = {
    "baseline": "rgba(128,128,128,0.10)",
    "infusion": "rgba(31,119,180,0.10)",
    "observation": "rgba(44,160,44,0.10)",
    "ready": "rgba(23,190,207,0.14)",
    "ended": "rgba(0,0,0,0.04)",
}
BAND_ALPHA, BAND_LINE_ALPHA = 0.12, 0.7
"""A row's limit band: its channel's print colour, translucent."""
INTERRUPTION = "interruption"
"""The name of the shape and the note that mark where monitoring was interrupted."""
INTERRUPTION_COLOUR = "#c05600"
MAX_POINTS = 1500
"""Points per vital-sign line at most (before, min/max per bucket)."""

SCENARIO_EVENT_KINDS = frozenset(
    {
        "hypertensive_surge",
        "tachycardia",
        "vasovagal",
        "desaturation",
        "emergence_anxiety",
        "nausea",
        "motion_artefacts",
        "probe_off",
        "cuff_failure",
    }
)


def _rows() -> tuple[tuple[ChannelInfo, ...], tuple[tuple[ChannelInfo, ...], ...]]:
    """The registry's continuous channels (one line row each) and its periodic panels
    (one row of points each, NIBP's sys/dia/map together), in panel order."""
    lines = tuple(p[0] for p in channels.panels().values() if p[0].continuous)
    points = tuple(p for p in channels.panels().values() if p[0].periodic)
    return lines, points


VALUE_COLUMNS = {"measured": "value", "true": "true_value"}
"""``timeline_figure(values=...)``: which sample column the vital-sign rows draw."""


def minmax_downsample(
    t: np.ndarray, v: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: the min and max of each of ``max_points // 2`` equal
    time buckets, in time order. NaN values (no usable value) break the line where a
    bucket has no value at all; short series come back unchanged."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    if len(t) <= max_points:
        return t, v
    n_buckets = max(1, max_points // 2)
    span = t[-1] - t[0]
    if span <= 0:
        return t[:max_points], v[:max_points]
    width = span / n_buckets
    ok = ~np.isnan(v)
    b = np.minimum(((t - t[0]) / width).astype(np.int64), n_buckets - 1)
    tb, vb, bb = t[ok], v[ok], b[ok]
    if len(tb) == 0:
        return np.array([t[0], t[-1]]), np.array([np.nan, np.nan])
    # within each bucket (t is sorted, so buckets are contiguous): index of min and max
    order = np.lexsort((vb, bb))
    starts = np.flatnonzero(np.r_[True, bb[order][1:] != bb[order][:-1]])
    ends = np.r_[starts[1:], len(order)] - 1
    idx = np.unique(np.concatenate([order[starts], order[ends]]))
    to, vo, bo = tb[idx], vb[idx], bb[idx]
    # a bucket without any value between two kept points: break the line there
    gap = np.flatnonzero(np.diff(bo) > 1)
    if gap.size:
        to = np.insert(to, gap + 1, (to[gap] + to[gap + 1]) / 2)
        vo = np.insert(vo, gap + 1, np.nan)
    return to, vo


def _f32(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


_esc = plotly_text  # hover labels: Plotly renders a subset of HTML


def _limit_steps(
    alarm_events: Sequence[Mapping[str, Any]], condition: str
) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = []
    for r in alarm_events:
        if r["event"] == "limit_changed" and r["condition"] == condition:
            v = r.get("limit_value")
            t = float(r["t_s"])
            if out and out[-1][0] == t:
                out[-1] = (t, v)
            else:
                out.append((t, v))
    return out


def _step_values(steps: list[tuple[float, float | None]], xs: np.ndarray) -> np.ndarray:
    out = np.full(len(xs), np.nan)
    if not steps:
        return out
    st = np.array([s[0] for s in steps])
    sv = np.array([np.nan if s[1] is None else float(s[1]) for s in steps])
    i = np.searchsorted(st, xs, "right") - 1
    has = i >= 0
    out[has] = sv[i[has]]
    return out


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


def _add_band(
    fig: go.Figure,
    row: int,
    events: Sequence[Mapping[str, Any]],
    channel: ChannelInfo,
    end_t: float,
) -> None:
    """The limits in force over time on ``channel``'s row, in its print colour."""
    short = channel.short
    lo, hi = _limit_steps(events, f"{short}_LO"), _limit_steps(events, f"{short}_HI")
    times = sorted({t for t, _ in lo} | {t for t, _ in hi})
    if not times:
        return
    xs = np.array([*times, max(end_t, times[-1])])
    lo_v, hi_v = _step_values(lo, xs), _step_values(hi, xs)
    x = _f32(xs / 60.0)
    common = {
        "x": x,
        "mode": "lines",
        "line": {
            "shape": "hv",
            "width": 1,
            "dash": "dot",
            "color": _rgba(channel.print_colour, BAND_LINE_ALPHA),
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }
    fig.add_trace(go.Scatter(y=_f32(lo_v), name=f"{short} low limit", **common), row=row, col=1)
    fig.add_trace(
        go.Scatter(
            y=_f32(hi_v),
            name=f"{short} high limit",
            fill="tonexty" if lo else None,
            fillcolor=_rgba(channel.print_colour, BAND_ALPHA),
            **common,
        ),
        row=row,
        col=1,
    )


def _series(
    data: SessionData, channel: str, column: str = "value"
) -> tuple[np.ndarray, np.ndarray]:
    """A channel's times and values; measured values flagged invalid are dropped, noise-free
    ones (``true_value``) are kept: the physiology went on behind an artefact."""
    s = data.samples
    g = s[s["channel"] == channel]
    v = g[column].to_numpy(dtype=float).copy()
    if column == "value":
        v[(g["quality"] == "invalid").to_numpy()] = np.nan
    return g["t_s"].to_numpy(dtype=float), v


def timeline_figure(
    data: SessionData,
    debrief: Any,
    *,
    max_points: int = MAX_POINTS,
    width: int | None = 1000,
    values: str = "measured",
) -> go.Figure:
    """The session on one time axis (minutes from the start). ``debrief`` is the
    :class:`vitalsdash.debrief.Debrief` of ``data``; ``width=None`` lets it autosize.
    ``values="true"`` draws the vital signs and NIBP from the samples' noise-free
    ``true_value`` instead of the measured values (teaching artefacts); everything else,
    alarms included, is what was measured."""
    if values not in VALUE_COLUMNS:
        raise ValueError(f"values must be one of {', '.join(VALUE_COLUMNS)} (got {values!r})")
    column, tag = VALUE_COLUMNS[values], "" if values == "measured" else " noise-free"
    conds = sorted(
        {e.condition for e in debrief.episodes} | {s.condition for s in debrief.suppressed}
    )
    alarm_h = max(0.10, 0.028 * max(len(conds), 1))
    lines, points = _rows()
    pump_row = len(lines) + len(points) + 1
    n_rows = pump_row + 2
    heights = [c.print_height for c in lines] + [p[0].print_height for p in points]
    heights += [0.07, alarm_h, 0.12]
    fig = make_subplots(
        rows=n_rows, cols=1, shared_xaxes=True, vertical_spacing=0.012, row_heights=heights
    )
    end_t = float(debrief.end_t_s)
    events = data.alarm_events
    for row, c in enumerate(lines, start=1):
        _add_band(fig, row, events, c, end_t)
        t, v = _series(data, c.id, column)
        t, v = minmax_downsample(t, v, max_points)
        fig.add_trace(
            go.Scatter(
                x=_f32(t / 60.0),
                y=_f32(v),
                mode="lines",
                name=c.short,
                line={"color": c.print_colour, "width": 1.2},
                hovertemplate=f"%{{y:.0f}} at %{{x:.1f}} min<extra>{c.short}{tag}</extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(title_text=f"{c.label} ({c.unit})", row=row, col=1)
    for row, panel in enumerate(points, start=len(lines) + 1):
        _add_band(fig, row, events, panel[0], end_t)
        for c in panel:
            t, v = _series(data, c.id, column)
            fig.add_trace(
                go.Scatter(
                    x=_f32(t / 60.0),
                    y=_f32(v),
                    mode="markers",
                    name=c.short,
                    marker={
                        "symbol": c.marker or "circle",
                        "size": 9 if c.secondary else 7,
                        "color": c.print_colour,
                    },
                    hovertemplate=f"{c.short}{tag} %{{y:.0f}} at %{{x:.1f}} min<extra></extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=f"{panel[0].panel_label} ({panel[0].unit})", row=row, col=1)
    pump = channels.get(channels.pump_rate_channel())
    t, v = _series(data, pump.id)
    if len(t):
        keep = np.r_[True, np.diff(np.nan_to_num(v, nan=-1.0)) != 0]
        t, v = np.r_[t[keep], end_t], np.r_[v[keep], v[-1]]
    fig.add_trace(
        go.Scatter(
            x=_f32(t / 60.0),
            y=_f32(v),
            mode="lines",
            name="pump",
            line={"shape": "hv", "color": pump.print_colour, "width": 1.5},
            fill="tozeroy",
            fillcolor=_rgba(pump.print_colour, 0.15),
            hovertemplate="%{y:.2f} mg/kg/h from %{x:.1f} min<extra>pump</extra>",
        ),
        row=pump_row,
        col=1,
    )
    fig.update_yaxes(title_text="pump (mg/kg/h)", row=pump_row, col=1, rangemode="tozero")
    _add_alarms(fig, debrief, conds, end_t, pump_row + 1)
    _add_activity(fig, data, debrief, pump_row + 2)
    _add_phases_and_events(fig, data, debrief)
    fig.update_xaxes(
        showgrid=True,
        gridcolor="#ececec",
        zeroline=False,
        showline=True,
        linecolor="#999",
        mirror=True,
        ticks="outside",
    )
    fig.update_xaxes(title_text="minutes from session start", row=n_rows, col=1)
    fig.update_xaxes(range=[0, end_t / 60.0])
    fig.update_yaxes(
        showgrid=True,
        gridcolor="#ececec",
        zeroline=False,
        showline=True,
        linecolor="#999",
        mirror=True,
        title_font={"size": 10},
    )
    fig.update_layout(
        template="none",
        height=int(760 + 16 * len(conds)),
        width=width,
        autosize=width is None,
        showlegend=False,
        hovermode="closest",
        margin={"l": alarm_margin_px(debrief, conds), "r": 20, "t": 30, "b": 50},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 11},
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    return fig


def _segments(e: Any, end_t: float) -> list[tuple[float, float, str]]:
    """(from, to, priority) pieces of an episode: escalations split it."""
    stop = e.end_t_s if e.end_t_s is not None else end_t
    out, t0, prio = [], e.start_t_s, e.start_priority
    for esc in e.escalations:
        if esc.t_s > t0:
            out.append((t0, esc.t_s, prio))
        t0, prio = esc.t_s, esc.after
    out.append((t0, max(stop, t0), prio))
    return out


def alarm_margin_px(debrief: Any, conds: Sequence[str], least: int = 110) -> int:
    """The left margin that fits the alarm rows' names in words (9 px text, about 5.6 px a
    character): "Systolic ≥ 160 for 5 min" must not be cut at the page's edge."""
    longest = max((len(debrief.words(c)) for c in conds), default=0)
    return max(least, int(5.6 * longest) + 24)


def _add_alarms(fig: go.Figure, debrief: Any, conds: list[str], end_t: float, row: int) -> None:
    """One line per condition, named in the nurse's words ("Systolic high"); the
    condition's code name stays in the exports."""
    words = debrief.words
    lines: dict[str, tuple[list, list, list]] = {p: ([], [], []) for p in PRIORITY_COLOURS}
    tails: tuple[list, list] = ([], [])
    acks: tuple[list, list, list] = ([], [], [])
    for e in debrief.episodes:
        peak = "" if e.peak_value is None else f", peak {e.peak_value:g}"
        ended = "still active" if e.end_t_s is None else f"to {hms(e.end_t_s)}"
        name = words(e.condition)
        label = _esc(f"{name} #{e.number} {e.priority}: {hms(e.start_t_s)} {ended}{peak}")
        for a, b, prio in _segments(e, end_t):
            xs, ys, tx = lines.setdefault(prio, ([], [], []))
            xs += [a / 60.0, b / 60.0, None]
            ys += [words(e.condition), words(e.condition), None]
            tx += [label, label, None]
        if e.end_event == "latched" and e.visible_until_s > (e.end_t_s or 0):
            tails[0].extend([e.end_t_s / 60.0, e.visible_until_s / 60.0, None])
            tails[1].extend([words(e.condition), words(e.condition), None])
        if e.ack_t_s is not None:
            acks[0].append(e.ack_t_s / 60.0)
            acks[1].append(words(e.condition))
            acks[2].append(_esc(f"acknowledged by {e.ack_actor or '?'} at {hms(e.ack_t_s)}"))
    fig.add_trace(
        go.Scatter(
            x=tails[0],
            y=tails[1],
            mode="lines",
            name="latched",
            line={"color": "#999", "width": 2, "dash": "dot"},
            hoverinfo="skip",
        ),
        row=row,
        col=1,
    )
    for prio, (xs, ys, tx) in lines.items():
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=prio,
                    text=tx,
                    line={"color": PRIORITY_COLOURS.get(prio, "#555"), "width": 7},
                    hovertemplate="%{text}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    if acks[0]:
        fig.add_trace(
            go.Scatter(
                x=acks[0],
                y=acks[1],
                mode="markers",
                name="acknowledged",
                text=acks[2],
                marker={
                    "symbol": "line-ns-open",
                    "size": 14,
                    "color": "black",
                    "line": {"width": 2},
                },
                hovertemplate="%{text}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    if debrief.suppressed:
        fig.add_trace(
            go.Scatter(
                x=[s.t_s / 60.0 for s in debrief.suppressed],
                y=[words(s.condition) for s in debrief.suppressed],
                mode="markers",
                name="suppressed",
                marker={"symbol": "x-thin-open", "size": 7, "color": "#888"},
                text=[
                    _esc(
                        f"{words(s.condition)} suppressed ({s.duration_s or 0:g} s, worst "
                        f"{s.worst_value if s.worst_value is not None else '?'})"
                    )
                    for s in debrief.suppressed
                ],
                hovertemplate="%{text}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_yaxes(
        title_text="alarms",
        type="category",
        categoryorder="array",
        categoryarray=[words(c) for c in reversed(conds)] or ["(none)"],
        row=row,
        col=1,
        tickfont={"size": 9},
    )


def _params_text(params: Mapping[str, Any]) -> str:
    items = [f"{k}={v}" for k, v in params.items() if v not in (None, "", {})]
    return ", ".join(items)


def _add_activity(fig: go.Figure, data: SessionData, debrief: Any, row: int) -> None:
    rows: dict[str, tuple[list, list, str, str]] = {
        "trainee": ([], [], "#1f77b4", "circle"),
        "instructor": ([], [], "#9467bd", "diamond"),
        "charted": ([], [], "#2ca02c", "square"),
        "scenario": ([], [], "#8c564b", "star"),
        "device": ([], [], "#7f7f7f", "circle-open"),
        "patient said": ([], [], "#d62728", "diamond-open"),
    }
    for a in data.actions:
        if a.kind == "chart":
            continue  # drawn from the observations
        lane = "instructor" if a.actor == "instructor" else "trainee"
        if a.actor == "system":
            continue
        refused = "" if a.done else f" (refused: {a.reason or ''})"
        extra = _params_text(a.params)
        rows[lane][0].append(a.t_s / 60.0)
        rows[lane][1].append(
            _esc(f"{hms(a.t_s)} {a.by} {a.kind}{' ' + extra if extra else ''}{refused}")
        )
    for o in data.observations:
        what = o.text if o.kind == "note" else (o.value if o.value is not None else o.text)
        rows["charted"][0].append(o.t_s / 60.0)
        rows["charted"][1].append(_esc(f"{hms(o.t_s)} {o.kind}: {what}"))
    for ev in data.session_events:
        said = said_words(ev)
        if said is not None:  # the patient's own words, in quotes
            rows["patient said"][0].append(ev.t_s / 60.0)
            rows["patient said"][1].append(_esc(f"{hms(ev.t_s)} {said}"))
            continue
        if ev.kind in SCENARIO_EVENT_KINDS:
            lane = "scenario"
        elif ev.source == "device" and ev.kind not in ("nibp_start", "phase"):
            lane = "device"
        else:
            continue
        detail = _params_text(ev.detail)
        rows[lane][0].append(ev.t_s / 60.0)
        rows[lane][1].append(_esc(f"{hms(ev.t_s)} {ev.kind} ({ev.source}) {detail}"))
    lanes = [k for k, v in rows.items() if v[0]]
    for lane in lanes:
        xs, tx, colour, symbol = rows[lane]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[lane] * len(xs),
                mode="markers",
                name=lane,
                text=tx,
                marker={"color": colour, "symbol": symbol, "size": 9},
                hovertemplate="%{text}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    order = [k for k in ("device", "scenario", "patient said", "charted", "instructor", "trainee")
             if k in lanes]  # fmt: skip
    fig.update_yaxes(
        title_text="activity",
        type="category",
        categoryorder="array",
        categoryarray=order or ["(none)"],
        row=row,
        col=1,
    )


def _add_phases_and_events(fig: go.Figure, data: SessionData, debrief: Any) -> None:
    shapes, notes = [], []
    for span in debrief.phases:
        if span.end_t_s <= span.start_t_s:
            continue
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": span.start_t_s / 60.0,
                "x1": span.end_t_s / 60.0,
                "y0": 0,
                "y1": 1,
                "line": {"width": 0},
                "fillcolor": PHASE_COLOURS.get(span.phase, "rgba(0,0,0,0.03)"),
                "layer": "below",
            }
        )
        notes.append(
            {
                "x": (span.start_t_s + span.end_t_s) / 120.0,
                "y": 1.0,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "text": span.phase,
                "font": {"size": 10, "color": "#555"},
            }
        )
    for ev in data.session_events:
        if ev.kind in SCENARIO_EVENT_KINDS:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": ev.t_s / 60.0,
                    "x1": ev.t_s / 60.0,
                    "y0": 0,
                    "y1": 1,
                    "layer": "below",
                    "line": {"color": "rgba(140,86,75,0.6)", "width": 1, "dash": "dot"},
                }
            )
        elif ev.kind == interruptions.INTERRUPTED:
            _add_interruption(shapes, notes, ev.t_s, interruptions.label(ev.detail))
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *notes])


def interruption_band(x: float, colour: str = INTERRUPTION_COLOUR, width_px: float = 6
                      ) -> dict[str, Any]:  # fmt: skip
    """The shape that marks where monitoring stopped: session time did not move, so it is
    one point on the axis, drawn as a wide translucent line from the bottom of the plot to
    its top. Named, so that pages find it and the review's dark theme keeps its colour.
    The timeline and the central station's sparklines draw this one (the bedside trend
    draws the same in assets/bedside.js)."""
    return {
        "type": "line",
        "name": INTERRUPTION,
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "layer": "above",
        "opacity": 0.5,
        "line": {"color": colour, "width": width_px},
    }


def _add_interruption(shapes: list, notes: list, t_s: float, text: str) -> None:
    """A wide band where monitoring stopped, labelled in words beside it."""
    x = t_s / 60.0
    shapes.append(interruption_band(x))
    notes.append(
        {
            "name": INTERRUPTION,
            "x": x,
            "y": 0.5,
            "xref": "x",
            "yref": "paper",
            "xanchor": "right",
            "textangle": -90,  # upwards beside the band: it fits wherever the band is
            "showarrow": False,
            "text": _esc(text),
            "hovertext": _esc(f"{hms(t_s)} {text}"),
            "bgcolor": "rgba(255,255,255,0.85)",
            "font": {"size": 11, "color": INTERRUPTION_COLOUR},
        }
    )


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON that is safe inside an HTML ``<script>`` element."""
    text = fig.to_json(validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_dict(fig: go.Figure) -> dict[str, Any]:
    return json.loads(fig.to_json(validate=False))
