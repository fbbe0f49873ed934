"""The review page's "Waveforms at alarm onsets": one alarm's strip at a time.

The strips are the report's (``report.strip_figure``: 10 s around each alarm's onset), on
the monitor's dark panel in the waves' own colours and with every sample (the report
prints ECG at 125 Hz to stay small; here nothing is sent that is not looked at). A
selector lists every alarm onset; only the chosen strip is read from the store and drawn,
so a session with hundreds of alarms opens as fast as one with none.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash import channels
from vitalsdash.report import (
    NO_WAVE_ALARM,
    NO_WAVES_SESSION,
    STRIP_AFTER_S,
    STRIP_BEFORE_S,
    AlarmStrip,
    StripColours,
    alarm_strips,
    clock,
    read_strip,
    recorded,
    strip_figure,
)
from vitalsdash.ui.review.data import Loaded
from vitalsdash.ui.review.figure import GRID
from vitalsdash.ui.review.metrics import section as card
from vitalsdash.ui.theme import PALETTE

__all__ = ["MONITOR", "SECTION_ID", "body", "section", "strip_index"]

SECTION_ID = "review-strips-section"
SELECT_ID = "review-strip-select"
BODY_ID = "review-strip-body"
MONITOR = StripColours(
    paper=PALETTE["panel"], ink=PALETTE["text"], muted=PALETTE["muted"], grid=GRID,
    ecg_grid="#3a2a2e", ecg_grid_minor="#1f181b", onset=PALETTE["high-text"],
    wave_colours={c.id: c.colour for c in channels.waves()},
)  # fmt: skip
"""The strips on the dark panel: each wave in its bedside colour, a dim red ECG paper."""
GRAPH_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": True}
NOTE = (
    f"{STRIP_BEFORE_S + STRIP_AFTER_S:g} seconds of the waveforms around the alarm's onset "
    f"({STRIP_BEFORE_S:g} s before, {STRIP_AFTER_S:g} s after; dotted line: the onset). "
    "ECG II on paper of 0.04 s × 0.1 mV squares (large squares 0.2 s × 0.5 mV)."
)


def _label(strip: AlarmStrip) -> str:
    return f"{clock(strip.onset_t_s)}  {strip.words} ({strip.episode.start_priority})"


def section(loaded: Loaded) -> html.Section:
    """The section: a line saying why there are no strips, or the alarm selector and the
    first alarm's strip."""
    title = "Waveforms at alarm onsets"
    if not recorded(loaded.data.waves):
        return card(title, html.P(NO_WAVES_SESSION, className="review-empty",
                                  id="review-strips-none"), SECTION_ID)  # fmt: skip
    strips = alarm_strips(loaded.debrief)
    if not strips:
        return card(title, html.P("No alarm episode.", className="review-empty"), SECTION_ID)
    select = dbc.Select(
        id=SELECT_ID,
        options=[{"label": _label(s), "value": str(s.index)} for s in strips],
        value="0",
        size="sm",
        className="review-strip-select",
    )
    label = dbc.Label("Alarm onset", html_for=SELECT_ID, className="review-tool-label")
    return card(
        title,
        html.Div(
            [
                html.Div([label, select], className="review-strip-choice"),
                html.Div(body(loaded, 0), id=BODY_ID),
            ]
        ),
        SECTION_ID,
        note=NOTE,
    )


def strip_index(loaded: Loaded, raw: Any) -> int | None:
    """The strip the selector names (sent by the browser: checked), or None."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or len(text) > 6:
        return None
    i = int(text)
    return i if i < len(alarm_strips(loaded.debrief)) else None


def body(loaded: Loaded, index: int) -> list[Any]:
    """One alarm's strip and its caption, or the line saying it has none."""
    strip = alarm_strips(loaded.debrief)[index]
    caption = html.P(strip.caption, className="review-strip-caption", id="review-strip-caption")
    segments = read_strip(loaded.data.waves, strip) if loaded.data.waves is not None else {}
    if not segments:
        return [html.P(NO_WAVE_ALARM, className="review-empty", id="review-strip-none"), caption]
    fig = strip_figure(strip, segments, max_rate_hz=None, colours=MONITOR)
    graph = dcc.Graph(id="review-strip", figure=fig, config=GRAPH_CONFIG,
                      className="review-strip-graph")  # fmt: skip
    return [graph, caption]
