"""The frame around every page: navigation, the sound switch, who is signed in and the
training-tool notice. Links a role may not use are left out (the server refuses them
anyway)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.access import OPEN_DEMO, Principal, page_capability

__all__ = ["navbar"]

NOTICE = "Training tool — not a medical device"
LINKS = (
    ("Central station", "/"),
    ("Instructor", "/instructor"),
    ("Review", "/review"),
    ("Class", "/class"),
    ("Settings", "/settings"),
    ("My results", "/results/me"),
)
OPEN_DEMO_WORDS = "Open demo · no logins"


def _links(who: Principal) -> list[tuple[str, str]]:
    if who.open_demo:
        return [(t, h) for t, h in LINKS if h != "/results/me"]
    return [(t, h) for t, h in LINKS if who.may(page_capability(h) or "")]


def _who(who: Principal) -> html.Span | html.Form:
    if who.open_demo:
        return html.Span(OPEN_DEMO_WORDS, className="who who-open", id="who",
                         title="This computer only: whoever uses it is instructor and "
                         "trainee. A classroom on a network needs logins (README)."
                         )  # fmt: skip
    return html.Form(
        [
            html.Span(who.name, className="who-name", title=f"{who.name}, {who.role}"),
            html.Span(str(who.role), className="who-role"),
            html.Button("Sign out", type="submit", className="who-out", id="sign-out"),
        ],
        action="/logout", method="POST", className="who", id="who",
    )  # fmt: skip


def navbar(who: Principal = OPEN_DEMO) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("vitalsdash", href="/", className="brand"),
                dbc.Nav(
                    [
                        dbc.NavItem(dbc.NavLink(text, href=href, active="exact"))
                        for text, href in _links(who)
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
                _who(who),
                html.Span(NOTICE, className="notice", id="notice"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="shell-nav",
    )
