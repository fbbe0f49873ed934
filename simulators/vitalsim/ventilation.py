"""Breathing under sedation: co-sedatives, ventilatory drive, CO2, oxygen and the body's
answer to bad gases.

Ketamine alone barely depresses breathing at these doses; a benzodiazepine or an opioid
given before or during the session does, and together they do more than either alone.
The chain, per patient and second, vectorised over patients:

1. Co-sedative concentrations: two-compartment PK with an effect site, closed form for IV
   boluses (:func:`co_sedative_course`), so any cut of time gives the same numbers.
2. Ventilatory drive: an Emax of each drug's effect-site concentration, combined with an
   opioid-benzodiazepine interaction (:func:`drive`); opioids slow the rate more than
   they shrink the breath, a benzodiazepine the other way round.
3. Apnoea: when the drive falls below a threshold, pauses start at random seconds
   (keyed draws) with a rate growing with the depth of depression (:func:`apnoea`).
4. CO2: ``dP/dt = (P0/tau)(1 - v P/P0)`` solved exactly for ``v`` constant in each second
   (:func:`paco2_course`); the steady state is ``P0/v``.
5. Oxygen: alveolar gas equation, the patient's A-a gradient, Severinghaus' dissociation
   curve (:func:`saturation_pct`), calibrated so the patient rests at their own SpO2.
6. Chemoreflex: HR and BP rise a little with hypoxaemia and hypercapnia, zero at normal
   gases (:func:`chemoreflex`).

Numbers and sources: docs/simulator.md, "Ventilation, capnography and oxygen".
All arrays are (patients, seconds) unless said; per-patient arrays are (N,).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

__all__ = [
    "CO_SEDATIVES",
    "CoSedativeDose",
    "CoSedativeModel",
    "Drive",
    "apnoea",
    "calibrate_oxygenation",
    "chemoreflex",
    "co_sedative_course",
    "drive",
    "fio2",
    "paco2_course",
    "po2_for_saturation",
    "saturation_pct",
    "severinghaus_pct",
]

# --------------------------------------------------------------------------- co-sedatives


@dataclass(frozen=True)
class CoSedativeModel:
    """A co-sedative's PK (two compartments and an effect site, typical 70 kg adult) and
    its effect on breathing."""

    v1_l: float
    """Central volume at 70 kg (linear in weight)."""
    cl_l_min: float
    """Elimination clearance at 70 kg (allometric, (W/70)^0.75)."""
    t_half_distribution_min: float
    t_half_elimination_min: float
    """The published terminal half-life; with v1 and cl it fixes the peripheral volume
    and the intercompartmental clearance."""
    ke0_per_min: float
    c50_ng_ml: float
    """Effect-site concentration for half of this drug's largest effect on ventilation
    (the median patient)."""
    emax: float
    """The largest share of ventilation the drug alone can take away (1: apnoea)."""
    hill: float
    rate_share: float
    """How the drug's effect divides between breathing rate and tidal volume: the rate
    keeps ``drive ** rate_share`` of itself, the tidal volume ``drive ** (1 - share)``."""
    kind: str
    """"opioid" or "benzodiazepine" (the interaction acts between the two)."""
    dose_unit: str
    """What a scenario writes the dose in: "mg" or "mcg"."""
    dose_range: tuple[float, float]
    """A single IV bolus, in ``dose_unit``: what a scenario may write (est.)."""

    def micro_constants(self) -> tuple[float, float, float]:
        """k10, k12, k21 (/min) of the typical patient from the published hybrid ones."""
        a = math.log(2.0) / self.t_half_distribution_min
        b = math.log(2.0) / self.t_half_elimination_min
        k10 = self.cl_l_min / self.v1_l
        k21 = a * b / k10
        return k10, a + b - k10 - k21, k21

    def volumes_clearances(self) -> tuple[float, float, float, float]:
        """V1, V2 (L), CL, Q (L/min) of the typical 70 kg patient."""
        _, k12, k21 = self.micro_constants()
        v2 = self.v1_l * k12 / k21
        return self.v1_l, v2, self.cl_l_min, k12 * self.v1_l


CO_SEDATIVES: dict[str, CoSedativeModel] = {
    # Midazolam IV: terminal half-life 2.4 h and clearance 283 mL/min (Allonen et al.,
    # Clin Pharmacol Ther 1981;30:653); distribution half-life and V1 est. (Vss comes out
    # 0.75 L/kg: published 0.7-1.1); t1/2 ke0 5.6 min (Buhrer et al. 1990, est.). A
    # benzodiazepine alone takes at most about half of ventilation (est.), mostly volume.
    "midazolam": CoSedativeModel(
        v1_l=10.0, cl_l_min=0.283, t_half_distribution_min=3.0, t_half_elimination_min=144.0,
        ke0_per_min=0.124, c50_ng_ml=150.0, emax=0.4, hill=1.0, rate_share=0.3,
        kind="benzodiazepine", dose_unit="mg", dose_range=(0.5, 10.0),
    ),
    # Fentanyl IV: terminal half-life 219 min (McClain & Hug, Clin Pharmacol Ther
    # 1980;28:106), clearance 0.85 L/min (0.5-1.2 L/min in Mather & Gourlay's review);
    # the fast distribution (plasma at 20% of its peak within 5 min, Schleimer 1978) as
    # one 2-min phase, V1 12.7 L est.; ke0 0.147/min (Scott & Stanski). Its effect-site
    # peak comes 4.5 min after a bolus (published 3.6 min, Shafer & Varvel 1991). An
    # opioid can stop breathing (emax 1) and slows the rate more than the depth.
    "fentanyl": CoSedativeModel(
        v1_l=12.7, cl_l_min=0.85, t_half_distribution_min=2.0, t_half_elimination_min=219.0,
        ke0_per_min=0.147, c50_ng_ml=3.0, emax=1.0, hill=2.0, rate_share=0.8,
        kind="opioid", dose_unit="mcg", dose_range=(10.0, 500.0),
    ),
}  # fmt: skip
"""The co-sedatives the model knows, by name."""

# Ketamine's own share of ventilation (racemic-equivalent Ce): Emax 25%, C50 1000 ng/mL,
# so the 0.5 mg/kg infusion (Ce ~250 ng/mL) takes about 5% off, mostly tidal volume (est.).
KETAMINE_C50_NG_ML, KETAMINE_EMAX = 1000.0, 0.25
SYNERGY = 2.0
"""Opioid-benzodiazepine interaction: a benzodiazepine at its full effect takes a further
``SYNERGY x E_opioid`` share of what the opioid leaves (est.; the pair is strongly
synergistic on breathing: Bailey et al., Anesthesiology 1990;73:826)."""


class CoSedativeDose(NamedTuple):
    """One IV bolus of a co-sedative: when (s from the session start; before 0 it is
    already on board at the start), which drug, how much (mg, whatever the unit written)."""

    t_s: float
    drug: str
    dose_mg: float


def _exp_gap(rate_a: np.ndarray, rate_b: float, t: np.ndarray) -> np.ndarray:
    """``(exp(-a t) - exp(-b t)) / (b - a)``, exact also where ``a`` equals ``b``."""
    gap = rate_b - rate_a
    close = np.abs(gap) < 1e-9
    safe = np.where(close, 1.0, gap)
    out = (np.exp(-rate_a * t) - np.exp(-rate_b * t)) / safe
    return np.where(close, t * np.exp(-rate_a * t), out)


def co_sedative_course(
    model: CoSedativeModel,
    doses_mg: Iterable[tuple[float, float]],
    t_s: np.ndarray,
    weight_kg: np.ndarray,
    cl_scale: np.ndarray,
    v_scale: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Plasma and effect-site concentration (ng/mL, (N, T) each) at seconds ``t_s`` after
    IV boluses ``(t_s, mg)`` (times before the first second count: the drug is on board).

    Volumes scale with weight, clearances with (W/70)^0.75; ``cl_scale`` and ``v_scale``
    are the patient's own multiples (between-subject variability)."""
    n = weight_kg.size
    cp, ce = np.zeros((n, t_s.size)), np.zeros((n, t_s.size))
    doses = [(float(t), float(mg)) for t, mg in doses_mg if mg > 0]
    if not doses or t_s.size == 0:
        return cp, ce
    v1_70, v2_70, cl_70, q_70 = model.volumes_clearances()
    w = weight_kg / 70.0
    v1 = v1_70 * w * v_scale
    v2 = v2_70 * w * v_scale
    cl = cl_70 * w**0.75 * cl_scale
    q = q_70 * w**0.75
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s, p = k10 + k12 + k21, k10 * k21
    root = np.sqrt(s * s / 4.0 - p)
    alpha, beta = (s / 2.0 + root)[:, None], (s / 2.0 - root)[:, None]
    k21 = k21[:, None]
    coef_a = (alpha - k21) / (alpha - beta) / v1[:, None] * 1000.0  # ng/mL per mg
    coef_b = (k21 - beta) / (alpha - beta) / v1[:, None] * 1000.0
    ke0 = model.ke0_per_min
    for at_s, mg in doses:
        since = (t_s - at_s) / 60.0
        on = since >= 0
        if not on.any():
            continue
        m = np.maximum(since, 0.0)[None, :]
        cp += mg * np.where(on, coef_a * np.exp(-alpha * m) + coef_b * np.exp(-beta * m), 0.0)
        site = coef_a * _exp_gap(alpha, ke0, m) + coef_b * _exp_gap(beta, ke0, m)
        ce += mg * np.where(on, ke0 * site, 0.0)
    return cp, ce


