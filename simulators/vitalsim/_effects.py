"""Scripted events and trainee interventions as closed-form functions of time.

Each effect is evaluated for any stretch of seconds from the lists of events and
interventions alone, so the live and batch engines agree however they cut time. Events
that ketamine provokes scale with Ce relative to its value when they began: pausing the
pump then eases them through the model, not by a scripted jump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

COUPLED_EVENTS = {"hypertensive_surge", "tachycardia", "desaturation", "emergence_anxiety"}
COUPLING_MIN_CE = 20.0  # ng/mL: below this an event is not ketamine-driven
COUPLING_MAX = 1.5

WHITE_COAT_TAU_S = 8 * 60.0  # white-coat anxiety settles over the baseline (est.)
REASSURE_FLOOR = 0.4  # reassurance takes anxiety down to 40% ...
REASSURE_TAU_S = 90.0  # ... over about a minute and a half (est.)
REPOSITION_TAU_S = 45.0  # legs up / stimulation ends a vasovagal episode (est.)
# Antihypertensive bolus (labetalol-like): onset over minutes, lasts hours (est.).
AH_ONSET_TAU_S = 3 * 60.0
AH_ELIM_TAU_S = 180 * 60.0
AH_SBP_PER_MG, AH_DBP_PER_MG, AH_HR_PER_MG = 0.9, 0.5, 0.3
ANTIEMETIC_MAX_RELIEF, ANTIEMETIC_TAU_S = 0.8, 300.0
# Anxiety (0..1 and beyond) to vitals (est.).
ANXIETY_HR, ANXIETY_SBP, ANXIETY_DBP, ANXIETY_RR = 15.0, 14.0, 8.0, 4.0


@dataclass(frozen=True)
class Intervention:
    """A trainee or instructor action the patient responds to, at ``t_s``."""

    t_s: float
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    actor: str = "trainee"


@dataclass
class Offsets:
    """Changes from the resting baselines, each (N, T)."""

    sbp: np.ndarray
    dbp: np.ndarray
    hr: np.ndarray
    rr: np.ndarray
    spo2_drop: np.ndarray
    anxiety: np.ndarray
    nausea: np.ndarray


def _coupling(ce: np.ndarray, ce_ref: np.ndarray | None) -> np.ndarray | float:
    if ce_ref is None:
        return 1.0
    ref = ce_ref[:, None]
    coupled = np.clip(ce / np.maximum(ref, 1e-9), 0.0, COUPLING_MAX)
    return np.where(ref >= COUPLING_MIN_CE, coupled, 1.0)


def _since(t_s: np.ndarray, t0: float) -> np.ndarray:
    return np.maximum(t_s - t0, 0.0)


def _antihypertensive_shape(tau_s: np.ndarray) -> np.ndarray:
    a, b = AH_ONSET_TAU_S, AH_ELIM_TAU_S
    t_peak = np.log(b / a) * a * b / (b - a)
    norm = np.exp(-t_peak / b) - np.exp(-t_peak / a)
    return (np.exp(-tau_s / b) - np.exp(-tau_s / a)) / norm


def offsets(
    t_s: np.ndarray,
    ce: np.ndarray,
    anxiety0: np.ndarray,
    events: list[Any],
    ce_ref: dict[int, np.ndarray],
    interventions: list[Intervention],
) -> Offsets:
    """Every event and intervention effect for seconds ``t_s`` (T,) and Ce (N, T)."""
    n, tn = ce.shape
    zero = np.zeros((n, tn))
    sbp, dbp, hr, rr, drop, nausea = (zero.copy() for _ in range(6))
    anxiety = anxiety0[:, None] * np.exp(-t_s / WHITE_COAT_TAU_S)[None, :]
    relief = np.zeros(tn)
    for iv in interventions:
        if iv.kind == "give_antiemetic":
            relief = np.maximum(
                relief,
                np.where(
                    t_s >= iv.t_s,
                    ANTIEMETIC_MAX_RELIEF * (1 - np.exp(-_since(t_s, iv.t_s) / ANTIEMETIC_TAU_S)),
                    0.0,
                ),
            )
        elif iv.kind == "give_antihypertensive":
            shape = np.where(t_s >= iv.t_s, _antihypertensive_shape(_since(t_s, iv.t_s)), 0.0)
            dose = float(iv.params.get("dose_mg", 0.0))
            sbp -= AH_SBP_PER_MG * dose * shape
            dbp -= AH_DBP_PER_MG * dose * shape
            hr -= AH_HR_PER_MG * dose * shape
    repositions = [iv.t_s for iv in interventions if iv.kind == "reposition"]
    for i, ev in enumerate(events):
        if ev.at_s > t_s[-1] or ev.effect_end_s < t_s[0]:
            continue
        r = ev.level_at(t_s)[None, :]
        if ev.kind in COUPLED_EVENTS:
            r = r * _coupling(ce, ce_ref.get(i))
        k = ev.kind
        if k == "hypertensive_surge":
            sbp += ev.sbp_rise_mmhg * r
            dbp += ev.dbp_rise_mmhg * r
            hr += ev.hr_rise_bpm * r
        elif k == "tachycardia":
            hr += ev.hr_rise_bpm * r
        elif k == "vasovagal":
            for tr in repositions:
                if tr >= ev.at_s:
                    r = r * np.where(t_s >= tr, np.exp(-_since(t_s, tr) / REPOSITION_TAU_S), 1.0)
            hr -= ev.hr_drop_bpm * r
            sbp -= ev.sbp_drop_mmhg * r
            dbp -= ev.dbp_drop_mmhg * r
        elif k == "desaturation":
            drop += ev.spo2_drop_pct * r
            rr -= ev.rr_drop_per_min * r
        elif k == "emergence_anxiety":
            anxiety = anxiety + ev.anxiety * r
        elif k == "nausea":
            nausea += ev.severity * r * (1.0 - relief)[None, :]
    for iv in interventions:
        if iv.kind == "reassure":
            since = _since(t_s, iv.t_s)
            factor = REASSURE_FLOOR + (1 - REASSURE_FLOOR) * np.exp(-since / REASSURE_TAU_S)
            anxiety = anxiety * np.where(t_s >= iv.t_s, factor, 1.0)[None, :]
    sbp += ANXIETY_SBP * anxiety
    dbp += ANXIETY_DBP * anxiety
    hr += ANXIETY_HR * anxiety
    rr += ANXIETY_RR * anxiety
    return Offsets(sbp, dbp, hr, rr, drop, anxiety, nausea)
