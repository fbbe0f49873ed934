"""Waveform strips at alarm onsets: 10 s of every recorded wave around each onset (6 s
before, 4 s after), drawn like a monitor's printout. The report and the review page draw
the same figures (plain Plotly dicts, ``scatter`` traces only: the basic plotly.js
bundle has no ``scattergl``).

Size. A report stays under 2 MB for a 6-hour session with many alarms, so a strip's
samples travel as the typed arrays plotly.js decodes itself (``{"dtype": "u1",
"bdata": base64}``): each wave as 8-bit counts of the strip's own range
(``offset + count * scale``, 255 steps: ~0.01 mV for an ECG strip, finer than a printed
line), half of int16's bytes; and a wave sampled above :data:`PRINT_MAX_HZ` (ECG II at
250 Hz) is printed at 125 Hz, keeping of each pair of samples the one farther from the
strip's median, so an R wave keeps its height. A strip is then ~3.7 kB of samples (base64)
and ~2 kB of layout. The y axes are in counts, labelled in the wave's unit; the trace's
``meta`` holds ``offset`` and ``scale`` (:func:`strip_trace_values` decodes one).
Where a wave has no samples the line stops (one trace per run of samples).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vitalsdash import channels
from vitalsdash.debrief import Debrief, Episode
from vitalsdash.report._tables import clock, num
from vitalsdash.waves import WaveSegment

STRIP_BEFORE_S = 6.0
STRIP_AFTER_S = 4.0
PRINT_MAX_HZ = 125
"""The report prints faster waves at this rate (see the module's docstring)."""
LEVELS = 254  # counts 0..254 of a strip's range
NO_WAVES_SESSION = (
    "No waveform was recorded in this session (a device that sends none, a replayed "
    "recording, or a session from before waveforms were stored), so there are no strips."
)
NO_WAVE_ALARM = "No waveform recorded for this alarm"


@dataclass(frozen=True, slots=True)
class StripColours:
    """How a strip is coloured: a printout (the report) or the monitor (the review page)."""

    paper: str = "#ffffff"
    ink: str = "#222222"
    muted: str = "#777777"
    grid: str = "#e3e3e3"
    ecg_grid: str = "#f0b4b4"  # the ECG paper's 0.2 s / 0.5 mV squares
    ecg_grid_minor: str = "#fbe3e3"  # its 0.04 s / 0.1 mV squares
    onset: str = "#d62728"
    wave_colours: Mapping[str, str] | None = None  # None: every wave in ``ink``


PRINT = StripColours()


@dataclass(frozen=True, slots=True)
class AlarmStrip:
    """The strip of one alarm episode's onset."""

    index: int  # in onset order, from 0
    episode: Episode
    words: str  # the alarm in the nurse's words, with its number: "Systolic high #2"
    caption: str

    @property
    def onset_t_s(self) -> float:
        return self.episode.start_t_s

    @property
    def from_s(self) -> float:
        return self.onset_t_s - STRIP_BEFORE_S

    @property
    def to_s(self) -> float:
        return self.onset_t_s + STRIP_AFTER_S

    @property
    def group(self) -> str:
        """The alarm's parameter (its banner row), for a fair share of the strips."""
        return self.episode.group or self.episode.condition


def _value_words(e: Episode) -> str:
    if e.start_value is None:
        return ""
    unit = channels.get(e.channel).unit if e.channel and channels.is_known(e.channel) else ""
    text = f"{num(e.start_value)} {unit}".rstrip()
    return text + (f" (limit {num(e.limit)})" if e.limit is not None else "")


def alarm_strips(debrief: Debrief) -> list[AlarmStrip]:
    """One strip per alarm episode the debrief lists, in order of onset."""
    out = []
    episodes = sorted(debrief.episodes, key=lambda e: (e.start_t_s, e.condition, e.number))
    for i, e in enumerate(episodes):
        words = f"{debrief.words(e.condition)} #{e.number}"
        parts = [words, e.start_priority, f"onset {clock(e.start_t_s)}", _value_words(e)]
        out.append(AlarmStrip(i, e, words, " · ".join(p for p in parts if p)))
    return out


def recorded(waves: Any) -> bool:
    """Whether a session's waveform source (``SessionData.waves``) holds any waveform."""
    return waves is not None and bool(waves.spans())


def read_strip(waves: Any, strip: AlarmStrip) -> dict[str, WaveSegment]:
    """The strip's waves that have samples in its window, by wave id (empty: none)."""
    out = {}
    for c in channels.waves():
        seg = waves.strip(c.id, strip.from_s, strip.to_s)
        if seg is not None and np.isfinite(seg.values).any():
            out[c.id] = seg
    return out


def _decimated(values: np.ndarray, factor: int) -> np.ndarray:
    """One sample of each ``factor``: the one farthest from the median (peaks kept)."""
    if factor <= 1:
        return values
    pad = (-values.size) % factor
    blocks = np.concatenate((values, np.full(pad, np.nan, dtype=values.dtype)))
    blocks = blocks.reshape(-1, factor)
    finite = values[np.isfinite(values)]
    median = float(np.median(finite)) if finite.size else 0.0
    dev = np.where(np.isfinite(blocks), np.abs(blocks - median), -1.0)
    return blocks[np.arange(blocks.shape[0]), np.argmax(dev, axis=1)]


def _nice_step(span: float, most: int) -> float:
    """The smallest of 1, 2, 5 x 10^k that cuts ``span`` into at most ``most`` steps."""
    for e in range(-3, 5):
        for m in (1.0, 2.0, 5.0):
            step = m * 10.0**e
            if span / step <= most:
                return step
    return span


def _bdata(counts: np.ndarray) -> dict[str, str]:
    return {"dtype": "u1", "bdata": base64.b64encode(counts.astype(np.uint8).tobytes()).decode()}


def strip_trace_values(trace: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """A strip trace's samples as plotly.js draws them: (seconds from the onset, values in
    the wave's unit)."""
    y = trace["y"]
    counts = np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    meta = trace["meta"]
    t = float(trace["x0"]) + np.arange(counts.size) * float(trace["dx"])
    return t, float(meta["offset"]) + counts.astype(np.float64) * float(meta["scale"])


def _panel(
    c: channels.ChannelInfo,
    seg: WaveSegment | None,
    strip: AlarmStrip,
    i: int,
    max_rate_hz: int | None,
    colours: StripColours,
) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """One wave's traces, y axis and annotations (axis ``y`` + number)."""
    ax = "" if i == 0 else str(i + 1)
    ecg = c.unit == "mV"
    lo, hi = c.wave_range or (0.0, 1.0)
    traces: list[dict[str, Any]] = []
    notes = [{"text": f"{c.label} {c.unit}".strip(), "xref": f"x{ax} domain", "yref":
              f"y{ax} domain", "x": 0.002, "y": 1.0, "xanchor": "left", "yanchor": "top",
              "showarrow": False, "font": {"size": 10, "color": colours.ink}}]  # fmt: skip
    if seg is not None:
        factor = 1 if not max_rate_hz else math.ceil(seg.sample_rate_hz / max_rate_hz)
        values = _decimated(np.asarray(seg.values, dtype=np.float64), factor)
        finite = values[np.isfinite(values)]
        lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
        scale = (hi - lo) / LEVELS if hi > lo else 1.0
        counts = np.clip(np.rint((np.nan_to_num(values, nan=lo) - lo) / scale), 0, LEVELS)
        dt = factor / seg.sample_rate_hz
        colour = (colours.wave_colours or {}).get(c.id, colours.ink)
        ok = np.isfinite(values).astype(np.int8)
        edges = np.flatnonzero(np.diff(np.concatenate(([0], ok, [0]))))
        for a, b in zip(edges[::2], edges[1::2], strict=True):  # each run of samples
            traces.append({
                "type": "scatter", "mode": "lines", "name": c.label,
                "x0": round(seg.t0_s - strip.onset_t_s + a * dt, 6), "dx": dt,
                "y": _bdata(counts[a:b]), "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                "line": {"color": colour, "width": 1.1}, "hoverinfo": "skip",
                "meta": {"wave": c.id, "offset": lo, "scale": scale},
            })  # fmt: skip
    else:
        scale = (hi - lo) / LEVELS if hi > lo else 1.0
        notes.append({"text": "not recorded", "xref": f"x{ax} domain", "yref": f"y{ax} domain",
                      "x": 0.5, "y": 0.5, "showarrow": False,
                      "font": {"size": 10, "color": colours.muted}})  # fmt: skip
    step = 0.5 if ecg else _nice_step(hi - lo, 3)
    ticks = [k * step for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
    yaxis: dict[str, Any] = {
        "range": [-2, LEVELS + 2], "fixedrange": True, "zeroline": False,
        "tickvals": [round((v - lo) / scale, 3) for v in ticks],
        "ticktext": [f"{v:g}" for v in ticks], "tickfont": {"size": 9, "color": colours.muted},
        "showgrid": True, "gridcolor": colours.ecg_grid if ecg else colours.grid,
        "gridwidth": 1, "showline": False, "ticks": "",
    }  # fmt: skip
    if ecg:  # the ECG paper's small squares: 0.1 mV
        yaxis["minor"] = {"tickmode": "linear", "tick0": round(-lo / scale, 3),
                          "dtick": round(0.1 / scale, 4), "showgrid": True,
                          "gridcolor": colours.ecg_grid_minor, "gridwidth": 1}  # fmt: skip
    return traces, yaxis, notes


def strip_figure(
    strip: AlarmStrip,
    segments: Mapping[str, WaveSegment],
    *,
    max_rate_hz: int | None = PRINT_MAX_HZ,
    colours: StripColours = PRINT,
    height_px: int = 300,
) -> dict[str, Any]:
    """The strip as a Plotly figure (a plain dict): one panel per registered wave (a wave
    without samples says "not recorded"), time in seconds from the onset (a red line),
    ECG on its 0.04 s / 0.1 mV paper. ``max_rate_hz`` None draws every sample."""
    waves = channels.waves()
    n = len(waves)
    gap = 0.05
    height = (1.0 - gap * (n - 1)) / n
    data: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    ticks = list(range(1 - int(STRIP_BEFORE_S), int(STRIP_AFTER_S)))  # not at the edges
    for i, c in enumerate(waves):
        ax = "" if i == 0 else str(i + 1)
        traces, yaxis, notes = _panel(c, segments.get(c.id), strip, i, max_rate_hz, colours)
        top = 1.0 - i * (height + gap)
        data += traces
        annotations += notes
        yaxis.update(domain=[round(top - height, 4), round(top, 4)], anchor=f"x{ax}")
        ecg = c.unit == "mV"
        xaxis: dict[str, Any] = {
            "range": [-STRIP_BEFORE_S, STRIP_AFTER_S], "fixedrange": True, "zeroline": False,
            "anchor": f"y{ax}", "showgrid": True, "showline": False, "ticks": "",
            "showticklabels": i == n - 1, "tickfont": {"size": 9, "color": colours.muted},
        }  # fmt: skip
        if i:
            xaxis["matches"] = "x"
        if ecg:  # large squares 0.2 s, small ones 0.04 s (25 mm/s paper)
            xaxis.update(tickmode="linear", tick0=0, dtick=0.2, gridcolor=colours.ecg_grid,
                         minor={"tickmode": "linear", "tick0": 0, "dtick": 0.04,
                                "showgrid": True, "gridcolor": colours.ecg_grid_minor})  # fmt: skip
        else:
            xaxis.update(tickvals=ticks, gridcolor=colours.grid,
                         ticktext=["onset" if t == 0 else f"{t:+d} s" for t in ticks])  # fmt: skip
        layout[f"xaxis{ax}"], layout[f"yaxis{ax}"] = xaxis, yaxis
    layout.update(
        height=height_px, margin={"l": 34, "r": 6, "t": 4, "b": 20},
        paper_bgcolor=colours.paper, plot_bgcolor=colours.paper, showlegend=False,
        font={"family": "system-ui, sans-serif", "size": 10, "color": colours.ink},
        annotations=annotations,
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": 0, "x1": 0, "y0": 0,
                 "y1": 1, "line": {"color": colours.onset, "width": 1.2, "dash": "dot"}}],
    )  # fmt: skip
    return {"data": data, "layout": layout}


def choose_strips(
    strips: Sequence[AlarmStrip], cost: Callable[[AlarmStrip], int], budget: int
) -> tuple[list[AlarmStrip], int]:
    """The strips a size budget takes, a fair share per alarm: the first onset of every
    alarm, then the second of every alarm, and so on, while a whole round fits
    (``cost(strip)``: its bytes). If not even the first round fits, the earliest first
    onsets that do. Returns the strips taken, in onset order, and how many whole rounds
    (onsets per alarm) they are."""
    by_group: dict[str, list[AlarmStrip]] = {}
    for s in strips:
        by_group.setdefault(s.group, []).append(s)
    taken: list[AlarmStrip] = []
    used, rounds = 0, 0
    for r in range(max((len(v) for v in by_group.values()), default=0)):
        batch = sorted((v[r] for v in by_group.values() if len(v) > r), key=lambda s: s.index)
        costs = [cost(s) for s in batch]
        if used + sum(costs) <= budget:
            taken += batch
            used += sum(costs)
            rounds = r + 1
            continue
        if r == 0:
            for s, c in zip(batch, costs, strict=True):
                if used + c > budget:
                    break
                taken.append(s)
                used += c
        break
    return sorted(taken, key=lambda s: s.index), rounds
