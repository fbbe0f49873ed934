"""Settings: PLACEHOLDER until its own issue (another engineer writes this page)."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

dash.register_page(__name__, path="/settings", name="Settings", title="Settings · vitalsdash")


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Settings (placeholder)", className="page-title"),
            html.P("Clinic, alarm profile and limit settings are not built yet."),
            dcc.Link("Back to the central station", href="/"),
        ],
        className="page placeholder-page",
    )
