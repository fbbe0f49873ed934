"""The class code trainees join with: shown big for the projector, renewed on request.

One code at a time (the store keeps the active one), valid :data:`VALID_S` (a teaching
day). The code comes from ``vitalsdash.access.new_class_code`` (an unambiguous alphabet,
drawn with ``secrets``); a local stand-in of the same form serves until that exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.access import new_class_code

__all__ = ["VALID_S", "card", "code_body", "current", "renew"]

VALID_S = 12 * 3600
"""How long a class code lets trainees join (12 h)."""


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def current(store: Any, now: datetime) -> dict[str, Any] | None:
    """The active code: ``{"code", "expires_at"}`` (a datetime), or None."""
    found = store.class_code(now)
    if found is None:
        return None
    return {"code": str(found["code"]), "expires_at": _parse(found.get("expires_at"))}


def renew(store: Any, by_user_id: int | None, now: datetime) -> str:
    """A new code replacing the active one, valid for :data:`VALID_S`; the code."""
    code = new_class_code()
    store.new_class_code(code, by_user_id, now, now + timedelta(seconds=VALID_S))
    return code


def _spaced(code: str) -> str:
    """ "K7Q X2M": two halves, easier to read from the back of the room."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}" if len(code) >= 6 else code


def code_body(active: dict[str, Any] | None) -> list[Any]:
    """The code (or the lack of one) and until when it is valid."""
    if active is None:
        return [
            html.Div("No code", className="class-code class-code-none", id="class-code-value"),
            html.P(
                "There is no class code at the moment: make one for trainees to join.",
                className="review-note",
                id="class-code-until",
            ),
        ]
    until = active.get("expires_at")
    when = "" if until is None else until.strftime("%H:%M UTC on %Y-%m-%d")
    return [
        html.Div(
            _spaced(active["code"]),
            className="class-code",
            id="class-code-value",
            **{"aria-label": "Class code " + " ".join(active["code"])},
        ),
        html.P(
            f"Trainees join with this code on the login page. Valid until {when}.",
            className="review-note",
            id="class-code-until",
        ),
    ]


def card(active: dict[str, Any] | None) -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.H2("Class code", className="review-h2"),
                    dbc.Button(
                        "New class code",
                        id="class-code-new",
                        size="sm",
                        className="class-btn",
                        n_clicks=0,
                    ),
                ],
                className="class-card-head",
            ),
            html.Div(
                code_body(active), id="class-code-body", role="status", **{"aria-live": "polite"}
            ),
            html.P(
                "A new code replaces the old one, which then lets nobody else join.",
                className="review-note",
            ),
        ],
        className="review-card class-code-card",
        id="class-code-card",
    )
