"""The bedside alarm banner: active alarms by priority, then newest, each acknowledgeable.

A row carries its condition, priority and audio state as data attributes, so tests (and
screen readers, through the text) can tell what sounds. When only the messages change
(a value moved), the banner is patched in place instead of re-rendered.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Patch, html

from vitalsdash.alarms import Signals
from vitalsdash.ui import fmt

Row = tuple[str, str, str, str, bool, bool, float]
"""(condition, priority, marker, message, acknowledged, sounding, since_s)."""


def rows(signals: Signals | None) -> list[Row]:
    """The banner's rows, already ordered by priority then newest (as Signals are)."""
    if signals is None:
        return []
    out = []
    for a in signals.alarms:
        msg = a.message[len(a.marker) :].strip() if a.message.startswith(a.marker) else a.message
        out.append(
            (a.condition, a.priority.name, a.marker, msg, a.acknowledged, a.sounding, a.since_s)
        )
    return out


def structure(data: list[Row]) -> tuple:
    """What needs a re-render when it changes (anything but the message text)."""
    return tuple((c, p, ack, snd, since) for c, p, _, _, ack, snd, since in data)


def _row(r: Row) -> html.Div:
    cond, prio, marker, msg, acked, sounding, since = r
    return html.Div(
        [
            html.Span(marker, className="alarm-marker"),
            html.Span(msg, className="alarm-msg"),
            html.Span(f"since {fmt.clock(since)}", className="alarm-since"),
            html.Span("♪ sounding" if sounding else "silenced", className="alarm-sound"),
            dbc.Button(
                "Acknowledged" if acked else "Acknowledge",
                id={"type": "ack", "cond": cond},
                size="sm",
                color="light",
                outline=True,
                disabled=acked,
                className="alarm-ack",
            ),
        ],
        className=f"alarm-row alarm-{prio.lower()}" + (" acked" if acked else ""),
        **{
            "data-condition": cond,
            "data-priority": prio,
            "data-sounding": "true" if sounding else "false",
            "data-acknowledged": "true" if acked else "false",
        },
    )


def render(data: list[Row]) -> list[Any]:
    if not data:
        return [html.Div("No active alarms", className="alarm-none")]
    return [_row(r) for r in data]


def patch_message(p: Patch, i: int, text: str) -> None:
    """Rewrite row ``i``'s message in place (the second span of the row)."""
    p[i]["props"]["children"][1]["props"]["children"] = text


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
            html.Div(render([]), id="alarm-list", className="alarm-list"),
            controls(),
            html.Div("", id="alarm-off-notice", className="alarm-off-notice"),
        ],
        id="alarm-banner",
        className="alarm-banner",
    )
