"""Discharge readiness: every protocol criterion with a tick or a cross and its reason."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.ui.widgets import discharge as discharge_widget

__all__ = ["labels", "layout", "wire"]

NONE_TEXT = "Assessed once dosing has ended (the infusion, or the last nasal spray)."
DISCHARGED_TEXT = "Patient discharged."
ENDED_TEXT = "Session ended."

Wire = list | str | None
"""``[ready 0/1, [[met 0/1, detail], ...]]``, a sentence once the session is over, or None
before it is assessed; drawn by assets/bedside.js, so a criterion flipping costs tens of
bytes, not a component tree. The criteria's names for the nurse (``labels``) go apart,
once: they do not change while the details do, every tick."""


def wire(readiness: Any, discharge: Any = None) -> Wire:
    """The checklist: from the bed's discharge view when there is one, else its readiness."""
    if discharge is not None and discharge.state == "discharged":
        return DISCHARGED_TEXT
    if discharge is not None and discharge.state == "ended":
        return ENDED_TEXT
    if discharge is not None and discharge.state == "open":
        return [int(discharge.ready), [[int(i.met), i.text] for i in discharge.items]]
    if readiness is None:
        return None
    return [int(readiness.ready), [[int(c.met), c.detail] for c in readiness.criteria]]


def labels(discharge: Any) -> list[str]:
    """Each criterion of the checklist as the nurse calls it, in the checklist's order
    (from the session's start: a page sends them with its first tick, not with the busy
    one in which the infusion ends)."""
    return [] if discharge is None else list(discharge.labels)


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Discharge readiness"),
            dbc.CardBody(
                [
                    html.Div(html.Div(NONE_TEXT, className="small-muted"), id="readiness"),
                    discharge_widget.layout(),
                ]
            ),
        ],
        className="panel-card",
    )
