"""Instructor console: sessions, live scenario events, speed and pause, hidden patient state,
and what the trainees do, for every chair. The only page with the truth and the events.

One Interval drives one callback (instructor/live.py) that re-sends a panel only
when it changed and appends new activity rows; the buttons go through ``Runtime.submit``
as the instructor (instructor/actions.py) and then refresh at once.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import (
    ALL,
    MATCH,
    Input,
    Output,
    State,
    callback,
    ctx,
    dcc,
    html,
    no_update,
    set_props,
)

from vitalsdash.ui._runtime import get_runtime
from vitalsdash.ui.instructor import actions, controls, course, events
from vitalsdash.ui.instructor.live import bed_tick, sim_tick

__all__ = ["layout"]

dash.register_page(__name__, path="/instructor", name="Instructor", title="Instructor · vitalsdash")

TICK_MS = 1000
BED_BUTTONS = ("start", "random", "inject", "resume", "close", "startinf", "course", "newpatient")
# tick slot -> (component type, property)
BED_OUTPUTS: list[tuple[str, str, str]] = [
    ("status", "ins-status", "children"),
    ("patient", "ins-patient", "children"),
    ("card", "ins-card", "className"),
    ("activity", "ins-activity", "children"),
    ("dose", "ins-dose", "children"),
    ("startinf", "ins-startinf-btn", "children"),
]


def layout(**_: Any) -> html.Div:
    rt = get_runtime()
    clinic = rt.views()
    chairs = [c for c in (rt.truth(b.bed_id) for b in clinic.beds) if c is not None]
    return html.Div(
        [
            dcc.Interval(id="ins-interval", interval=TICK_MS),
            dcc.Store(id="ins-cursor"),
            dcc.Store(id="ins-refresh-sim", data=0),
            dcc.Store(id="ins-refresh-bed", data=0),
            controls.sim_bar(clinic.speed, clinic.paused),
            html.Div("", id="ins-sim-msg", className="ins-msg", role="status"),
            html.Div([controls.layout_card(c) for c in chairs], className="ins-grid"),
        ],
        className="page console-page instructor-page",
    )


def _bed(d: dict[str, Any]) -> str:
    return d["id"]["bed"]


@callback(
    *[Output({"type": t, "bed": ALL}, prop) for _, t, prop in BED_OUTPUTS],
    Output({"type": "ins-truth", "bed": ALL, "k": ALL}, "children"),
    Output("ins-sim-state", "children"),
    Output("ins-pause", "children"),
    Output({"type": "ins-speed", "x": ALL}, "className"),
    Output({"type": "ins-speed", "x": ALL}, "aria-pressed"),
    Output("ins-cursor", "data"),
    Input("ins-interval", "n_intervals"),
    Input("ins-refresh-sim", "data"),
    Input("ins-refresh-bed", "data"),
    State("ins-cursor", "data"),
)
def instructor_update(_n: Any, _r1: Any, _r2: Any, cursor: dict | None) -> list[Any]:
    """One tick for every chair and the simulation bar: only what changed."""
    rt = get_runtime()
    cursor = cursor or {}
    beds_cursor = cursor.get("beds") or {}
    bed_ids = [_bed(o) for o in ctx.outputs_list[0]]
    ticks = {b: bed_tick(rt, b, beds_cursor.get(b)) for b in bed_ids}
    out: list[Any] = []
    for i, (slot, _, _) in enumerate(BED_OUTPUTS):
        out.append([ticks[_bed(o)].get(slot, no_update) for o in ctx.outputs_list[i]])
    truth_ids = ctx.outputs_list[len(BED_OUTPUTS)]
    out.append([ticks[o["id"]["bed"]].get(o["id"]["k"], no_update) for o in truth_ids])
    sim, packed = sim_tick(rt, cursor.get("sim"))
    out.append(sim.get("sim", no_update))
    out.append(sim.get("pause", no_update))
    speed_ids = [o["id"]["x"] for o in ctx.outputs_list[len(BED_OUTPUTS) + 3]]
    flags = [sim.get(f"x{x}") for x in speed_ids]
    out.append([no_update if f is None else "speed-btn" + (" active" if f else "") for f in flags])
    out.append([no_update if f is None else ("true" if f else "false") for f in flags])
    out.append({"beds": {b: t["cursor"] for b, t in ticks.items()}, "sim": packed})
    return out


@callback(
    Output({"type": "ins-course-patient", "bed": ALL}, "options"),
    Output({"type": "ins-course-next", "bed": ALL}, "children"),
    Output({"type": "ins-course-who", "bed": ALL}, "children"),
    Input("ins-refresh-bed", "data"),
    Input({"type": "ins-course-patient", "bed": ALL}, "value"),
)
def instructor_course(_refresh: Any, chosen: list[Any]) -> tuple[list[Any], ...]:
    """Every chair's list of patient files, and what its form will start for the patient
    chosen there ("Session 3 of 6 for Mrs Jane Doe"); again after every chair action."""
    store = get_runtime().store
    opts = course.options(store.patients())
    lines = [course.next_words(store, v) for v in chosen]
    return [opts] * len(chosen), [a for a, _ in lines], [b for _, b in lines]


@callback(
    Output({"type": "ins-fields", "bed": MATCH}, "children"),
    Input({"type": "ins-kind", "bed": MATCH}, "value"),
    prevent_initial_call=True,
)
def instructor_kind(kind: str | None) -> list[Any]:
    """The event form's magnitudes follow the chosen kind."""
    return events.fields(ctx.triggered_id["bed"], kind)


