"""The bedside alarm banner: one row per parameter, as a monitor shows it.

One cause (a hypertensive NIBP reading) raises several conditions at once: the limit,
the rise over baseline, the repeated reading. The runtime's view groups them
(``AlarmView.group``): a row per parameter (Systolic, Diastolic, MAP...) or technical
condition, rows by priority then newest, the row's highest priority alarm on it and the
others folded under it ("+2 more", opened on demand). The row's Acknowledge acknowledges
the whole row in one action; "Acknowledge all" beside "Pause audio" acknowledges every
row.

The server sends the rows as compact data (``wire``) whenever any of them changes, and
the browser draws them (assets/bedside.js): a few hundred bytes instead of kilobytes of
component tree. A row carries its condition, group, priority and audio state as data
attributes, so tests (and screen readers, through the text) can tell what sounds. Its
Acknowledge button has no Dash id: bedside.js turns a real click into ``bed-ack``, so
rows appearing or being redrawn can never look like a click.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.runtime import AlarmView, SignalsView
from vitalsdash.ui import fmt

__all__ = ["layout", "pending", "rows"]

Folded = tuple[str, str, int, int]
"""(marker, message, acknowledged 0/1, sounding 0/1) of an alarm folded under a row."""
Row = tuple[str, str, str, str, int, int, str, str, list[Folded]]
"""(condition, priority, marker, message, acknowledged 0/1, sounding 0/1, "h:mm:ss" it began,
group, folded alarms): the order bedside.js reads them in. The row is acknowledged when
all its alarms are, sounding when any of them is."""
NONE_TEXT = "No active alarms"


def _text(a: AlarmView) -> str:
    return a.message[len(a.marker) :].strip() if a.message.startswith(a.marker) else a.message


def rows(signals: SignalsView | None) -> list[Row]:
    """The banner's rows in the view's order: one per group, its head first."""
    if signals is None:
        return []
    out: list[list] = []
    for a in signals.alarms:
        acked, sounding = int(a.acknowledged), int(a.sounding)
        if a.folded and out and out[-1][7] == a.group:
            row = out[-1]
            row[8].append((a.marker, _text(a), acked, sounding))
            row[4] &= acked
            row[5] |= sounding
            continue
        since = fmt.clock(a.since_s)  # bedside.js writes "since " before it
        out.append([a.condition, a.priority, a.marker, _text(a), acked, sounding, since,
                    a.group or a.condition, []])  # fmt: skip
    return [tuple(r) for r in out]  # type: ignore[misc]


def pending(signals: SignalsView | None) -> bool:
    """Is any shown alarm waiting to be acknowledged (the Acknowledge all key is live)?"""
    return signals is not None and any(not a.acknowledged for a in signals.alarms)


def controls() -> html.Div:
    """Acknowledge all, audio pause/resume with its countdown, and reset of latched alarms."""
    return html.Div(
        [
            html.Span("", id="audio-countdown", className="audio-countdown"),
            dbc.Button(
                "Acknowledge all",
                id="alarm-ack-all",
                outline=True,
                size="sm",
                disabled=True,
                title="Acknowledge every alarm shown",
                className="alarm-ack-all",
            ),
            dbc.Button(
                "Pause audio",
                id="alarm-pause-audio",
                color="warning",
                outline=True,
                size="sm",
                className="me-2",
            ),
            dbc.Button(
                "Reset",
                id="alarm-reset",
                color="secondary",
                size="sm",
                title="Reset latched alarms",
            ),
        ],
        className="alarm-controls",
    )


def layout() -> html.Div:
    return html.Div(
        [
            html.Div(
                html.Div(NONE_TEXT, className="alarm-none"),
                id="alarm-list",
                className="alarm-list",
                role="status",
                **{"aria-live": "polite"},
            ),
            controls(),
            html.Div("", id="alarm-off-notice", className="alarm-off-notice"),
        ],
        id="alarm-banner",
        className="alarm-banner",
    )
