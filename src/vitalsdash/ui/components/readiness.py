"""Discharge readiness: every protocol criterion with a tick or a cross and its reason."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Patch, html

Data = tuple[bool, tuple[tuple[str, bool, str], ...]] | None


def data(readiness: Any) -> Data:
    if readiness is None:
        return None
    return readiness.ready, tuple((c.name, c.met, c.detail) for c in readiness.criteria)


def render(d: Data) -> list[Any]:
    if d is None:
        return [html.Div("Assessed once the infusion has ended.", className="small-muted")]
    ready, criteria = d
    head = html.Div(
        "Ready for discharge" if ready else "Not ready for discharge",
        className="ready-head " + ("ready-yes" if ready else "ready-no"),
        **{"data-ready": "true" if ready else "false"},
    )
    items = [
        html.Li(
            [html.Span("✓" if met else "✗", className="crit-mark"), f" {detail}"],
            className="crit-met" if met else "crit-missing",
        )
        for _, met, detail in criteria
    ]
    return [head, html.Ul(items, className="crit-list")]


def structure(d: Data) -> Any:
    return None if d is None else (d[0], tuple((name, met) for name, met, _ in d[1]))


def texts(d: Data) -> list[str]:
    return [] if d is None else [f" {detail}" for _, _, detail in d[1]]


def patch_detail(p: Patch, i: int, text: str) -> None:
    """Rewrite criterion ``i``'s explanation in place (list item after the mark)."""
    p[1]["props"]["children"][i]["props"]["children"][1] = text


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Discharge readiness"),
            dbc.CardBody(html.Div(render(None), id="readiness")),
        ],
        className="panel-card",
    )
