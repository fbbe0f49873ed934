"""Bedside monitor for one chair: trends, numerics, alarms, pump, interventions, charting.

One Interval drives one callback (ui/live/bedside.py) that backfills on open and then
sends only what is new; one callback turns every button into a runtime action.

The tick has three outputs (figure, wire, cursor), which change together or not at all;
every panel that changed goes out with ``set_props`` in the same response. Forty
declared outputs cost the server more per tick than the tick itself, and a panel update
is idempotent, so it needs no cursor of its own. assets/bedside.js turns the compact
wire into ``extendData``, the chart's decor, the alarm banner and the readiness list.

The waveforms sweep above the trends (widgets/waves.py, drawn by assets/waves.js from
the binary packets of ui/live/waves.py, polled a few times a second or carried by the
pushed stream); the Freeze key beside them is the browser's alone.

When the clinic pushes (``live_updates = "push"``) the Interval starts disabled and the
page opens its stream (ui/live/stream.py) instead: the same tick, sent by the server after
each runtime tick, applied by bedside.js with ``set_props``. The polling callback then
declines its calls, until a refused stream switches the page back to polling.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
    set_props,
)
from dash.exceptions import PreventUpdate

from vitalsdash.runtime import BedView
from vitalsdash.ui._runtime import get_runtime
from vitalsdash.ui._who import watch_only_reason
from vitalsdash.ui.live.actions import SIMPLE, cleared, perform
from vitalsdash.ui.live.bedside import DECLARED, bedside_tick, component_props
from vitalsdash.ui.live.discharge import submit_discharge
from vitalsdash.ui.live.stream import stream_path
from vitalsdash.ui.live.waves import bed_path as waves_path
from vitalsdash.ui.widgets import (
    alarm_banner,
    audio,
    charting,
    interventions,
    numerics,
    patient_says,
    pump_panel,
    readiness,
    start_check,
    trends,
    waves,
)
from vitalsdash.ui.widgets import discharge as discharge_widget

__all__ = ["layout"]


def _title(bed_id: str | None = None, **_: Any) -> str:
    """The tab's title: the chair as the clinic names it ("Chair 3 — vitalsdash")."""
    view = get_runtime().view(bed_id or "")
    return f"{view.label if view is not None else 'No such chair'} — vitalsdash"


dash.register_page(__name__, path_template="/bed/<bed_id>", name="Bedside", title=_title)

TICK_MS = 1000
WINDOWS = (("15 min", "900"), ("1 h", "3600"), ("4 h", "14400"), ("All", "0"))

BUTTONS = [
    *SIMPLE,
    "pump-set-rate",
    "act-antihypertensive",
    "act-antiemetic",
    "act-oxygen-on",
    "alarm-pause-audio",
    "chart-submit",
    "start-go",  # the start button, once confirmed where the check asks for caution
    "start-confirm",
]
TRIGGER_PROP = {"pump-stop": "submit_n_clicks", "start-confirm": "submit_n_clicks",
                "start-go": "data"}  # fmt: skip
"""The property a control fires with, when not ``n_clicks``."""
VALUES = [
    "pump-rate-input",
    "act-antihypertensive-dose",
    "act-antiemetic-dose",
    "act-oxygen-flow",
    "chart-kind",
    "chart-value",
    "chart-text",
]


def _patient(view: BedView) -> str:
    info = view.patient
    parts = [str(info["course"])] if info.get("course") else []  # "Session 3 of 6 for ..."
    if info.get("age_years"):
        parts.append(f"{info['age_years']:.0f} y")
    if info.get("sex"):
        parts.append(str(info["sex"]))
    if info.get("weight_kg"):
        parts.append(f"{info['weight_kg']:g} kg")
    if info.get("height_cm"):  # the ideal weight a dose may be per follows from it
        parts.append(f"{info['height_cm']:g} cm")
    return " · ".join(parts)


