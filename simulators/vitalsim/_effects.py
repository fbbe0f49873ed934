"""Scripted events and trainee interventions as closed-form functions of time.

Each effect is evaluated for any stretch of seconds from the lists of events and
interventions alone, so the live and batch engines agree however they cut time.

An event plays as its file (or the instructor) writes it: the written amplitude is the
most it does. Events that ketamine provokes (begun with Ce at or above COUPLING_MIN_CE)
ease in proportion as Ce falls below the highest it has been since they began: pausing
the pump eases them through the model, over minutes, not by a scripted jump. A rising
Ce never makes them larger than written.

Drugs (``_drugs``) act as a fraction of what they act on: labetalol takes a share of the
pressure and heart rate off, an antiemetic a share of the nausea; the share is an Emax
of the amount on board, so it saturates however many boluses are given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vitalsim._drugs import DRUG_MODELS, DRUG_TARGETS, on_board

COUPLED_EVENTS = {"hypertensive_surge", "tachycardia", "desaturation", "emergence_anxiety"}
COUPLING_MIN_CE = 20.0  # ng/mL: below this an event is not ketamine-driven
COUPLING_MAX = 1.0  # a falling Ce eases an event; a rising one never amplifies it

WHITE_COAT_TAU_S = 8 * 60.0  # white-coat anxiety settles over the baseline (est.)
REASSURE_FLOOR = 0.4  # reassurance takes anxiety down to 40% ...
REASSURE_TAU_S = 90.0  # ... over about a minute and a half (est.)
REPOSITION_TAU_S = 45.0  # legs up / stimulation ends a vasovagal episode (est.)
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
    """Changes from the resting baselines, each (N, T); the ``*_scale`` factors (1, T)
    multiply the whole value (the drugs' share taken off)."""

    sbp: np.ndarray
    dbp: np.ndarray
    hr: np.ndarray
    rr: np.ndarray
    rr_scripted: np.ndarray
    """The part of ``rr`` scripted events write (a desaturation's RR drop): shown as
    written, it does not change the gases (what breathing does to them is the model's)."""
    spo2_drop: np.ndarray
    anxiety: np.ndarray
    nausea: np.ndarray
    sbp_scale: np.ndarray
    dbp_scale: np.ndarray
    hr_scale: np.ndarray


def ce_coupling(
    events: list[Any], t_s: np.ndarray, ce: np.ndarray, carried: dict[int, np.ndarray]
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """How much of each ketamine-provoked event plays in seconds ``t_s``: Ce over the
    highest Ce since the event began, (N, T), at most 1; 1 throughout for an event that
    began below COUPLING_MIN_CE (not ketamine-driven). Also what carries to the next
    stretch: per event, its Ce at the start and the highest since, (2, N), so any cut
    of time gives the same numbers."""
    factors: dict[int, np.ndarray] = {}
    state = dict(carried)
    if t_s.size == 0:
        return factors, state
    t0, n_t = int(t_s[0]), t_s.size
    for i, ev in enumerate(events):
        if ev.kind not in COUPLED_EVENTS or ev.effect_end_s < t0:
            continue  # (an event over keeps what it carried; nothing reads it again)
        if i in carried:
            start, peak0 = carried[i]
            peak = np.maximum(peak0[:, None], np.maximum.accumulate(ce, axis=1))
        elif t0 <= ev.at_s < t0 + n_t:
            k = int(ev.at_s) - t0
            start = ce[:, k].copy()
            after = np.arange(n_t)[None, :] >= k
            peak = np.maximum.accumulate(np.where(after, ce, start[:, None]), axis=1)
        else:
            continue
        state[i] = np.stack([start, peak[:, -1]])
        eased = np.clip(ce / np.maximum(peak, 1e-9), 0.0, COUPLING_MAX)
        factors[i] = np.where(start[:, None] >= COUPLING_MIN_CE, eased, 1.0)
    return factors, state


def _since(t_s: np.ndarray, t0: float) -> np.ndarray:
    return np.maximum(t_s - t0, 0.0)


def _drug_on_board(t_s: np.ndarray, interventions: list[Intervention], drug: str) -> np.ndarray:
    doses = [(iv.t_s, float(iv.params.get("dose_mg", 0.0)))
             for iv in interventions if iv.params.get("drug") == drug]  # fmt: skip
    return on_board(t_s, doses, drug)


def drug_scales(t_s: np.ndarray, interventions: list[Intervention]) -> dict[str, np.ndarray]:
    """What the drugs given leave of each target (sbp, dbp, hr, nausea), each (1, T):
    each drug's share off, drug after drug."""
    scale = {k: np.ones((1, t_s.size)) for k in DRUG_TARGETS}
    for drug, model in DRUG_MODELS.items():
        amount = _drug_on_board(t_s, interventions, drug)
        if amount.any():
            for target in model.emax:
                scale[target] = scale[target] * (1.0 - model.fraction(target, amount))[None, :]
    return scale


def reassurance_factor(t_s: np.ndarray, interventions: list[Intervention]) -> np.ndarray:
    """What reassurance leaves of anxiety, (T,): each ``reassure`` takes it down to 40%
    within a couple of minutes."""
    factor = np.ones(t_s.size)
    for iv in interventions:
        if iv.kind == "reassure":
            since = _since(t_s, iv.t_s)
            now = REASSURE_FLOOR + (1 - REASSURE_FLOOR) * np.exp(-since / REASSURE_TAU_S)
            factor = factor * np.where(t_s >= iv.t_s, now, 1.0)
    return factor


def offsets(
    t_s: np.ndarray,
    ce: np.ndarray,
    anxiety0: np.ndarray,
    events: list[Any],
    coupling: dict[int, np.ndarray],
    interventions: list[Intervention],
) -> Offsets:
    """Every event and intervention effect for seconds ``t_s`` (T,) and Ce (N, T);
    ``coupling`` is :func:`ce_coupling`'s share of each ketamine-provoked event."""
    n, tn = ce.shape
    zero = np.zeros((n, tn))
    sbp, dbp, hr, rr, drop, nausea = (zero.copy() for _ in range(6))
    rr_scripted = zero.copy()
    anxiety = anxiety0[:, None] * np.exp(-t_s / WHITE_COAT_TAU_S)[None, :]
    scale = drug_scales(t_s, interventions)
    repositions = [iv.t_s for iv in interventions if iv.kind == "reposition"]
    for i, ev in enumerate(events):
        if ev.at_s > t_s[-1] or ev.effect_end_s < t_s[0]:
            continue
        r = ev.level_at(t_s)[None, :]
        if i in coupling:
            r = r * coupling[i]
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
            rr_scripted -= ev.rr_drop_per_min * r
        elif k == "emergence_anxiety":
            anxiety = anxiety + ev.anxiety * r
        elif k == "nausea":
            nausea += ev.severity * r * scale["nausea"]
    anxiety = anxiety * reassurance_factor(t_s, interventions)[None, :]
    sbp += ANXIETY_SBP * anxiety
    dbp += ANXIETY_DBP * anxiety
    hr += ANXIETY_HR * anxiety
    rr += ANXIETY_RR * anxiety + rr_scripted
    return Offsets(sbp, dbp, hr, rr, rr_scripted, drop, anxiety, nausea, scale["sbp"],
                   scale["dbp"], scale["hr"])  # fmt: skip
