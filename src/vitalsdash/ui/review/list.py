"""The list of sessions to review, newest first, from the store."""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.report import clock
from vitalsdash.ui import fmt

__all__ = ["layout", "status_badge", "when"]

MAX_ROWS = 200
STATUS_COLOURS = {"running": "success", "interrupted": "warning", "ended": "secondary",
                  "discharged": "info"}  # fmt: skip


def when(dt: datetime | None) -> str:
    return "" if dt is None else dt.strftime("%Y-%m-%d %H:%M UTC")


def status_badge(status: str | None, phase: str | None = None) -> dbc.Badge:
    text = status or "unknown"
    if status == "running" and phase:
        text = f"running · {fmt.phase(phase).lower()}"
    return dbc.Badge(
        text,
        color=STATUS_COLOURS.get(status or "", "secondary"),
        className=f"review-status status-{status or 'unknown'}",
    )


def rows(sessions: Sequence[Mapping[str, Any]], beds: Container[str]) -> list[html.Tr]:
    out = []
    for s in sessions:
        sid, bed = s["id"], s.get("bed_id") or ""
        out.append(
            html.Tr(
                [
                    html.Td(dcc.Link(f"Session {sid}", href=f"/review/{sid}")),
                    html.Td(
                        dcc.Link(s.get("label") or bed, href=f"/bed/{bed}")
                        if bed in beds
                        else (s.get("label") or bed)
                    ),
                    html.Td(s.get("scenario") or ""),
                    html.Td(s.get("protocol") or ""),
                    html.Td(status_badge(s.get("status"), s.get("phase"))),
                    html.Td(when(s.get("started_wall"))),
                    html.Td(clock(float(s.get("last_t_s") or 0.0)), className="num"),
                ],
                id=f"review-session-{sid}",
            )
        )
    return out


def layout(sessions: Sequence[Mapping[str, Any]], beds: Container[str]) -> html.Div:
    """``sessions`` as the store lists them (oldest first); shown newest first."""
    newest = list(reversed(sessions))[:MAX_ROWS]
    head = ["session", "bed", "scenario", "protocol", "status", "started", "length"]
    if not newest:
        body: Any = html.P("No session yet: start one from the instructor page.", id="review-list")
    else:
        body = html.Div(
            dbc.Table(
                [
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                    html.Tbody(rows(newest, beds)),
                ],
                id="review-list",
                size="sm",
                hover=True,
                className="review-table review-list",
            ),
            className="review-table-wrap",
        )
    more = (
        html.P(f"Showing the newest {MAX_ROWS} of {len(sessions)} sessions.", className="muted")
        if len(sessions) > MAX_ROWS
        else None
    )
    return html.Div(
        [
            html.H1("Session review", className="review-title"),
            html.P(
                "Every session in the store, newest first. Open one for its timeline, "
                "training metrics and exports.",
                className="review-note",
            ),
            html.Section([body, more], className="review-card"),
        ],
        className="page review-page review-list-page",
    )
