"""Settings: alarm limits per chair, effective at once and logged; alarm off/on per
parameter with a persistent reminder; auto-limits from the patient's baseline.

One Interval drives one callback (settings/live.py); every change goes through
``Runtime.submit`` (settings/limits.py), so the engine validates it and the
alarm log records it with its old and new values.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from vitalsdash.ui._runtime import get_runtime
from vitalsdash.ui._who import principal
from vitalsdash.ui.settings import limits
from vitalsdash.ui.settings import log as changelog
from vitalsdash.ui.settings.live import bed_tick

__all__ = ["layout"]

dash.register_page(__name__, path="/settings", name="Settings", title="Settings · vitalsdash")

TICK_MS = 1000
# tick slot -> (component type, property)
OUTPUTS: list[tuple[str, str, str]] = [
    ("head", "set-head", "children"),
    ("body", "set-body", "children"),
    ("notice", "set-notice", "children"),
    ("notice-cls", "set-notice", "className"),
    ("log", "set-log", "children"),
]
TRIGGERS = ("set-apply", "set-auto", "set-undo", "set-on")


def _ids(kind: str, bed_id: str) -> dict[str, str]:
    return {"type": kind, "bed": bed_id}


def _card(bed_id: str, label: str) -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.H3(label, className="set-name", id=f"set-{bed_id}-name"),
                    html.Span("", id=_ids("set-head", bed_id), className="set-head"),
                    dcc.Link("Bedside →", href=f"/bed/{bed_id}", className="ins-bedside"),
                ],
                className="ins-head",
            ),
            html.Div("", id=_ids("set-notice", bed_id), className="set-off-notice", role="status"),
            html.Div(
                "",
                id=_ids("set-msg", bed_id),
                className="set-msg",
                role="status",
                **{"aria-live": "polite"},
            ),
            html.Div(id=_ids("set-body", bed_id), className="set-body"),
            html.H4("Recent limit changes", className="ins-sub"),
            html.Ul(changelog.render([]), id=_ids("set-log", bed_id), className="chg-list"),
        ],
        className="set-card",
        **{"data-bed": bed_id, "aria-labelledby": f"set-{bed_id}-name"},
    )


def _actor() -> str:
    who = principal()
    return "instructor" if who.open_demo else str(who.role)


def _actor_options() -> list[dict[str, str]]:
    """The open demo says in whose role a change is logged; a signed-in person's changes
    are theirs (the server takes the actor from the login whatever this says)."""
    who = principal()
    if who.open_demo:
        return [{"label": "Instructor", "value": "instructor"},
                {"label": "Trainee", "value": "trainee"}]  # fmt: skip
    return [{"label": f"{who.name} ({who.role})", "value": str(who.role)}]


def layout(**_: Any) -> html.Div:
    rt = get_runtime()
    beds = [(b.bed_id, b.label) for b in rt.views().beds]
    return html.Div(
        [
            dcc.Interval(id="set-interval", interval=TICK_MS),
            dcc.Store(id="set-cursor"),
            dcc.Store(id="set-refresh", data={"n": 0, "redraw": None}),
            html.Div(
                [
                    html.H2("Alarm limits", className="page-title"),
                    html.P(
                        "The limits in force on each chair. A change takes effect at once and "
                        "is logged with its old and new value; a value strictly beyond a limit "
                        "raises its alarm (equal is not a violation).",
                        className="set-intro",
                    ),
                    html.Div(
                        [
                            html.Span("Changes are made by", className="field-label"),
                            dbc.RadioItems(
                                id="set-actor",
                                options=_actor_options(),
                                value=_actor(),
                                inline=True,
                            ),
                        ],
                        className="set-actor",
                    ),
                ],
                className="set-top",
            ),
            html.Div([_card(b, label) for b, label in beds], className="set-grid"),
        ],
        className="page console-page settings-page",
    )


REFRESH_KEY = "#refresh"
"""The cursor's key for the last refresh drawn (no bed id has a #)."""


