"""Bedside buttons to runtime actions: every one goes through ``Runtime.submit`` as the
trainee, and a rejection comes back as a sentence for a toast, never a traceback.

The inputs carry no min/max of their own (a browser would turn an out-of-range number
into "no value"): the runtime validates, and its message says what the range is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vitalsdash import channels
from vitalsdash.actions import ActionError
from vitalsdash.runtime import Runtime
from vitalsdash.ui import dose_words
from vitalsdash.ui._who import command

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
    "alarm-ack-all": ("acknowledge_all", "All alarms acknowledged"),
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


def _ack_row(clicked: Any, labels: Mapping[str, str]) -> tuple[str, dict[str, Any], str]:
    """A banner row's Acknowledge: a parameter's row acknowledges all its alarms in one
    action (by channel), a technical condition's row that condition."""
    clicked = clicked if isinstance(clicked, dict) else {}
    cond, group = str(clicked.get("cond")), str(clicked.get("group") or clicked.get("cond"))
    if group != cond and channels.is_known(group):
        word = channels.get(group).alarm_word
        return "acknowledge", {"channel": group}, f"{word} alarms acknowledged"
    return "acknowledge", {"condition": cond}, f"{labels.get(cond, cond)} acknowledged"


def request(
    trigger: Any, values: dict[str, Any], audio_paused: bool,
    labels: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Any], str]:  # fmt: skip
    """(action kind, params, success message) for a pressed control; raises ActionError.
    ``labels``: the bed's condition names in words (``BedView.alarm_labels``)."""
    if trigger == "bed-ack":  # a real click on a banner row (assets/bedside.js)
        return _ack_row(values.get("bed-ack"), labels or {})
    if trigger in SIMPLE:
        kind, message = SIMPLE[trigger]
        return kind, {}, message
    if trigger in ("start-go", "start-confirm"):  # the start button (confirmed if caution)
        return "start_infusion", {}, "Infusion started"
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
        labels = view.alarm_labels if view is not None else {}
        kind, params, message = request(trigger, values, paused, labels)
        done = rt.submit(command(kind, bed_id, params, "trainee"))
    except ActionError as exc:
        return Outcome(False, _refusal(exc))
    # the runtime's own sentence when it has one: what the pump did ("still paused")
    message = str(done.get("message") or message)
    nasal = view is not None and view.dose is not None and view.dose.route == "intranasal"
    if kind == "start_infusion":
        message = NASAL_STARTED if nasal else message
        if done.get("check") == "caution":
            message += " with caution: " + "; ".join(done.get("reasons") or [])
    return Outcome(True, message)


NASAL_STARTED = f"{dose_words.started('intranasal')}: first nasal spray device given"


def _refusal(exc: ActionError) -> str:
    """A refusal in the nurse's words; a blocked start lists what blocked it."""
    reasons = exc.details.get("reasons") if exc.code == "pre_infusion_check_failed" else None
    if not reasons:
        return exc.words
    items = exc.details.get("items") or []
    blocked = [text for _, status, text in items if status == "blocked"] or reasons
    return "Not started. The pre-infusion check says: " + "; ".join(blocked)


def cleared(trigger: Any, outcome: Outcome) -> dict[str, dict[str, Any]]:
    """Component id -> properties to set after ``outcome`` of the control ``trigger``."""
    return CLEARED.get(str(trigger), {}) if outcome.ok else {}
