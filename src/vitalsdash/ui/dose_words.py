"""The dose in the nurse's words: what is prescribed, and where a nasal dose has got to.

One place for the wording the pump card, the pre-infusion card, the central tile and the
instructor's console share: "Ketamine 0.5 mg/kg × 61.2 kg ideal body weight = 30.6 mg
over 40 min", "Esketamine 56 mg nasal spray: 2 devices of 28 mg, 5 min apart",
"Device 1 of 2 given · next at 0:15:00".
"""

from __future__ import annotations

from typing import Any

from vitalsdash.ui import fmt

__all__ = [
    "device_lines",
    "is_nasal",
    "order_line",
    "phase_name",
    "pump_title",
    "start_label",
    "stop_label",
]

DRUG_NAMES = {"ketamine": "Ketamine", "esketamine": "Esketamine"}
BASIS_WORDS = {"actual": "actual", "ideal": "ideal", "adjusted": "adjusted"}


def is_nasal(dose: Any) -> bool:
    """Whether a DoseView (or PumpView) is a nasal spray rather than an infusion."""
    return getattr(dose, "route", "iv") == "intranasal"


def started(route: str | None) -> str:
    """How a start reads: an infusion is started; a nasal spray's dose is."""
    return "Dose started" if route == "intranasal" else "Infusion started"


def _drug(dose: Any) -> str:
    return DRUG_NAMES.get(getattr(dose, "drug", "ketamine"), "Ketamine")


def _minutes(minutes: float) -> str:
    """ "40 min", "4 h", "1 h 30 min"."""
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest} min"


def order_line(dose: Any, *, short: bool = False) -> str:
    """The prescription with the weight it is per, or the nasal spray's devices; empty
    when there is no prescription (a recording, a device).

    In full (the start card, the instructor): "Ketamine 0.5 mg/kg × 61.2 kg ideal body
    weight = 30.6 mg over 40 min"; an hourly rate as one ("Ketamine 0.5 mg/kg/h × 87.0 kg
    adjusted body weight = 43.5 mg/h for 4 h"). ``short`` (the pump card, whose header
    names the drug): "0.5 mg/kg × 61.2 kg ideal weight = 30.6 mg"."""
    if dose is None:
        return ""
    drug = "" if short else f"{_drug(dose)} "
    if is_nasal(dose):
        devices = f"{dose.devices} device{'s' if dose.devices != 1 else ''}"
        spray = "" if short else " nasal spray"
        return (f"{drug}{dose.total_mg:g} mg{spray}: {devices} of {dose.device_mg:g} mg, "
                f"{dose.device_interval_min:g} min apart")  # fmt: skip
    basis = BASIS_WORDS.get(dose.dose_weight, dose.dose_weight)
    kg = f"{dose.dosing_weight_kg:.1f} kg {basis} {'weight' if short else 'body weight'}"
    if getattr(dose, "form", "dose") == "rate":
        per_h = dose.rate_mg_per_kg_h * dose.dosing_weight_kg
        line = f"{drug}{dose.rate_mg_per_kg_h:g} mg/kg/h × {kg} = {per_h:.1f} mg/h"
        return line if short else f"{line} for {_minutes(dose.over_min or 0.0)}"
    line = f"{drug}{dose.dose_mg_per_kg:g} mg/kg × {kg} = {dose.total_mg:.1f} mg"
    return line if short or not dose.over_min else f"{line} over {_minutes(dose.over_min)}"


def pump_title(dose: Any) -> str:
    """The pump card's header: "Ketamine pump", "Esketamine nasal spray"."""
    if dose is None:
        return "Ketamine pump"
    return f"{_drug(dose)} nasal spray" if is_nasal(dose) else f"{_drug(dose)} pump"


def start_label(dose: Any) -> str:
    """The start button: an infusion is started, a nasal dose is given."""
    return "Give dose" if is_nasal(dose) else "Start infusion"


def stop_label(dose: Any) -> str:
    return "Stop: no more devices" if is_nasal(dose) else "Stop infusion"


def phase_name(phase: str | None, dose: Any = None) -> str:
    """The phase as the nurse names it: a nasal dose is "Dosing", not "Infusion"."""
    if phase == "infusion" and is_nasal(dose):
        return "Dosing"
    return fmt.phase(phase)


def device_lines(pump: Any) -> tuple[str, str]:
    """A nasal dose's two lines: where it has got to, and what comes next or was given.

    ("Device 1 of 2 given", "Next device at 0:15:00"), ("All 2 devices given", "56 mg"),
    ("Stopped after device 1 of 2", "28 mg given")."""
    n, given = int(pump.devices), int(pump.devices_given)
    mg = f"{given * pump.device_mg:g} mg given"
    if pump.state == "not_started":
        return fmt.DASH, "0 mg given"
    if pump.state == "stopped":
        return f"Stopped after device {given} of {n}", mg
    if pump.state == "finished":
        return f"All {n} devices given" if n > 1 else "Device given", mg
    now = f"Device {given} of {n} given" if given else f"Giving device 1 of {n}"
    nxt = pump.next_device_s
    return now, (f"Next device at {fmt.clock(nxt)}" if nxt is not None else mg)
