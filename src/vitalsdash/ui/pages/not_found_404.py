"""Any unknown address: say so, and offer the way back."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

__all__ = ["layout"]

dash.register_page(__name__, path="/404", name="Not found", title="Not found · vitalsdash")


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.H2("Page not found", className="page-title"),
            dcc.Link("Back to the central station", href="/"),
        ],
        className="page placeholder-page",
    )
