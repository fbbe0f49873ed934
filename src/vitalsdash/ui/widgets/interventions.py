"""Interventions a nurse can give at the chair: drugs, oxygen, positioning, reassurance, NIBP."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

__all__ = ["layout"]


def layout() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader("Interventions"),
            dbc.CardBody(
                [
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText("Labetalol"),
                            dbc.Input(
                                id="act-antihypertensive-dose",
                                type="number",
                                step=1,
                                value=10,
                            ),
                            dbc.InputGroupText("mg"),
                            dbc.Button("Give", id="act-antihypertensive", color="primary"),
                        ],
                        size="sm",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText("Ondansetron"),
                            dbc.Input(
                                id="act-antiemetic-dose",
                                type="number",
                                step=1,
                                value=4,
                            ),
                            dbc.InputGroupText("mg"),
                            dbc.Button("Give", id="act-antiemetic", color="primary"),
                        ],
                        size="sm",
                        className="mt-2",
                    ),
                    dbc.InputGroup(
                        [
                            dbc.InputGroupText("O₂"),
                            dbc.Input(id="act-oxygen-flow", type="number", step=1, value=2),
                            dbc.InputGroupText("L/min"),
                            dbc.Button("On", id="act-oxygen-on", color="info"),
                            dbc.Button("Off", id="act-oxygen-off", color="secondary"),
                        ],
                        size="sm",
                        className="mt-2",
                    ),
                    html.Div("Oxygen off", id="oxygen-state", className="small-muted mt-1"),
                    html.Div(
                        [
                            dbc.Button(
                                "Reposition", id="act-reposition", color="secondary", size="sm"
                            ),
                            dbc.Button("Reassure", id="act-reassure", color="secondary", size="sm"),
                            dbc.Button("Start NIBP", id="act-nibp", color="light", size="sm"),
                        ],
                        className="btn-row mt-2",
                    ),
                ]
            ),
        ],
        className="panel-card",
    )