# --------------------------------------------------------------------------- drive


class Drive(NamedTuple):
    """What the drugs leave of the resting breathing rate and tidal volume, (N, T) each;
    their product is the ventilatory drive (1 at rest)."""

    rate: np.ndarray
    volume: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.rate * self.volume


def _emax(ce: np.ndarray, c50: np.ndarray, emax: float, hill: float) -> np.ndarray:
    u = np.maximum(ce, 0.0) / c50
    if hill != 1.0:
        u = u**hill
    return emax * u / (1.0 + u)


def drive(
    ce_co_sedatives: dict[str, np.ndarray], ce_ketamine: np.ndarray, sensitivity: np.ndarray
) -> Drive:
    """The ventilatory drive left by the co-sedatives and ketamine (racemic-equivalent Ce).

    Each drug: an Emax of its effect-site concentration over ``c50 / sensitivity``. Drugs
    of a kind add their effects independently (1 - prod(1 - E)); the benzodiazepine
    deepens the opioid's: ``opioid left = (1 - E_op)(1 - SYNERGY E_op e_bz)``, ``e_bz``
    the benzodiazepine's effect as a share of its maximum."""
    sens = sensitivity[:, None]
    shape = ce_ketamine.shape
    rate, volume = np.ones(shape), np.ones(shape)
    e_op, e_bz = np.zeros(shape), np.zeros(shape)
    for name, ce in ce_co_sedatives.items():
        model = CO_SEDATIVES[name]
        e = _emax(ce, model.c50_ng_ml / sens, model.emax, model.hill)
        if model.kind == "opioid":
            e_op = 1.0 - (1.0 - e_op) * (1.0 - e)
        else:
            left = 1.0 - e
            rate *= left**model.rate_share
            volume *= left ** (1.0 - model.rate_share)
            e_bz = 1.0 - (1.0 - e_bz) * (1.0 - e / model.emax)
    if e_op.any():
        opioid_left = np.clip((1.0 - e_op) * (1.0 - SYNERGY * e_op * e_bz), 0.0, 1.0)
        share = CO_SEDATIVES["fentanyl"].rate_share
        rate *= opioid_left**share
        volume *= opioid_left ** (1.0 - share)
    volume *= 1.0 - _emax(ce_ketamine, KETAMINE_C50_NG_ML / sens, KETAMINE_EMAX, 1.0)
    return Drive(rate, volume)


