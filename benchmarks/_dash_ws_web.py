"""Dash 4.4's FastAPI backend with a WebSocket callback, for ``bench_cluster.py --web
dash-ws``: the bedside page's live updates as Dash's own server push, not an SSE route.

A minimal Dash app (``Dash(backend="fastapi")``), not the product's pages: one persistent,
output-less ``async`` callback with ``websocket=True`` that a bedside page would start
once (its input is the bed's id) and that then runs for as long as the page is open,
pushing each update with ``set_props``, one message per component property, batched by
Dash (5 ms). Its pacing and its content are ``_asgi_web.paced`` (the product's
``bedside_tick`` and ``component_props``, the period, the waves after every tick);
waves go as base64 packets on a ``bed-waves`` store. ``/api/beds`` and ``/api/health``
are the routes of ``_asgi_web``, on the same FastAPI server.

Like ``_asgi_web`` it has no Host check, access guard, logins or rate limits. Settings:
VITALSDASH_BENCH_REDIS, VITALSDASH_BENCH_DB, VITALSDASH_BENCH_CLINIC.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import dash
from dash import Dash, Input, dcc, html

from _asgi_web import Ticks, _json, paced
from vitalsdash.bus import RemoteRuntime
from vitalsdash.config import load_clinic
from vitalsdash.runtime import bed_summary
from vitalsdash.store import Store
from vitalsdash.ui.live import waves


def _wave_packet(runtime: RemoteRuntime, bed_id: str, after: int) -> tuple[int, str | None]:
    """``stream._wave_frame`` without the SSE wrapping: the packet in base64."""
    try:
        answer = waves.bed_answer(runtime, bed_id, after)
    except KeyError:
        return after, None
    if not answer.segments:
        return answer.seq, None
    return answer.seq, base64.b64encode(answer.packet()).decode()


def create_app() -> Any:
    runtime = RemoteRuntime(os.environ["VITALSDASH_BENCH_REDIS"],
                            Store(os.environ["VITALSDASH_BENCH_DB"]),
                            load_clinic(os.environ.get("VITALSDASH_BENCH_CLINIC")))  # fmt: skip
    state: dict[str, Any] = {}

    def ticks() -> Ticks:
        """One follower per worker, started on its event loop by the first stream."""
        if "ticks" not in state:
            state["ticks"] = Ticks(runtime)
            state["follower"] = asyncio.get_running_loop().create_task(state["ticks"].follow())
        return state["ticks"]

    app = Dash(__name__, backend="fastapi")
    app.layout = html.Div([dcc.Store(id="bed-id"), dcc.Store(id="bed-cursor"),
                           dcc.Store(id="bed-waves")])  # fmt: skip

    # on the app, not dash.callback: a worker's first WebSocket may come before any HTTP
    # request has copied the global callbacks into the app's map
    @app.callback(Input("bed-id", "data"), websocket=True, persistent=True)
    async def bed_stream(bed_id: str) -> None:
        ws = dash.ctx.websocket
        async for item in paced(runtime, ticks(), bed_id, lambda props: props or None,
                                _wave_packet, None):  # fmt: skip
            if ws is None or ws.is_shutdown:
                return
            if isinstance(item, str):
                dash.set_props("bed-waves", {"data": item})
                continue
            for component, props in item.items():
                dash.set_props(component, props)

    server = app.server

    @server.get("/api/beds")
    async def beds() -> Any:
        return _json([bed_summary(v) for v in runtime.views().beds])

    @server.get("/api/health")
    async def health() -> Any:
        report = runtime.health()
        return _json(report, 200 if report["status"] == "ok" else 503)

    return server
