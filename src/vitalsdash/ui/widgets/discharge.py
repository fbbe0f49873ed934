"""Discharge at the bedside: the Discharge button (observation only), what a refusal was
missing, and once discharged when and by whom; the header and tile say so too.

The checklist itself is the readiness list (widgets/readiness.py, drawn by
assets/bedside.js) with each criterion under its nurse's name. The panel and the status
line come with the bedside tick (ui/live/bedside.py); a refusal's reasons come from the
button's own callback (pages/bedside.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.text import MAX_NOTE_CHARS
from vitalsdash.ui import dose_words, fmt

__all__ = ["layout", "panel_hidden", "phase_text", "refusal", "result_key", "status_text"]


def _minutes(minutes: float) -> str:
    """A protocol's time as a nurse says it: whole hours in hours ("2 h"), else minutes
    ("90 min")."""
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


def phase_text(view: Any) -> str:
    """The bed's phase and clock for the header and the tile: "Discharged at H:MM:SS"
    once the patient is discharged."""
    d = view.discharge
    if d is not None and d.state == "discharged" and d.t_s is not None:
        return f"Discharged at {fmt.clock(d.t_s)}"
    return f"{dose_words.phase_name(view.phase, view.dose)} · {fmt.clock(view.t_s)}"


def panel_hidden(view: Any) -> bool:
    """The Discharge button shows in observation only (running, infusion ended)."""
    d = view.discharge
    return not (d is not None and d.state == "open")


def status_text(view: Any) -> str:
    """One line under the button: the discharge (when, who, the note), the end without one,
    or the observation reminder."""
    d = view.discharge
    if d is None:
        return ""
    if d.state == "discharged" and d.t_s is not None:
        who = f" by the {d.by}" if d.by else ""
        note = f" · Note: {d.note}" if d.note else ""
        return f"Discharged at {fmt.clock(d.t_s)}{who}{note}"
    if d.state == "ended":
        return "Session ended without a discharge"
    if d.state == "open" and d.overdue and d.max_minutes is not None:
        return f"Observation over {_minutes(d.max_minutes)}: assess for discharge"
    return ""


def result_key(view: Any) -> tuple[str, bool]:
    """What a refusal's list under the button is about: once it changes (the patient became
    ready, was discharged), the list is out of date and the tick clears it."""
    d = view.discharge
    return ("", False) if d is None else (d.state, bool(d.ready))


def refusal(reasons: Sequence[str], message: str = "") -> list[Any]:
    """What a refused discharge was missing, one line each (else the refusal's sentence)."""
    if not reasons:
        return [html.Div(message, className="discharge-refused-head")] if message else []
    return [
        html.Div("Not ready for discharge:", className="discharge-refused-head"),
        html.Ul([html.Li(r) for r in reasons], className="discharge-missing"),
    ]


def layout() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.Input(
                        id="discharge-note",
                        placeholder="Discharge note (optional)",
                        maxLength=MAX_NOTE_CHARS,
                        size="sm",
                    ),
                    dbc.Button(
                        "Discharge",
                        id="discharge-submit",
                        color="primary",
                        size="sm",
                        className="mt-1",
                    ),
                ],
                id="discharge-panel",
                className="discharge-panel",
                hidden=True,
            ),
            html.Div("", id="discharge-result", className="discharge-result", role="status"),
            html.Div("", id="discharge-status", className="discharge-status", role="status"),
        ],
        className="discharge-box",
    )