def _trend_card() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Trend window"),
                    dbc.RadioItems(
                        id="trend-window",
                        value="0",
                        inline=True,
                        options=[{"label": a, "value": b} for a, b in WINDOWS],
                    ),
                ],
                className="trend-tools",
            ),
            dcc.Graph(
                id="bed-trends",
                figure=trends.empty_figure(),
                config={
                    "displaylogo": False,
                    "responsive": True,
                    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
                },
                className="bed-trends",
            ),
        ],
        className="trend-card",
    )


def layout(bed_id: str | None = None, **_: Any) -> html.Div:
    rt = get_runtime()
    bed = rt.view(bed_id or "")
    if bed is None:
        return html.Div(
            [
                html.H2("No such chair"),
                html.P(f"There is no bed {bed_id!r}. "),
                dcc.Link("Back to the central station", href="/"),
            ],
            className="page",
        )
    stream = None
    if rt.views().live_updates == "push":
        stream = dash.get_relative_path(stream_path(bed.bed_id))
    wave_src = dash.get_relative_path(waves_path(bed.bed_id))
    watch_only = watch_only_reason(rt, bed.bed_id)
    head = html.Div(
        [
            html.H1(bed.label, className="bed-name"),
            html.Span(_patient(bed), className="bed-patient"),
            html.Span("", id="bed-phase", className="bed-phase"),
            patient_says.layout(),
            dcc.Link("← Central station", href="/", className="bed-back"),
            html.Div(
                rt.live_notice() or "", id="live-notice", className="live-notice", role="status"
            ),
        ],
        className="bed-head",
    )
    return html.Div(
        [
            dcc.Store(id="bed-id", data=bed.bed_id),
            dcc.Store(id="bed-cursor"),
            dcc.Store(id="bed-push", data=stream),
            html.Div(id="bed-live", **{"data-stream": stream or ""}, hidden=True),
            dcc.Store(id="bed-wire"),
            dcc.Store(id="bed-ack"),
            dcc.Store(id="bed-max-points", data=trends.MAX_POINTS),
            dcc.Store(id="bed-refresh", data=0),
            dcc.Store(id="bed-window-applied"),
            dcc.Interval(id="bed-interval", interval=TICK_MS, disabled=stream is not None),
            audio.element("bed-audio"),
            dbc.Toast(
                id="action-toast",
                header="",
                is_open=False,
                dismissable=True,
                duration=5000,
                className="action-toast",
            ),
            head,
            html.P(watch_only, className="watch-only", id="watch-only") if watch_only else None,
            alarm_banner.layout(),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [waves.panel(bed.bed_id, wave_src, stream or ""), _trend_card()],
                            className="bed-left",
                        ),
                        lg=8,
                    ),
                    dbc.Col(numerics.layout(), lg=4, className="num-col"),
                ],
                className="g-2 bed-main",
            ),
            html.Fieldset(
                [
                    dbc.Row(dbc.Col(start_check.layout(bed.dose)), className="g-2 mt-1"),
                    dbc.Row(
                        [
                            dbc.Col(pump_panel.layout(bed.dose), lg=3, md=6),
                            dbc.Col(interventions.layout(), lg=3, md=6),
                            dbc.Col(charting.layout(), lg=3, md=6),
                            dbc.Col(readiness.layout(), lg=3, md=6),
                        ],
                        className="g-2 bed-controls",
                    ),
                ],
                # watching only (an observer, another trainee's chair): every control is
                # disabled by the browser itself; the server refuses their actions anyway
                disabled=watch_only is not None,
                className="bed-fieldset",
            ),
        ],
        className="page bed-page",
    )


@callback(
    *[Output(cid, prop) for cid, prop in DECLARED.values()],
    Input("bed-interval", "n_intervals"),
    Input("bed-refresh", "data"),
    State("bed-cursor", "data"),
    State("bed-id", "data"),
    State("bed-push", "data"),
)
def bedside_update(
    _n: int | None, _refresh: int | None, cursor: dict | None, bed_id: str, push: str | None
) -> list[Any]:
    """One tick: see vitalsdash.ui.live.bedside. Idle while the page is pushed to."""
    if push:
        raise PreventUpdate
    props = component_props(bedside_tick(get_runtime(), bed_id, cursor))
    declared = [props.pop(cid, {}).get(prop, no_update) for cid, prop in DECLARED.values()]
    for cid, values in props.items():
        set_props(cid, values)
    return declared


