"""Central-station tiles: one per chair, everything a nurse needs from across the room."""

from __future__ import annotations

from dash import dcc, html

from vitalsdash.ui import fmt
from vitalsdash.ui.components import sparkline

FIELDS = ("phase", "hr", "spo2", "nibp", "nibp-age", "nibp-box", "pump", "alarm")
"""Tile parts the live callback updates (ids ``{"type": "tile-<field>", "bed": id}``)."""


def _id(field: str, bed_id: str) -> dict[str, str]:
    return {"type": f"tile-{field}", "bed": bed_id}


def _num(label: str, unit: str, field: str, bed_id: str, cls: str) -> html.Div:
    return html.Div(
        [
            html.Div(
                [html.Span(label, className="tnum-label"), html.Span(unit, className="tnum-unit")],
                className="tnum-head",
            ),
            html.Div(fmt.DASH, id=_id(field, bed_id), className="tnum-value"),
        ],
        className=f"tnum {cls}",
    )


def tile(bed_id: str, label: str) -> html.Div:
    nibp = html.Div(
        [
            html.Div(
                [
                    html.Span("NIBP", className="tnum-label"),
                    html.Span("mmHg", className="tnum-unit"),
                ],
                className="tnum-head",
            ),
            html.Div(fmt.DASH, id=_id("nibp", bed_id), className="tnum-value"),
            html.Div("", id=_id("nibp-age", bed_id), className="tnum-age"),
        ],
        id=_id("nibp-box", bed_id),
        className="tnum tnum-nibp",
    )
    link = dcc.Link(
        [
            html.Div(
                [
                    html.Span(label, className="tile-name"),
                    html.Span("", id=_id("phase", bed_id), className="tile-phase"),
                ],
                className="tile-head",
            ),
            html.Div(
                [
                    _num("HR", "bpm", "hr", bed_id, "tnum-hr"),
                    _num("SpO₂", "%", "spo2", bed_id, "tnum-spo2"),
                    nibp,
                ],
                className="tile-nums",
            ),
            html.Div("", id=_id("pump", bed_id), className="tile-pump"),
            dcc.Graph(
                id=_id("spark", bed_id),
                figure=sparkline.figure(),
                config={"staticPlot": True, "displayModeBar": False, "responsive": True},
                className="tile-spark",
            ),
            html.Div("", id=_id("alarm", bed_id), className="tile-alarm"),
        ],
        href=f"/bed/{bed_id}",
        className="tile-link",
        title=f"Open {label}'s bedside monitor",
    )
    return html.Div(link, id=_id("tile", bed_id), className="tile", **{"data-bed": bed_id})


def grid_class(n: int) -> str:
    """Columns by clinic size: 2x2 up to 4 chairs, 3 across up to 9, then 4 (4x4 for 16)."""
    return "tile-grid cols-2" if n <= 4 else "tile-grid cols-3" if n <= 9 else "tile-grid cols-4"
