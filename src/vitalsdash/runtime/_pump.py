"""What a pump action did, in the reply: the pump's state after it and a sentence that says
so, as a real pump's display would ("Rate set to 0.4 mg/kg/h; the pump is still paused -
resume to deliver"). The bedside shows the sentence; the API returns both."""

from __future__ import annotations

from typing import Any

from vitalsdash.runtime import _views

PUMP_KINDS = frozenset({"pause_pump", "resume_pump", "set_rate", "stop_infusion"})


def _after(seconds: float) -> str:
    """A delay as the nurse says it: "2 min", "90 s"."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def message(kind: str, pump: _views.PumpView, reminder_after_s: float) -> str:
    """The sentence for a pump action that was done, from the pump's state after it."""
    if pump.route == "intranasal":  # only stopping is possible: no more devices
        given = pump.devices_given
        return (f"Dosing stopped: no more devices ({given} of {pump.devices} given, "
                f"{given * pump.device_mg:g} mg)")  # fmt: skip
    rate = f"{pump.rate_mg_per_kg_h:g} mg/kg/h"
    if kind == "pause_pump":
        return (f"Pump paused: nothing is given until you resume it (reminder after "
                f"{_after(reminder_after_s)})")  # fmt: skip
    if kind == "resume_pump":
        return f"Pump resumed at {rate}"
    if kind == "set_rate":
        if pump.state == "paused":
            return f"Rate set to {rate}; the pump is still paused — resume to deliver"
        return f"Rate set to {rate}"
    return f"Infusion stopped; {pump.dose_given_mg_per_kg:.2f} mg/kg given"


def reply(kind: str, session: Any) -> dict[str, Any]:
    """``pump`` and ``message`` for the reply to a pump action done on a bed's session
    (nothing for other kinds)."""
    if kind not in PUMP_KINDS:
        return {}
    pump = _views.pump_view(session.source.pump())
    if pump is None:
        return {}
    after = session.engine.profile.pump_paused_after_s
    return {"pump": _views.pump_summary(pump), "message": message(kind, pump, after)}
