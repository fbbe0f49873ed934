"""Central station: a tile per chair, updated by one pattern-matching callback per tick.

Each tile sweeps the chair's ECG (widgets/waves.py); one request a few times a second
brings every chair's samples (ui/live/waves.py), drawn by assets/waves.js."""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from vitalsdash import channels
from vitalsdash.ui._runtime import get_runtime
from vitalsdash.ui.live.central import FIELDS, central_tick
from vitalsdash.ui.live.waves import CENTRAL_PATH, strip_waves
from vitalsdash.ui.widgets import audio, tiles, waves

__all__ = ["layout"]

dash.register_page(__name__, path="/", name="Central station", title="Central station · vitalsdash")

TICK_MS = 1000


def layout(**_: Any) -> html.Div:
    rt = get_runtime()
    clinic = rt.views()
    beds = [(b.bed_id, b.label) for b in clinic.beds]
    strip = next(iter(strip_waves()), None)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(clinic.name, className="central-clinic"),
                    html.Span("", id="central-speed"),
                    html.Div(
                        rt.live_notice() or "",
                        id="central-notice",
                        className="live-notice",
                        role="status",
                    ),
                ],
                className="central-head",
            ),
            html.Div(
                [tiles.tile(b, label, strip) for b, label in beds],
                className=tiles.grid_class(len(beds)),
                **waves.wave_attrs(
                    dash.get_relative_path(CENTRAL_PATH),
                    tuple(channels.get(w) for w in strip_waves()),
                ),
            ),
            dcc.Interval(id="central-interval", interval=TICK_MS),
            dcc.Store(id="central-cursor"),
            audio.element("central-audio"),
        ],
        className="central-page",
    )


def _tile(part: str) -> dict[str, Any]:
    return {"type": f"tile-{part}", "bed": ALL}


@callback(
    *[Output(_tile(part), prop) for part, prop in FIELDS],
    Output(_tile("spark"), "figure"),
    Output(_tile("spark"), "extendData"),
    Output("central-cursor", "data"),
    Output("central-audio", "data-audio"),
    Output("central-audio", "data-audio-pulses"),
    Output("central-audio", "data-audio-repeat"),
    Output("central-speed", "children"),
    Output("central-notice", "children"),
    Input("central-interval", "n_intervals"),
    State("central-cursor", "data"),
    State("central-audio", "data-audio"),
    State("central-speed", "children"),
    State("central-notice", "children"),
    *[State(_tile(part), prop) for part, prop in FIELDS],
)
def central_update(
    _n: int | None,
    cursor: dict | None,
    shown_audio: str | None,
    shown_speed: str | None,
    shown_notice: str | None,
    *shown_lists: list[Any],
) -> list[Any]:
    """One tick for every tile: only what changed, as no_update elsewhere."""
    rt = get_runtime()
    ids = [o["id"]["bed"] for o in ctx.outputs_list[0]]
    shown = {
        key: dict(zip(ids, values, strict=True))
        for key, values in zip(FIELDS, shown_lists, strict=True)
    }
    up = central_tick(rt, ids, cursor, shown)
    out: list[Any] = [[up.values.get(key, {}).get(b, no_update) for b in ids] for key in FIELDS]
    out.append([up.figures.get(b, no_update) for b in ids])
    out.append([up.extends.get(b, no_update) for b in ids])
    out.append(up.cursor)
    pattern, pulses, repeat = up.audio
    out += [pattern, pulses, repeat] if pattern != shown_audio else [no_update] * 3
    speed_x, paused = up.speed
    speed = f"{'paused · ' if paused else ''}x{speed_x:g}"
    out.append(speed if speed != shown_speed else no_update)
    notice = rt.live_notice() or ""
    out.append(notice if notice != (shown_notice or "") else no_update)
    return out
