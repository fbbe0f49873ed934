"""The infusion pump: state, rate, dose so far, and its controls (pause, resume, rate, stop)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.ui import fmt

__all__ = ["layout", "render", "state"]


def state(pump: Any) -> tuple[str, str, str, str]:
    """(state word, state class, rate text, dose text) for a PumpStatus (or None)."""
    if pump is None:
        return "No pump", "pump-none", fmt.DASH, fmt.DASH
    dose = f"{pump.dose_given_mg_per_kg:.2f} mg/kg given"
    if pump.started_s is None:
        return "Not started", "pump-idle", fmt.DASH, dose
    if pump.ended_s is not None:
        return "Stopped", "pump-stopped", "0 mg/kg/h", dose
    if not pump.running:
        return "Paused", "pump-paused", "0 mg/kg/h", dose
    return "Running", "pump-running", f"{pump.rate_mg_per_kg_h:.2f} mg/kg/h", dose


def render(data: tuple[str, str, str, str]) -> list[Any]:
    word, cls, rate, dose = data
    return [
        html.Span(word, className=f"pump-state {cls}", id="pump-state-word"),
        html.Div(rate, className="pump-rate"),
        html.Div(dose, className="pump-dose"),
    ]


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Ketamine pump"),
            dbc.CardBody(
                [
                    html.Div(render(state(None)), id="pump-status", className="pump-status"),
                    html.Div(
                        [
                            dbc.Button("Pause", id="pump-pause", color="warning", size="sm"),
                            dbc.Button("Resume", id="pump-resume", color="success", size="sm"),
                            dcc.ConfirmDialogProvider(
                                dbc.Button(
                                    "Stop infusion",
                                    id="pump-stop-button",
                                    color="danger",
                                    size="sm",
                                ),
                                id="pump-stop",
                                message="Stop the infusion? It cannot be resumed.",
                            ),
                        ],
                        className="btn-row",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id="pump-rate-input",
                                type="number",
                                step=0.05,
                                placeholder="rate",
                            ),
                            dbc.InputGroupText("mg/kg/h"),
                            dbc.Button("Set rate", id="pump-set-rate", color="primary"),
                        ],
                        size="sm",
                        className="mt-2",
                    ),
                ]
            ),
        ],
        className="panel-card",
    )
