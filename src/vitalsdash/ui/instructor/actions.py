"""The instructor's buttons as runtime actions, submitted as the instructor.

A rejection comes back as the runtime's message (``ActionError``), never a traceback.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from vitalsdash.actions import ActionError
from vitalsdash.course import DEFAULT_SESSIONS
from vitalsdash.runtime import Runtime
from vitalsdash.ui import dose_words, fmt
from vitalsdash.ui._who import command
from vitalsdash.ui.instructor import course, events
from vitalsdash.ui.instructor.controls import RANDOM_SCENARIO

__all__ = ["perform", "simulation"]

ACTOR = "instructor"
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    patient: int | None = None  # a patient file just created: the chair's list chooses it


def _whole(raw: Any, what: str) -> int | None:
    """A whole number typed in a field (None when empty); ActionError naming ``what``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise ActionError("bad_params", f"{what} must be a whole number.") from None
    if not value.is_integer():
        raise ActionError("bad_params", f"{what} must be a whole number.")
    return int(value)


def _seed(raw: Any) -> int | None:
    return _whole(raw, "The seed")


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def request(action: str, values: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(kind, params, success message) for one of the chair's buttons; raises ActionError.

    ``values``: "scenario", "seed", "kind" and "mags" (the event form's values by key)."""
    if action == "start":
        scenario = values.get("scenario") or None
        if scenario is None:
            raise ActionError("bad_params", "Choose a scenario first.")
        seed = _seed(values.get("seed"))
        msg = f"Session started: {scenario}" + ("" if seed is None else f", seed {seed}")
        return "start_session", {"scenario": scenario, "seed": seed}, msg
    if action == "random":
        seed = new_seed()
        msg = f"Random patient: {RANDOM_SCENARIO}, seed {seed}"
        return "start_session", {"scenario": RANDOM_SCENARIO, "seed": seed}, msg
    if action == "course":
        patient = course.parse_patient(values.get("patient"))
        if patient is None:
            raise ActionError("bad_params", "Choose a patient first.")
        return "start_session", {"patient": patient}, "Session started"
    if action == "newpatient":
        name = values.get("pname")
        if not isinstance(name, str) or not name.strip():
            raise ActionError("bad_params", "Give the patient's name first.")
        scenario = values.get("scenario") or None
        if scenario is None:
            raise ActionError("bad_params", "Choose a scenario first.")
        sessions = _whole(values.get("psessions"), "The number of sessions")
        params = {"name": name, "scenario": scenario, "seed": _seed(values.get("seed")),
                  "sessions": DEFAULT_SESSIONS if sessions is None else sessions}  # fmt: skip
        return "create_patient", params, "Patient file created"
    if action == "end":
        return "end_session", {}, "Session ended"
    if action == "resume":
        return "resume_session", {}, "Session resumed"
    if action == "close":
        return "close_session", {}, "Session closed"
    if action == "startinf":  # an override needs its reason (the runtime checks it)
        reason = values.get("override")
        reason = reason if isinstance(reason, str) and reason.strip() else None
        return ("start_infusion", {"override_reason": reason},
                "Infusion started despite the check" if reason else "Infusion started")  # fmt: skip
    if action == "inject":
        kind, params = events.params(values.get("kind"), values.get("mags") or {})
        return "inject_event", {"kind": kind, "params": params}, events.describe(kind, params)
    raise ActionError("unknown_control", f"unknown control {action!r}")


def perform(rt: Runtime, bed_id: str, action: str, values: dict[str, Any]) -> Outcome:
    try:
        kind, params, message = request(action, values)
        done = rt.submit(command(kind, bed_id, params, ACTOR))
    except ActionError as exc:
        return Outcome(False, exc.words)
    view = rt.view(bed_id) if action == "startinf" else None
    if view is not None:  # a nasal spray's dose is started, not an infusion
        lead = dose_words.started(getattr(view.dose, "route", None))
        message = message.replace("Infusion started", lead, 1)
    if action == "inject":
        message = f"Injected at {fmt.clock(done['t_s'])}: {message}"
    if action == "course":
        message = course.started_words(rt.store, done["session_id"])
    if action == "newpatient":
        return Outcome(True, f"{message}: {done['name']} ({done['scenario']}, seed "
                       f"{done['seed']}, {done['sessions_planned']} sessions)",
                       patient=done["patient_id"])  # fmt: skip
    return Outcome(True, message)


def simulation(rt: Runtime, control: Any) -> Outcome:
    """Speed (an int x1..x120) or "pause" (pause or resume, whichever applies)."""
    try:
        if control == "pause":
            kind = "resume_simulation" if rt.views(beds=False).paused else "pause_simulation"
            rt.submit(command(kind, None, {}, ACTOR))
            return Outcome(True, "Simulation resumed" if kind == "resume_simulation" else "Paused")
        done = rt.submit(command("set_speed", None, {"speed": control}, ACTOR))
        return Outcome(True, f"Speed x{done['speed']:g}")
    except ActionError as exc:
        return Outcome(False, exc.words)
