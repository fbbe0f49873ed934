"""The infusion pump: state, rate, dose so far, and its controls (pause, resume, rate, stop).

For esketamine nasal spray the same card follows the devices instead (given so far, the
next one's time) and keeps only the stop; its header and the prescription line above
the state come from the session's dose (``ui.dose_words``)."""

from __future__ import annotations

from typing import Any, NamedTuple

import dash_bootstrap_components as dbc
from dash import dcc, html

from vitalsdash.ui import dose_words, fmt

__all__ = ["PumpShown", "card_class", "layout", "render", "state", "tile_text"]

CARD = "panel-card pump-card"


class PumpShown(NamedTuple):
    """What the pump's display shows: the state word (its badge), its class, the rate
    line, the dose line and the state's detail (how long paused, when stopped)."""

    word: str
    cls: str
    rate: str
    dose: str
    detail: str = ""


def state(pump: Any, now_s: float | None = None) -> PumpShown:
    """The display of a PumpView (or None: no pump) at session time ``now_s``.

    A paused pump shows what it delivers (0) and the rate set on it, which it keeps, and
    how long it has been paused; stopped (by the nurse) and complete (the whole dose given)
    are told apart."""
    if pump is None:
        return PumpShown("No pump", "pump-none", fmt.DASH, fmt.DASH)
    if dose_words.is_nasal(pump):
        return _nasal(pump)
    dose = f"{pump.dose_given_mg_per_kg:.2f} mg/kg given"
    set_rate = f"{pump.rate_mg_per_kg_h:.2f} mg/kg/h"
    kind = pump.state or _state_of(pump)
    if kind == "not_started":
        return PumpShown("Not started", "pump-idle", fmt.DASH, dose)
    if kind == "stopped":
        when = f"at {fmt.clock(pump.ended_s)}" if pump.ended_s is not None else ""
        return PumpShown("Stopped", "pump-stopped", "0 mg/kg/h", dose, f"Stopped {when}".strip())
    if kind == "finished":
        return PumpShown("Complete", "pump-finished", "0 mg/kg/h", dose, "Whole dose given")
    if kind == "paused":
        since = pump.paused_since_s
        paused = "" if since is None or now_s is None else fmt.mmss(max(0.0, now_s - since))
        return PumpShown("Paused", "pump-paused", f"0 mg/kg/h · set {set_rate}", dose,
                         f"for {paused}" if paused else "")  # fmt: skip
    return PumpShown("Running", "pump-running", set_rate, dose)


def _nasal(pump: Any) -> PumpShown:
    """A nasal dose: the devices given and the next one's time, in the rate's place."""
    first, second = dose_words.device_lines(pump)
    word, cls = {"not_started": ("Not given", "pump-idle"), "stopped": ("Stopped", "pump-stopped"),
                 "finished": ("Complete", "pump-finished")}.get(
        pump.state, ("Giving", "pump-running"))  # fmt: skip
    return PumpShown(word, cls, first, second)


def card_class(dose: Any) -> str:
    """The card's classes: a nasal spray hides the infusion's controls (pause, rate)."""
    return CARD + (" pump-nasal" if dose_words.is_nasal(dose) else "")


def _state_of(pump: Any) -> str:
    """The state of a pump view that does not carry one (an older view)."""
    if pump.started_s is None:
        return "not_started"
    if pump.ended_s is not None:
        return "stopped"
    return "running" if pump.running else "paused"


def tile_text(pump: Any, now_s: float | None = None) -> tuple[str, str]:
    """The central tile's pump line and its class: "Pump PAUSED 2:15 · set 0.40 mg/kg/h ·
    0.21 mg/kg given" (a paused pump says so first, in capitals, with how long)."""
    shown = state(pump, now_s)
    if pump is not None and dose_words.is_nasal(pump):
        return f"Nasal spray {shown.word.lower()} · {shown.rate} · {shown.dose}", shown.cls
    if shown.cls == "pump-paused":
        head = f"Pump PAUSED {shown.detail.removeprefix('for ')}".rstrip()
        return f"{head} · set {pump.rate_mg_per_kg_h:.2f} mg/kg/h · {shown.dose}", shown.cls
    return f"Pump {shown.word.lower()} · {shown.rate} · {shown.dose}", shown.cls


def render(data: tuple[str, ...]) -> list[Any]:
    word, cls, rate, dose, detail = (*data, "")[:5]
    return [
        html.Div(
            [
                html.Span(word, className=f"pump-state {cls}", id="pump-state-word"),
                html.Span(detail, className=f"pump-detail {cls}"),
            ],
            className="pump-head",
        ),
        html.Div(rate, className="pump-rate"),
        html.Div(dose, className="pump-dose"),
    ]


def layout(dose: Any = None) -> dbc.Card:
    """The card for a session's ``dose`` (a DoseView; None: an infusion pump); the tick
    keeps its header, prescription line and class up to date (ui/live/bedside.py)."""
    return dbc.Card(
        [
            dbc.CardHeader(html.Span(dose_words.pump_title(dose), id="pump-title")),
            dbc.CardBody(
                [
                    html.Div(
                        dose_words.order_line(dose, short=True),
                        id="pump-order",
                        className="pump-order",
                    ),
                    html.Div(render(state(None)), id="pump-status", className="pump-status"),
                    html.Div(
                        [
                            dbc.Button(
                                "Pause",
                                id="pump-pause",
                                color="warning",
                                size="sm",
                                className="pump-infusion-only",
                            ),
                            dbc.Button(
                                "Resume",
                                id="pump-resume",
                                color="success",
                                size="sm",
                                className="pump-infusion-only",
                            ),
                            dcc.ConfirmDialogProvider(
                                dbc.Button(
                                    dose_words.stop_label(dose),
                                    id="pump-stop-button",
                                    color="danger",
                                    size="sm",
                                ),
                                id="pump-stop",
                                message="Stop? It cannot be resumed.",
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
                        className="mt-2 pump-infusion-only",
                    ),
                ]
            ),
        ],
        id="pump-card",
        className=card_class(dose),
    )
