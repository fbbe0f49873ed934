"""Discharge readiness: every protocol criterion with a tick or a cross and its reason."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["layout", "wire"]

NONE_TEXT = "Assessed once the infusion has ended."

Wire = list | None
"""``[ready 0/1, [[met 0/1, detail], ...]]``, or None before it is assessed; drawn by
assets/bedside.js, so a criterion flipping costs tens of bytes, not a component tree."""


def wire(readiness: Any) -> Wire:
    if readiness is None:
        return None
    return [int(readiness.ready), [[int(c.met), c.detail] for c in readiness.criteria]]


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Discharge readiness"),
            dbc.CardBody(html.Div(html.Div(NONE_TEXT, className="small-muted"), id="readiness")),
        ],
        className="panel-card",
    )
