"""What the patient said last, in the bedside's head: their own words, in quotes, and when.

A patient tells the nurse how they feel ("I feel sick", "My chest feels tight") when it
comes on and again if it lasts: the warning signs no monitor shows. The line stays hidden
until the patient has said something (a real device's patient says nothing). The words
come from the session's event log, as the trend's markers do (ui/live/bedside.py).
"""

from __future__ import annotations

from dash import html

from vitalsdash.ui import fmt

__all__ = ["LABEL", "layout", "state"]

LABEL = "Patient says"


def state(said: tuple[float, str] | None) -> tuple[str, str, str]:
    """(words in quotes, "at H:MM:SS", class) of what was said last, (t_s, words); empty
    (and hidden) until something was said."""
    if said is None:
        return "", "", "patient-says empty"
    t_s, words = said
    return f"“{words}”", f"at {fmt.clock(t_s)}", "patient-says"


def layout() -> html.Div:
    return html.Div(
        [
            html.Span(LABEL, className="says-label"),
            html.Span("", id="patient-says-words", className="says-words"),
            html.Span("", id="patient-says-time", className="says-time"),
        ],
        id="patient-says",
        className="patient-says empty",
        role="status",
        **{"aria-live": "polite", "aria-label": "What the patient said last"},
    )
