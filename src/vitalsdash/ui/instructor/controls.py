"""Layout of the instructor console: the simulation bar and one card per chair."""

from __future__ import annotations

import functools
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.adapters.simulator import list_scenarios, load_scenario
from vitalsdash.ui.instructor import activity, course, events, truth
from vitalsdash.ui.instructor.forms import button, labelled
from vitalsdash.ui.instructor.live import SPEEDS, card_class

__all__ = ["RANDOM_SCENARIO", "layout_card", "sim_bar"]

RANDOM_SCENARIO = "uneventful-depression"
"""A "random patient" is this scenario (nothing scripted) with a new seed."""


def ids(kind: str, bed_id: str) -> dict[str, str]:
    return {"type": f"ins-{kind}", "bed": bed_id}


@functools.lru_cache(maxsize=8)
def _scenario_names(files: tuple[tuple[str, str, float], ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for stem, path, _mtime in files:
        try:
            name = load_scenario(path).name
        except Exception:  # a broken file: still listed, start_session will say why
            name = stem
        out.append((stem, name))
    return tuple(out)


def scenario_options() -> list[dict[str, str]]:
    """Every scenario file (``adapters.simulator.list_scenarios``) as "Name (file)"."""
    files = tuple((p.stem, str(p), p.stat().st_mtime) for p in list_scenarios())
    return [{"label": f"{name} ({stem})", "value": stem} for stem, name in _scenario_names(files)]


def sim_bar(speed: float, paused: bool) -> html.Div:
    buttons = [
        html.Button(
            f"x{s}",
            id={"type": "ins-speed", "x": s},
            n_clicks=0,
            className="speed-btn" + (" active" if speed == s else ""),
            title=f"Run the simulation at {s} times real time",
            **{"aria-pressed": "true" if speed == s else "false"},
        )
        for s in SPEEDS
    ]
    return html.Div(
        [
            html.Span("Simulation", className="sim-title"),
            html.Div(buttons, className="speed-group", role="group", **{"aria-label": "Speed"}),
            html.Button(
                "Resume" if paused else "Pause",
                id="ins-pause",
                n_clicks=0,
                className="pause-btn",
            ),
            html.Span(
                "",
                id="ins-sim-state",
                className="sim-state",
                role="status",
                **{"aria-live": "polite"},
            ),
            html.Span(
                "Instructor only: hidden patient state and scenario events",
                className="ins-secret",
            ),
        ],
        className="sim-bar",
    )


def _start_panel(bed_id: str, scenario: str | None, options: list[dict[str, str]]) -> html.Div:
    values = {o["value"] for o in options}
    first = options[0]["value"] if options else None
    return html.Div(
        [
            labelled(
                "Scenario",
                dbc.Select(
                    id=ids("scenario", bed_id),
                    options=options,
                    value=scenario if scenario in values else first,
                    size="sm",
                ),
                cls="field field-wide",
            ),
            labelled(
                "Seed",
                dbc.Input(
                    id=ids("seed", bed_id),
                    type="number",
                    step=1,
                    size="sm",
                    placeholder="scenario's",
                ),
                cls="field field-seed",
            ),
            html.Div(
                [
                    button("Start session", ids("start-btn", bed_id), "go"),
                    button(
                        "Random patient",
                        ids("random-btn", bed_id),
                        title=f"{RANDOM_SCENARIO} with a new seed",
                    ),
                ],
                className="btn-row field-buttons",
            ),
        ],
        className="start-form",
    )


def _inject_panel(bed_id: str) -> html.Div:
    return html.Div(
        [
            html.H4("Inject an event", className="ins-sub"),
            labelled(
                "Event",
                dbc.Select(
                    id=ids("kind", bed_id),
                    options=events.kind_options(),
                    value=events.DEFAULT_KIND,
                    size="sm",
                ),
                cls="field field-wide",
            ),
            html.Div(
                events.fields(bed_id, events.DEFAULT_KIND),
                id=ids("fields", bed_id),
                className="inject-fields",
            ),
            html.Div(
                button("Inject now", ids("inject-btn", bed_id), "warn"),
                className="btn-row mt-2",
            ),
        ],
        className="inject-form",
    )


def _start_infusion_panel(bed_id: str) -> html.Div:
    """Start the infusion as the instructor: despite a blocked pre-infusion check only
    with a reason (logged, and shown in the debrief)."""
    return html.Div(
        [
            labelled(
                "Override reason",
                dbc.Input(
                    id=ids("override", bed_id),
                    type="text",
                    size="sm",
                    maxLength=500,
                    placeholder="only to start despite a blocked check",
                ),
                cls="field field-wide",
            ),
            button("Start infusion", ids("startinf-btn", bed_id), "go",
                   title="Start the infusion now (the pre-infusion check runs first)"),
        ],
        className="btn-row start-infusion-form",
    )  # fmt: skip


def card(
    bed_id: str, label: str, scenario: str | None, status: str | None, options: list[dict[str, str]]
) -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.H3(label, className="ins-name", id=f"ins-{bed_id}-name"),
                    html.Span("", id=ids("status", bed_id), className="ins-status"),
                    dcc.Link("Bedside →", href=f"/bed/{bed_id}", className="ins-bedside"),
                ],
                className="ins-head",
            ),
            html.Div("", id=ids("patient", bed_id), className="ins-patient"),
            html.Div("", id=ids("dose", bed_id), className="ins-dose"),
            html.Div(
                "",
                id=ids("msg", bed_id),
                className="ins-msg",
                role="status",
                **{"aria-live": "polite"},
            ),
            html.Div(
                [_start_panel(bed_id, scenario, options), course.panel(bed_id)],
                className="start-panel",
            ),
            html.Div(
                [
                    html.Span(
                        "This session was interrupted (a server stop or a fault).",
                        className="ins-note",
                    ),
                    button("Resume session", ids("resume-btn", bed_id), "go"),
                    button("Close session", ids("close-btn", bed_id)),
                ],
                className="btn-row interrupted-panel",
            ),
            html.Div(
                [
                    truth.panel(bed_id),
                    _start_infusion_panel(bed_id),
                    dcc.ConfirmDialogProvider(
                        button("End session", variant="danger", cls="end-btn"),
                        id=ids("end", bed_id),
                        message=f"End the session on {label}? Its monitor stops; "
                        "the session is kept for the debrief.",
                    ),
                ],
                className="live-panel",
            ),
            html.Div(
                [
                    html.Div(_inject_panel(bed_id), className="inject-panel"),
                    html.Div(
                        [
                            html.H4("Activity", className="ins-sub"),
                            html.Ul(
                                activity.render([]),
                                id=ids("activity", bed_id),
                                className="act-list",
                            ),
                        ],
                        className="activity",
                    ),
                ],
                className="ins-lower",
            ),
        ],
        id=ids("card", bed_id),
        className=card_class(status),
        **{"data-bed": bed_id, "aria-labelledby": f"ins-{bed_id}-name"},
    )


def layout_card(chair: Any) -> html.Section:
    """The card of one chair, from the runtime's ``TruthView`` of it."""
    return card(chair.bed_id, chair.label, chair.scenario, chair.status, scenario_options())
