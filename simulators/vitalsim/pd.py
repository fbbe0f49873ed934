"""From effect-site ketamine to changes in vital signs.

The haemodynamic rise is linear in Ce with a per-patient slope (clinical.md), minus a
slow counter-regulation (baroreflex resetting, est.) that follows Ce with a lag. Without
it, the rise would peak with Ce at 40-41 min; with it, the population peaks at 30-40 min
as published (Riva-Posse 2018, Szarmach 2020) and returns to baseline within 1.5 h.
All functions take arrays shaped (patients, seconds) and per-patient arrays shaped (N,).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

COUNTER_REGULATION_FRACTION = 0.35  # share of the rise the baroreflex takes back (est.)
COUNTER_REGULATION_TAU_S = 15.0 * 60.0  # how slowly it follows Ce (est.)


def counter_regulation(ce_ng_ml: np.ndarray, state0: np.ndarray, dt_s: float = 1.0) -> np.ndarray:
    """The lagged copy of Ce the baroreflex acts on, (N, T), from its value one step
    before the first sample, ``state0`` (N,); its last column carries to the next stretch.
    """
    alpha = 1.0 - np.exp(-dt_s / COUNTER_REGULATION_TAU_S)
    zi = ((1.0 - alpha) * state0)[:, None]
    lagged, _ = lfilter([alpha], [1.0, -(1.0 - alpha)], ce_ng_ml, axis=1, zi=zi)
    return lagged


def effective_ce(ce_ng_ml: np.ndarray, lagged_ng_ml: np.ndarray) -> np.ndarray:
    """Ce net of counter-regulation: what drives the rise in BP and HR."""
    return ce_ng_ml - COUNTER_REGULATION_FRACTION * lagged_ng_ml


def haemodynamic_rise(
    eff_ce: np.ndarray,
    sbp_slope: np.ndarray,
    dbp_ratio: np.ndarray,
    hr_slope: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rise in SBP, DBP (mmHg) and HR (bpm) for each patient and second."""
    dsbp = sbp_slope[:, None] * eff_ce
    return dsbp, dbp_ratio[:, None] * dsbp, hr_slope[:, None] * eff_ce


def respiratory_rise(ce_ng_ml: np.ndarray, rr_slope: np.ndarray) -> np.ndarray:
    """Ventilation rises slightly at these doses (0-2 /min); depression needs co-sedatives."""
    return rr_slope[:, None] * ce_ng_ml


def dissociation_score(ce_ng_ml: np.ndarray, ec50_ng_ml: np.ndarray) -> np.ndarray:
    """0-10 score following Ce (sigmoid Emax); fades within about 2 h of the infusion."""
    c = np.maximum(ce_ng_ml, 0.0)
    c = c * c  # Hill coefficient 2
    e = np.asarray(ec50_ng_ml)[:, None]
    return 10.0 * c / (c + e * e)
