"""The frame around every page: navigation, the sound switch and the training-tool notice."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["navbar"]

NOTICE = "Training tool — not a medical device"
LINKS = (
    ("Central station", "/"),
    ("Instructor", "/instructor"),
    ("Review", "/review"),
    ("Class", "/class"),
    ("Settings", "/settings"),
)


def navbar() -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("vitalsdash", href="/", className="brand"),
                dbc.Nav(
                    [
                        dbc.NavItem(dbc.NavLink(text, href=href, active="exact"))
                        for text, href in LINKS
                    ],
                    className="me-auto",
                    navbar=True,
                ),
                html.Button(
                    "Sound off · click to enable",
                    id="sound-toggle",
                    n_clicks=0,
                    className="sound-toggle sound-off",
                    title="Browsers play alarm sounds only after a click",
                    **{"aria-pressed": "false"},
                ),
                html.Span(NOTICE, className="notice", id="notice"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="shell-nav",
    )
