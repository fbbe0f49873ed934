"""The bedside alarm banner: active alarms by priority, then newest, each acknowledgeable.

The server sends the rows as compact data (``wire``) whenever any of them changes, and
the browser draws them (assets/bedside.js): five alarms cost a few hundred bytes instead
of kilobytes of component tree. A row carries its condition, priority and audio state as
data attributes, so tests (and screen readers, through the text) can tell what sounds.
Its Acknowledge button has no Dash id: bedside.js turns a real click into ``bed-ack``, so
rows appearing or being redrawn can never look like a click.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.runtime import SignalsView
from vitalsdash.ui import fmt

__all__ = ["layout", "rows"]

Row = tuple[str, str, str, str, int, int, str]
"""(condition, priority, marker, message, acknowledged 0/1, sounding 0/1, "since h:mm:ss"),
the order bedside.js reads them in."""
NONE_TEXT = "No active alarms"


def rows(signals: SignalsView | None) -> list[Row]:
    """The banner's rows, already ordered by priority then newest (as Signals are)."""
    if signals is None:
        return []
    out = []
    for a in signals.alarms:
        msg = a.message[len(a.marker) :].strip() if a.message.startswith(a.marker) else a.message
        out.append(
            (
                a.condition,
                a.priority,
                a.marker,
                msg,
                int(a.acknowledged),
                int(a.sounding),
                f"since {fmt.clock(a.since_s)}",
            )
        )
    return out


def controls() -> html.Div:
    """Audio pause/resume with its countdown, and reset of latched alarms."""
    return html.Div(
        [
            html.Span("", id="audio-countdown", className="audio-countdown"),
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