def _bed(d: dict[str, Any]) -> str:
    return d["id"]["bed"]


@callback(
    *[Output({"type": t, "bed": ALL}, prop) for _, t, prop in OUTPUTS],
    Output("set-cursor", "data"),
    Input("set-interval", "n_intervals"),
    Input("set-refresh", "data"),
    State("set-cursor", "data"),
)
def settings_update(_n: Any, refresh: dict | None, cursor: dict | None) -> list[Any]:
    """One tick for every chair: only what changed.

    A redraw (undo edits) is done by the first tick whose answer follows the refresh: the
    cursor remembers the last refresh drawn, so a tick answer the browser drops (a newer
    interval tick overtook it) leaves the redraw to the next one."""
    rt = get_runtime()
    cursor = cursor or {}
    refresh = refresh or {}
    redraw = refresh.get("redraw") if refresh.get("n") != cursor.get(REFRESH_KEY) else None
    bed_ids = [_bed(o) for o in ctx.outputs_list[0]]
    ticks = {b: bed_tick(rt, b, cursor.get(b), redraw=b == redraw) for b in bed_ids}
    out: list[Any] = []
    for i, (slot, _, _) in enumerate(OUTPUTS):
        out.append([ticks[_bed(o)].get(slot, no_update) for o in ctx.outputs_list[i]])
    out.append({**{b: t["cursor"] for b, t in ticks.items()}, REFRESH_KEY: refresh.get("n")})
    return out


@callback(
    Output({"type": "set-msg", "bed": ALL}, "children"),
    Output({"type": "set-msg", "bed": ALL}, "className"),
    Output("set-refresh", "data"),
    *[Input({"type": t, "bed": ALL}, "n_clicks") for t in TRIGGERS[:3]],
    Input({"type": "set-on", "bed": ALL, "ch": ALL}, "n_clicks"),
    Input({"type": "set-off", "bed": ALL, "ch": ALL}, "submit_n_clicks"),
    State({"type": "lim", "bed": ALL, "ch": ALL, "which": ALL}, "value"),
    State("set-actor", "value"),
    State("set-refresh", "data"),
    prevent_initial_call=True,
)
def settings_action(*args: Any) -> tuple[Any, ...]:
    """Apply, auto-limits, undo, alarm on/off: submit, say how it went, refresh at once."""
    trigger = ctx.triggered_id
    msg_ids = [_bed(o) for o in ctx.outputs_list[0]]
    if trigger is None or not any(t.get("value") for t in ctx.triggered):
        return [no_update] * len(msg_ids), [no_update] * len(msg_ids), no_update
    rt = get_runtime()
    bed_id, kind = trigger["bed"], trigger["type"]
    actor = args[-2] or "instructor"
    refresh = dict(args[-1] or {})
    refresh["n"] = int(refresh.get("n") or 0) + 1
    refresh["redraw"] = None
    if kind == "set-apply":
        values = {
            (e["id"]["ch"], e["id"]["which"]): e.get("value")
            for e in ctx.states_list[0]
            if _bed(e) == bed_id
        }
        outcome = limits.apply(rt, bed_id, values, actor)
    elif kind == "set-auto":
        outcome = limits.submit(rt, bed_id, "auto_limits", {}, actor, "Limits set from baseline")
    elif kind == "set-undo":
        outcome = limits.Outcome(True, "Edits undone: showing the limits in force")
        refresh["redraw"] = bed_id
    else:
        ch = trigger["ch"]
        on = kind == "set-on"
        label = limits.label_of(ch)
        message = f"{label} alarms {'on' if on else 'OFF'}"
        outcome = limits.submit(
            rt, bed_id, "alarm_on" if on else "alarm_off", {"channel": ch}, actor, message
        )
    cls = "set-msg ok" if outcome.ok else "set-msg error"
    text = outcome.message if outcome.ok else f"Not applied: {outcome.message}"
    children = [text if b == bed_id else no_update for b in msg_ids]
    classes = [cls if b == bed_id else no_update for b in msg_ids]
    return children, classes, refresh