@callback(
    Output("action-toast", "is_open"),
    Output("action-toast", "header"),
    Output("action-toast", "children"),
    Output("action-toast", "icon"),
    Output("bed-refresh", "data"),
    *[Input(b, TRIGGER_PROP.get(b, "n_clicks")) for b in BUTTONS],
    Input("bed-ack", "data"),
    State("bed-id", "data"),
    State("bed-refresh", "data"),
    *[State(v, "value") for v in VALUES],
    prevent_initial_call=True,
)
def bedside_action(*args: Any) -> tuple[Any, ...]:
    """Any control: submit its action as the trainee, say how it went, refresh now."""
    trigger = ctx.triggered_id
    if trigger is None or not any(t.get("value") for t in ctx.triggered):
        return (no_update,) * 5
    n_inputs = len(BUTTONS) + 1
    bed_id, refresh = args[n_inputs], args[n_inputs + 1]
    values = dict(zip(VALUES, args[n_inputs + 2 :], strict=True))
    values["bed-ack"] = args[n_inputs - 1]
    outcome = perform(get_runtime(), bed_id, trigger, values)
    for cid, props in cleared(trigger, outcome).items():
        set_props(cid, props)
    header = "Done" if outcome.ok else "Not possible"
    return True, header, outcome.message, "success" if outcome.ok else "danger", (refresh or 0) + 1


@callback(
    Output("start-confirm", "displayed"),
    Output("start-confirm", "message"),
    Output("start-go", "data"),
    Input("start-infusion", "n_clicks"),
    State("start-status", "data"),
    State("start-go", "data"),
    prevent_initial_call=True,
)
def start_clicked(n: int | None, check: dict | None, go: int | None) -> tuple[Any, ...]:
    """The start button: where the check asks for caution the nurse confirms first (its
    reasons in the dialog); otherwise the start goes to the runtime at once."""
    if not n:
        return no_update, no_update, no_update
    if check and check.get("status") == "caution":
        why = "\n".join(f"! {r}" for r in check.get("reasons") or [])
        verb = check.get("verb") or "Start the infusion"
        ask = f"The pre-infusion check asks for caution:\n{why}\n\n{verb}?"
        return True, ask, no_update
    return False, no_update, (go or 0) + 1


@callback(
    Output("discharge-result", "children"),
    Output("bed-refresh", "data", allow_duplicate=True),
    Input("discharge-submit", "n_clicks"),
    State("discharge-note", "value"),
    State("bed-id", "data"),
    State("bed-refresh", "data"),
    prevent_initial_call=True,
)
def bedside_discharge(n_clicks: int | None, note: str | None, bed_id: str,
                      refresh: int | None) -> tuple[Any, Any]:  # fmt: skip
    """The Discharge button, as the trainee: accepted, the session ends and the tick shows
    when; refused, the criteria still missing are listed under the button."""
    if not n_clicks:
        raise PreventUpdate
    outcome = submit_discharge(get_runtime(), bed_id, note)
    if outcome.ok:
        set_props("action-toast", {"is_open": True, "header": "Done",
                                   "children": outcome.message, "icon": "success"})  # fmt: skip
        return [], (refresh or 0) + 1
    return discharge_widget.refusal(outcome.reasons, outcome.message), (refresh or 0) + 1


clientside_callback(
    ClientsideFunction("vitals", "applyWire"),
    Output("bed-trends", "extendData"),
    Output("alarm-list", "children"),
    Output("readiness", "children"),
    Input("bed-wire", "data"),
    State("bed-max-points", "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("vitals", "applyStartCheck"),
    Output("start-check", "children"),
    Input("start-wire", "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("vitals", "openStream"),
    Output("bed-live", "title"),
    Input("bed-push", "data"),
)
clientside_callback(
    ClientsideFunction("vitals", "applyWindow"),
    Output("bed-window-applied", "data"),
    Input("trend-window", "value"),
    Input("bed-cursor", "data"),
)
