"""Charting observations: sedation, dissociation, nausea, pain, alertness, free-text notes."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from vitalsdash.text import MAX_NOTE_CHARS
from vitalsdash.ui import fmt

__all__ = ["layout", "render"]

KINDS = {
    "sedation": "Sedation (0–10)",
    "dissociation": "Dissociation (0–10)",
    "nausea": "Nausea (0–10)",
    "pain": "Pain (0–10)",
    "alertness": "Alertness (Aldrete/PADSS)",
    "note": "Note",
}

Obs = tuple[float, str, float | None, str | None]
"""(t_s, kind, value, text)."""


def render(recent: list[Obs]) -> list[Any]:
    if not recent:
        return [html.Li("Nothing charted yet", className="small-muted")]
    items = []
    for t, kind, value, text in reversed(recent):
        what = KINDS.get(kind, kind).split(" (")[0]
        shown = " ".join(p for p in (fmt.num(value) if value is not None else "", text or "") if p)
        items.append(html.Li([html.Span(fmt.clock(t), className="obs-time"), f" {what}: {shown}"]))
    return items


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Chart observation"),
            dbc.CardBody(
                [
                    dbc.Select(
                        id="chart-kind",
                        options=[{"label": v, "value": k} for k, v in KINDS.items()],
                        value="sedation",
                        size="sm",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id="chart-value",
                                type="number",
                                step=1,
                                placeholder="0–10",
                            ),
                            dbc.Input(
                                id="chart-text",
                                type="text",
                                maxLength=MAX_NOTE_CHARS,
                                placeholder="note (optional)",
                            ),
                            dbc.Button("Chart", id="chart-submit", color="primary"),
                        ],
                        size="sm",
                        className="mt-2",
                    ),
                    html.Ul(render([]), id="chart-recent", className="obs-list mt-2"),
                ]
            ),
        ],
        className="panel-card",
    )