@callback(
    Output("ins-sim-msg", "children"),
    Output("ins-sim-msg", "className"),
    Output("ins-refresh-sim", "data"),
    Input({"type": "ins-speed", "x": ALL}, "n_clicks"),
    Input("ins-pause", "n_clicks"),
    State("ins-refresh-sim", "data"),
    prevent_initial_call=True,
)
def instructor_sim(_speeds: list, _pause: int | None, refresh: int | None) -> tuple[Any, ...]:
    trigger = ctx.triggered_id
    if trigger is None or not any(t.get("value") for t in ctx.triggered):
        return no_update, no_update, no_update
    control = "pause" if trigger == "ins-pause" else int(trigger["x"])
    outcome = actions.simulation(get_runtime(), control)
    cls = "ins-msg ok" if outcome.ok else "ins-msg error"
    return outcome.message, cls, (refresh or 0) + 1


def _by_bed(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {_bed(e): e.get("value") for e in entries}


@callback(
    Output({"type": "ins-msg", "bed": ALL}, "children"),
    Output({"type": "ins-msg", "bed": ALL}, "className"),
    Output("ins-refresh-bed", "data"),
    *[Input({"type": f"ins-{b}-btn", "bed": ALL}, "n_clicks") for b in BED_BUTTONS],
    Input({"type": "ins-end", "bed": ALL}, "submit_n_clicks"),
    State({"type": "ins-scenario", "bed": ALL}, "value"),
    State({"type": "ins-seed", "bed": ALL}, "value"),
    State({"type": "ins-kind", "bed": ALL}, "value"),
    State({"type": "ins-mag", "bed": ALL, "key": ALL}, "value"),
    State({"type": "ins-override", "bed": ALL}, "value"),
    State({"type": "ins-course-patient", "bed": ALL}, "value"),
    State({"type": "ins-pname", "bed": ALL}, "value"),
    State({"type": "ins-psessions", "bed": ALL}, "value"),
    State("ins-refresh-bed", "data"),
    prevent_initial_call=True,
)
def instructor_action(*args: Any) -> tuple[Any, ...]:
    """A chair's button: submit its action as the instructor, say how it went."""
    trigger = ctx.triggered_id
    msg_ids = [_bed(o) for o in ctx.outputs_list[0]]
    nothing = ([no_update] * len(msg_ids), [no_update] * len(msg_ids), no_update)
    if trigger is None or not any(t.get("value") for t in ctx.triggered):
        return nothing
    bed_id = trigger["bed"]
    action = trigger["type"].removeprefix("ins-").removesuffix("-btn")
    states = ctx.states_list
    mags = {e["id"]["key"]: e.get("value") for e in states[3] if _bed(e) == bed_id}
    values = {
        "scenario": _by_bed(states[0]).get(bed_id),
        "seed": _by_bed(states[1]).get(bed_id),
        "kind": _by_bed(states[2]).get(bed_id),
        "mags": mags,
        "override": _by_bed(states[4]).get(bed_id),
        "patient": _by_bed(states[5]).get(bed_id),
        "pname": _by_bed(states[6]).get(bed_id),
        "psessions": _by_bed(states[7]).get(bed_id),
    }
    outcome = actions.perform(get_runtime(), bed_id, action, values)
    if outcome.patient is not None:  # a new patient file: the chair's list chooses it
        set_props({"type": "ins-course-patient", "bed": bed_id}, {"value": str(outcome.patient)})
    cls = "ins-msg ok" if outcome.ok else "ins-msg error"
    text = outcome.message if outcome.ok else f"Not possible: {outcome.message}"
    children = [text if b == bed_id else no_update for b in msg_ids]
    classes = [cls if b == bed_id else no_update for b in msg_ids]
    return children, classes, (args[-1] or 0) + 1
