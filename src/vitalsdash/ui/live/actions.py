"""Bedside buttons to runtime actions: every one goes through ``Runtime.submit`` as the
trainee, and a rejection comes back as a sentence for a toast, never a traceback.

The inputs carry no min/max of their own (a browser would turn an out-of-range number
into "no value"): the runtime validates, and its message says what the range is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vitalsdash.actions import ActionError
from vitalsdash.runtime import Command, Runtime

__all__ = ["CLEARED", "SIMPLE", "cleared", "perform"]

SIMPLE: dict[str, tuple[str, str]] = {
    "pump-pause": ("pause_pump", "Pump paused"),
    "pump-resume": ("resume_pump", "Pump resumed"),
    "pump-stop": ("stop_infusion", "Infusion stopped"),
    "act-oxygen-off": ("oxygen_off", "Oxygen off"),
    "act-reposition": ("reposition", "Patient repositioned"),
    "act-reassure": ("reassure", "Patient reassured"),
    "act-nibp": ("nibp_start", "NIBP measurement started"),
    "alarm-reset": ("reset", "Latched alarms reset"),
}


CLEARED: dict[str, dict[str, dict[str, Any]]] = {
    "chart-submit": {"chart-value": {"value": None}, "chart-text": {"value": ""}},
}
"""Per control, the fields emptied once its action was taken (the chart form, ready for the
next observation; its kind stays). A refused action keeps what was typed."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def _needs(value: Any, what: str) -> float:
    if value is None or value == "":
        raise ActionError("bad_params", f"Enter {what} first.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ActionError("bad_params", f"{what.capitalize()} must be a number.") from None


def request(
    trigger: Any, values: dict[str, Any], audio_paused: bool
) -> tuple[str, dict[str, Any], str]:
    """(action kind, params, success message) for a pressed control; raises ActionError."""
    if trigger == "bed-ack":  # a real click on a banner row (assets/bedside.js)
        cond = str((values.get("bed-ack") or {}).get("cond"))
        return "acknowledge", {"condition": cond}, f"{cond} acknowledged"
    if trigger in SIMPLE:
        kind, message = SIMPLE[trigger]
        return kind, {}, message
    if trigger == "pump-set-rate":
        rate = _needs(values.get("pump-rate-input"), "a rate in mg/kg/h")
        return "set_rate", {"rate_mg_per_kg_h": rate}, f"Rate set to {rate:g} mg/kg/h"
    if trigger == "act-antihypertensive":
        dose = _needs(values.get("act-antihypertensive-dose"), "a labetalol dose in mg")
        return (
            "give_antihypertensive",
            {"drug": "labetalol", "dose_mg": dose},
            f"Labetalol {dose:g} mg given",
        )
    if trigger == "act-antiemetic":
        dose = _needs(values.get("act-antiemetic-dose"), "an ondansetron dose in mg")
        return (
            "give_antiemetic",
            {"drug": "ondansetron", "dose_mg": dose},
            f"Ondansetron {dose:g} mg given",
        )
    if trigger == "act-oxygen-on":
        flow = _needs(values.get("act-oxygen-flow"), "an oxygen flow in L/min")
        return "oxygen_on", {"flow_l_min": flow}, f"Oxygen on at {flow:g} L/min"
    if trigger == "alarm-pause-audio":
        if audio_paused:
            return "resume_audio", {}, "Alarm audio resumed"
        return "pause_audio", {}, "Alarm audio paused"
    if trigger == "chart-submit":
        kind = values.get("chart-kind") or "note"
        text = (values.get("chart-text") or "").strip() or None
        raw = values.get("chart-value")
        value = None if raw in (None, "") else _needs(raw, "a score")
        if kind == "note" and text is None:
            raise ActionError("bad_params", "Write the note first.")
        if kind != "note" and value is None:
            raise ActionError("bad_params", "Enter a score from 0 to 10 first.")
        return "chart", {"kind": kind, "value": value, "text": text}, f"Charted {kind}"
    raise ActionError("unknown_control", f"unknown control {trigger!r}")


def perform(rt: Runtime, bed_id: str, trigger: Any, values: dict[str, Any]) -> Outcome:
    """Submit the action a control stands for; the outcome in words."""
    try:
        view = rt.view(bed_id)
        paused = bool(view is not None and view.signals is not None and view.signals.audio_paused)
        kind, params, message = request(trigger, values, paused)
        rt.submit(Command(kind, bed_id, params, "trainee"))
    except ActionError as exc:
        return Outcome(False, exc.message)
    return Outcome(True, message)


def cleared(trigger: Any, outcome: Outcome) -> dict[str, dict[str, Any]]:
    """Component id -> properties to set after ``outcome`` of the control ``trigger``."""
    return CLEARED.get(str(trigger), {}) if outcome.ok else {}
