"""Instructor view: PLACEHOLDER until its own issue (another engineer writes this page)."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

dash.register_page(__name__, path="/instructor", name="Instructor", title="Instructor · vitalsdash")


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Instructor (placeholder)", className="page-title"),
            html.P(
                "The instructor's view (speed, scenario events, the patient's hidden "
                "state, the debrief) is not built yet."
            ),
            dcc.Link("Back to the central station", href="/"),
        ],
        className="page placeholder-page",
    )