RATE_TO_VENTILATION = 0.5
"""A change of the breathing rate other than the drugs' (anxiety, drift, ketamine's
slight stimulation) changes alveolar ventilation by this share of its relative size: the
breaths get shallower as they quicken (est.)."""

# --------------------------------------------------------------------------- apnoea

APNOEA_BELOW = 0.45
"""Drive below which breathing pauses (est.)."""
APNOEA_FULL = 0.15
"""Drive at which pauses come at their highest rate (est.)."""
APNOEA_MAX_PER_MIN = 2.0
APNOEA_S = (15.0, 45.0)
"""A pause lasts uniformly within this range (est.; sedation practice counts 15-30 s
without a breath as apnoea, clinical.md)."""
APNOEA_REFRACTORY_S = 10.0
"""After a pause the CO2 it built up drives a few breaths: no new pause for this long."""


def apnoea(
    total_drive: np.ndarray,
    t_s: np.ndarray,
    draws: Callable[[str, np.ndarray], np.ndarray],
    until_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds without breaths (bool, (N, T)) and when the last pause ends (N,).

    A pause may start at a second with probability rising from 0 at APNOEA_BELOW to
    APNOEA_MAX_PER_MIN/60 at APNOEA_FULL, decided by keyed normals, ``draws("start",
    rows)`` ((len(rows), T), asked for only for the patients whose drive is that low
    somewhere); its length comes from ``draws("length", rows)``. A pause does not start
    during a pause nor within APNOEA_REFRACTORY_S of one's end; ``until_s`` is when the
    pauses begun before ``t_s`` end. Which candidates start is decided in time order:
    each pass below settles one more candidate at least, and a second's answer depends
    on earlier seconds only, so any cut of time gives the same pauses."""
    start_at = t_s[None, :]
    paused = until_s[:, None] > start_at
    until = until_s.copy()
    depth = np.clip((APNOEA_BELOW - total_drive) / (APNOEA_BELOW - APNOEA_FULL), 0.0, 1.0)
    rows = np.flatnonzero(depth.any(axis=1))
    if rows.size == 0:
        return paused, until
    candidates = ndtr(draws("start", rows)) < depth[rows] * (APNOEA_MAX_PER_MIN / 60.0)
    lo, hi = APNOEA_S
    length = np.round(lo + (hi - lo) * ndtr(draws("length", rows)))
    accepted = candidates
    while True:
        ends = np.where(accepted, start_at + length, -np.inf)
        reach = np.concatenate([until_s[rows, None], ends], axis=1)
        reach = np.maximum.accumulate(reach, axis=1)
        free = reach[:, :-1] + APNOEA_REFRACTORY_S <= start_at  # pauses before this second
        settled = candidates & free
        if np.array_equal(settled, accepted):
            break
        accepted = settled
    paused[rows] = reach[:, 1:] > start_at
    until[rows] = reach[:, -1]
    return paused, until


# --------------------------------------------------------------------------- CO2


def paco2_course(
    ventilation: np.ndarray, p_rest: np.ndarray, tau_s: np.ndarray, p_start: np.ndarray
) -> np.ndarray:
    """PaCO2 (mmHg) at the end of each second, (N, T), from ``p_start`` (N,).

    ``dP/dt = (P0/tau)(1 - v P/P0)`` with ``v`` (alveolar ventilation over its resting
    value) constant within a second: ``P[k+1] = a_k P[k] + b_k`` with ``a = exp(-v/tau)``,
    ``b = P0 (1 - a)/v`` (``P0/tau`` when ``v = 0``: apnoea raises PaCO2 by P0/tau a
    second). Solved at once with cumulative sums: ``P[k] = A_k (P[0] + sum b_j/A_{j+1})``,
    ``A_k = exp(-sum v/tau)``. A stretch is at most a block (600 s): A stays near 1."""
    rate = np.maximum(ventilation, 0.0) / tau_s[:, None]
    log_a = np.cumsum(-rate, axis=1)
    big_a = np.exp(log_a)
    small = rate < 1e-12
    per_v = np.where(small, 1.0, -np.expm1(-rate) / np.where(small, 1.0, rate))
    b = p_rest[:, None] / tau_s[:, None] * per_v
    return big_a * (p_start[:, None] + np.cumsum(b / big_a, axis=1))


# --------------------------------------------------------------------------- oxygen

BAROMETRIC_MMHG, WATER_VAPOUR_MMHG, RESPIRATORY_QUOTIENT = 760.0, 47.0, 0.8
FIO2_ROOM_AIR, FIO2_PER_L_MIN, FIO2_MAX = 0.21, 0.04, 0.6
"""Nasal cannula: about 4% more oxygen per L/min (the usual bedside rule); a face mask at
high flows reaches about 60% (est.)."""
AA_GRADIENT_RANGE_MMHG = (2.0, 40.0)
SATURATION_CALIBRATION_MAX_PCT = 99.5


def fio2(flow_l_min: np.ndarray) -> np.ndarray:
    """Inspired oxygen fraction for a delivered flow (L/min)."""
    return np.minimum(FIO2_ROOM_AIR + FIO2_PER_L_MIN * np.maximum(flow_l_min, 0.0), FIO2_MAX)


def severinghaus_pct(po2_mmhg: np.ndarray) -> np.ndarray:
    """Haemoglobin saturation (%) at a PO2 (Severinghaus, J Appl Physiol 1979;46:599)."""
    p = np.maximum(po2_mmhg, 1e-3)
    return 100.0 / (23400.0 / (p * p * p + 150.0 * p) + 1.0)


def po2_for_saturation(sat_pct: np.ndarray) -> np.ndarray:
    """The PO2 (mmHg) at which :func:`severinghaus_pct` gives ``sat_pct`` (Cardano)."""
    s = np.clip(np.asarray(sat_pct, dtype=float) / 100.0, 1e-6, 1.0 - 1e-9)
    q = -23400.0 * s / (1.0 - s)
    disc = np.sqrt(q * q / 4.0 + 150.0**3 / 27.0)
    return np.cbrt(-q / 2.0 + disc) + np.cbrt(-q / 2.0 - disc)


def alveolar_po2(fio2_frac: np.ndarray, paco2_mmhg: np.ndarray) -> np.ndarray:
    """Alveolar gas equation: ``PAO2 = FiO2 (Pb - PH2O) - PaCO2 / R``."""
    return fio2_frac * (BAROMETRIC_MMHG - WATER_VAPOUR_MMHG) - paco2_mmhg / RESPIRATORY_QUOTIENT


def calibrate_oxygenation(
    spo2_pct: np.ndarray, paco2_rest: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per patient: the A-a gradient (mmHg) and a shift of the dissociation curve (x PO2,
    1 = Severinghaus' standard curve) so that at rest on room air the curve gives the
    patient's own SpO2. The gradient takes what it can within its range; a patient
    saturated beyond what room air allows on the standard curve (young, 98-100%) gets a
    left-shifted curve instead."""
    target = np.minimum(spo2_pct, SATURATION_CALIBRATION_MAX_PCT)
    needed = po2_for_saturation(target)
    pa_o2 = alveolar_po2(FIO2_ROOM_AIR, paco2_rest)
    gradient = np.clip(pa_o2 - needed, *AA_GRADIENT_RANGE_MMHG)
    return gradient, needed / (pa_o2 - gradient)


def saturation_pct(
    paco2_mmhg: np.ndarray, fio2_frac: np.ndarray, gradient: np.ndarray, curve_scale: np.ndarray
) -> np.ndarray:
    """Arterial saturation (%) from PaCO2 and FiO2 through the alveolar gas equation,
    the patient's A-a gradient and their dissociation curve, (N, T)."""
    pa_o2 = np.maximum(alveolar_po2(fio2_frac, paco2_mmhg) - gradient[:, None], 1.0)
    return severinghaus_pct(curve_scale[:, None] * pa_o2)


# --------------------------------------------------------------------------- chemoreflex

HYPOXAEMIA_BELOW_PCT, HYPERCAPNIA_ABOVE_MMHG = 90.0, 50.0
# (slope per % below / per mmHg above, largest rise): est., see docs/simulator.md.
HR_PER_HYPOXAEMIA, HR_PER_HYPERCAPNIA = (1.0, 20.0), (0.5, 15.0)
SBP_PER_HYPOXAEMIA, SBP_PER_HYPERCAPNIA = (0.8, 15.0), (0.7, 25.0)
DBP_PER_SBP = 0.6


def _bounded_rise(x: np.ndarray, slope_cap: tuple[float, float]) -> np.ndarray:
    slope, cap = slope_cap
    return cap * np.tanh(slope * x / cap)


def chemoreflex(
    spo2_pct: np.ndarray, paco2_mmhg: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sympathetic rise in HR (bpm), SBP and DBP (mmHg) with hypoxaemia (SpO2 below 90%)
    and hypercapnia (PaCO2 above 50 mmHg): zero at normal gases, bounded."""
    low = np.maximum(HYPOXAEMIA_BELOW_PCT - spo2_pct, 0.0)
    high = np.maximum(paco2_mmhg - HYPERCAPNIA_ABOVE_MMHG, 0.0)
    dhr = _bounded_rise(low, HR_PER_HYPOXAEMIA) + _bounded_rise(high, HR_PER_HYPERCAPNIA)
    dsbp = _bounded_rise(low, SBP_PER_HYPOXAEMIA) + _bounded_rise(high, SBP_PER_HYPERCAPNIA)
    return dhr, dsbp, DBP_PER_SBP * dsbp
