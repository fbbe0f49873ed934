"""From effect-site ketamine to changes in vital signs.

The pressor response is a saturating (Emax) function of Ce net of a slow
counter-regulation (baroreflex resetting, est.) that follows Ce with a lag. Emax bounds
every patient's rise to a fraction of their own baseline (at most +40% systolic,
+44% heart rate: Långsjö 2005 at anaesthetic concentrations), so no dose gives an
unbounded rise. How strongly and how quickly each patient counter-regulates spreads
the individual peak times over the infusion and brings pressure back within the
observation (Riva-Posse 2018, Szarmach 2020).
All functions take arrays shaped (patients, seconds) and per-patient arrays shaped (N,).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.signal import lfilter

PRESSOR_EC50_NG_ML = 250.0  # net drive for half the maximal rise, median patient (est.)
PRESSOR_DELAY_TAU_S = 10 * 60.0  # the sympathetic response lags Ce by minutes (est.)
PRESSOR_HILL = 1.0
SBP_EMAX_CEILING = 0.40  # largest SBP rise, as a fraction of baseline (Långsjö 2005)
DBP_EMAX_CEILING = 0.40  # largest DBP rise, as a fraction of baseline (est.)
HR_EMAX_CEILING = 0.44  # largest HR rise, as a fraction of baseline (Långsjö 2005)


class PressorResponse(NamedTuple):
    """One patient's haemodynamic sensitivity to ketamine, each (N,)."""

    sbp_emax_mmhg: np.ndarray  # largest SBP rise at saturating Ce
    dbp_ratio: np.ndarray  # DBP rise as a fraction of the SBP rise
    hr_emax_bpm: np.ndarray  # largest HR rise
    ec50_ng_ml: np.ndarray  # net Ce giving half of it
    counter_fraction: np.ndarray  # share of the drive the baroreflex takes back
    counter_tau_s: np.ndarray  # how slowly it follows Ce


def first_order_lag(
    x: np.ndarray, state0: np.ndarray, tau_s: np.ndarray | float, dt_s: float = 1.0
) -> np.ndarray:
    """First-order lag of each row of ``x`` (N, T) from ``state0`` (N,), rows grouped by tau."""
    out = np.empty_like(x, dtype=float)
    alphas = 1.0 - np.exp(-dt_s / np.broadcast_to(np.asarray(tau_s, dtype=float), state0.shape))
    for alpha in np.unique(alphas):
        rows = alphas == alpha
        zi = ((1.0 - alpha) * state0[rows])[:, None]
        out[rows], _ = lfilter([alpha], [1.0, -(1.0 - alpha)], x[rows], axis=1, zi=zi)
    return out


def pressor_drive(
    ce_ng_ml: np.ndarray, state0: np.ndarray, r: PressorResponse, dt_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """The delayed Ce the pressor response sees and the lagged copy the baroreflex acts on,
    each (N, T), from their values one step before the first sample, ``state0`` (N, 2);
    their last columns carry to the next stretch.
    """
    site = first_order_lag(ce_ng_ml, state0[:, 0], np.asarray(PRESSOR_DELAY_TAU_S), dt_s)
    return site, first_order_lag(site, state0[:, 1], r.counter_tau_s, dt_s)


def net_ce(site_ng_ml: np.ndarray, lagged_ng_ml: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """The drive net of counter-regulation, never below zero: what raises BP and HR."""
    return np.maximum(site_ng_ml - fraction[:, None] * lagged_ng_ml, 0.0)


def occupancy(net_ng_ml: np.ndarray, ec50_ng_ml: np.ndarray) -> np.ndarray:
    """The fraction of the maximal response (0..1) at a net Ce: sigmoid Emax."""
    x = (net_ng_ml / ec50_ng_ml[:, None]) ** PRESSOR_HILL
    return x / (1.0 + x)


def haemodynamic_rise(
    site_ng_ml: np.ndarray, lagged_ng_ml: np.ndarray, r: PressorResponse
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rise in SBP, DBP (mmHg) and HR (bpm) for each patient and second."""
    occ = occupancy(net_ce(site_ng_ml, lagged_ng_ml, r.counter_fraction), r.ec50_ng_ml)
    dsbp = r.sbp_emax_mmhg[:, None] * occ
    return dsbp, r.dbp_ratio[:, None] * dsbp, r.hr_emax_bpm[:, None] * occ


def respiratory_rise(ce_ng_ml: np.ndarray, rr_slope: np.ndarray) -> np.ndarray:
    """Ventilation rises slightly at these doses (0-2 /min); depression needs co-sedatives."""
    return rr_slope[:, None] * ce_ng_ml


def score_0_10(ce_ng_ml: np.ndarray, ec50_ng_ml: np.ndarray) -> np.ndarray:
    """A felt effect as a 0-10 score of Ce: sigmoid Emax, Hill coefficient 2."""
    c = np.maximum(ce_ng_ml, 0.0)
    c = c * c
    e = np.asarray(ec50_ng_ml)[:, None]
    return 10.0 * c / (c + e * e)


def dissociation_score(ce_ng_ml: np.ndarray, ec50_ng_ml: np.ndarray) -> np.ndarray:
    """0-10 score following Ce; fades within about 2 h of the infusion."""
    return score_0_10(ce_ng_ml, ec50_ng_ml)
