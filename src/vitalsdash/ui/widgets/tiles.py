"""Central-station tiles: one per chair, everything a nurse needs from across the room."""

from __future__ import annotations

from dash import dcc, html

from vitalsdash import channels
from vitalsdash.ui import fmt
from vitalsdash.ui.widgets import sparkline, waves


def panels() -> list[tuple[str, tuple[channels.ChannelInfo, ...]]]:
    """The registry's panels on a tile, keyed by their id in lower case."""
    return [(k.lower(), chans) for k, chans in channels.panels().items() if chans[0].tile]


FIELDS = (
    "phase",
    *[key for key, _ in panels()],
    *[f"{key}-{part}" for key, chans in panels() if chans[0].periodic for part in ("age", "box")],
    "pump",
    "alarm",
)
"""Tile parts the live callback updates (ids ``{"type": "tile-<field>", "bed": id}``)."""


def _id(field: str, bed_id: str) -> dict[str, str]:
    return {"type": f"tile-{field}", "bed": bed_id}


def _num(label: str, unit: str, field: str, bed_id: str, cls: str, colour: str) -> html.Div:
    return html.Div(
        [
            html.Div(
                [html.Span(label, className="tnum-label"), html.Span(unit, className="tnum-unit")],
                className="tnum-head",
            ),
            html.Div(fmt.DASH, id=_id(field, bed_id), className="tnum-value"),
        ],
        className=f"tnum {cls}",
        style={"--ch": colour},
    )


def _measured(label: str, unit: str, key: str, bed_id: str, colour: str) -> html.Div:
    """A periodic panel (NIBP): its value and the age of the reading."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span(label, className="tnum-label"),
                    html.Span(unit, className="tnum-unit"),
                ],
                className="tnum-head",
            ),
            html.Div(fmt.DASH, id=_id(key, bed_id), className="tnum-value"),
            html.Div("", id=_id(f"{key}-age", bed_id), className="tnum-age"),
        ],
        id=_id(f"{key}-box", bed_id),
        className=f"tnum tnum-{key}",
        style={"--ch": colour},
    )


def tile(bed_id: str, label: str, wave: str | None = None) -> html.Div:
    """One chair's tile; ``wave``: the waveform its strip sweeps (none: no strip)."""
    nums = [
        _measured(c[0].panel_label, c[0].unit, key, bed_id, c[0].colour)
        if c[0].periodic
        else _num(c[0].label, c[0].unit, key, bed_id, f"tnum-{key}", c[0].colour)
        for key, c in panels()
    ]
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
                nums,
                className="tile-nums",
            ),
            html.Div("", id=_id("pump", bed_id), className="tile-pump"),
            *([waves.tile_strip(bed_id, wave)] if wave else []),
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
