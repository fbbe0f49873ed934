"""ECG lead II at 250 Hz: one P-Q-R-S-T template per beat, drawn between the R waves.

The template is a sum of Gaussians, one per wave, as in McSharry et al. 2003 (IEEE Trans
Biomed Eng 50:289) but in time rather than phase angle: the QRS keeps its width, the PR
interval is 0.16 s (shorter above ~100 bpm) and the T wave moves and widens with
Bazett's QT = 0.4 s x sqrt(RR) of the interval before the beat. Each sample is the sum
of the templates of the R wave before it and the R wave after it; both are known when
the sample is drawn, so a chunk cut anywhere draws the same samples.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from vitalsim.waveforms._draws import Traits, motion_seconds, traits
from vitalsim.waveforms._model import ECG_HZ, sample_times

QRS_ONSET_S = 0.045
"""From the start of the Q wave to the R peak."""
PR_S = 0.16
P_SD_S = 0.025
T_FALL_S = 0.045  # the T wave's falling and rising width per sqrt(s) of RR
T_RISE_S = 0.07
MOTION_MV = (0.25, 0.15)  # motion's baseline swing, two rhythms (est.)
MUSCLE_MV = 0.06  # muscle noise SD during motion (est.)


def qt_s(rr_s: float) -> float:
    """Bazett: QT = 0.4 s x sqrt(RR)."""
    return 0.4 * math.sqrt(rr_s)


def pr_s(rr_s: float) -> float:
    """PR 0.16 s, shortening with sqrt(RR) below 0.6 s (above 100 bpm)."""
    return PR_S * min(1.0, math.sqrt(rr_s / 0.6))


def geometry(r_s: float, rr_before_s: float, tr: Traits) -> tuple[float, float, float, float]:
    """A beat's T-wave scale (sqrt(RR)), T-wave centre and P-wave centre (s from R), by
    the R-R interval before it (the T wave ends QT after the QRS onset, the P wave starts
    PR before it); and the baseline wander at its R (mV), drawn straight from R to R."""
    root = math.sqrt(rr_before_s)
    t_centre = qt_s(rr_before_s) - QRS_ONSET_S - 2.5 * T_FALL_S * root
    p_centre = -(pr_s(rr_before_s) + QRS_ONSET_S - 2.0 * P_SD_S)
    (mv0, mv1), (hz0, hz1), (ph0, ph1) = tr.wander_mv, tr.wander_hz, tr.wander_phase
    two_pi = 2.0 * math.pi
    wander = mv0 * math.sin(two_pi * hz0 * r_s + ph0) + mv1 * math.sin(two_pi * hz1 * r_s + ph1)
    return root, t_centre, p_centre, wander


_GRID_S = 0.0005
_QRS_X = np.arange(-0.08, 0.08 + _GRID_S / 2, _GRID_S)
_P_X = np.arange(-4 * P_SD_S, 4 * P_SD_S + _GRID_S / 2, _GRID_S)
_T_U = np.arange(-4 * T_RISE_S, 4 * T_FALL_S + _GRID_S / 2, _GRID_S)
"""The T wave in its own time: u = (x - centre) / sqrt(RR)."""


@lru_cache(maxsize=1024)
def _tables(seed: int, patient: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The patient's QRS (Q, R, S summed), P and T waves, each on its own grid, mV."""
    tr = traits(seed, patient)
    qrs = sum(a * np.exp(-0.5 * ((_QRS_X - mu) / sd) ** 2)
              for a, mu, sd in ((-tr.q_mv, -0.027, 0.009), (tr.r_mv, 0.0, 0.010),
                                (-tr.s_mv, 0.026, 0.010)))  # fmt: skip
    p = tr.p_mv * np.exp(-0.5 * (_P_X / P_SD_S) ** 2)
    t = tr.t_mv * np.exp(-0.5 * (_T_U / np.where(_T_U < 0, T_RISE_S, T_FALL_S)) ** 2)
    return qrs, p, t


def render(
    seed: int,
    patient: int,
    t0_s: int,
    n_s: int,
    beats: np.ndarray,
    quality: np.ndarray,
    tr: Traits,
    flagged: bool,
) -> np.ndarray:
    """ECG II in mV for the seconds [t0_s, t0_s + n_s), float32, NaN where a lead is off.

    A sample after R wave j-1 and before R wave j draws beat j-1's QRS and T wave and
    beat j's P wave and QRS (the T wave is Bazett's for the R-R interval before its beat,
    the PR for the interval before the P's beat)."""
    t = sample_times(t0_s, n_s, ECG_HZ)
    r_s = beats[:, 0]
    qrs, p_wave, t_wave = _tables(seed, patient)
    j = r_s.searchsorted(t, side="right")  # the R wave after each sample
    before, after = beats.take(j - 1, axis=0), beats.take(j, axis=0)  # (n, 11) each
    x_before, x_after = t - before[:, 0], t - after[:, 0]
    y = np.interp(np.concatenate((x_before, x_after)), _QRS_X, qrs, left=0.0, right=0.0)
    y = y[: t.size] + y[t.size :]
    y += np.interp((x_before - before[:, 6]) / before[:, 5], _T_U, t_wave, 0.0, 0.0)
    y += np.interp(x_after - after[:, 7], _P_X, p_wave, left=0.0, right=0.0)
    y += np.interp(t, r_s, beats[:, 8])  # baseline wander (< 0.5 Hz)
    if flagged:  # some second is not ok
        q = quality.repeat(ECG_HZ)
        if (quality == 1).any():
            y += _motion(seed, patient, t0_s, quality, t, tr) * (q == 1)
        y[q == 2] = np.nan
    return y.astype(np.float32)


def _motion(
    seed: int, patient: int, t0_s: int, quality: np.ndarray, t: np.ndarray, tr: Traits
) -> np.ndarray:
    """Motion on the ECG: baseline swings and muscle noise, in the artefact seconds."""
    seconds = t0_s + np.flatnonzero(quality == 1)
    draws = motion_seconds(seed, patient, "ecg", seconds, ECG_HZ)
    noise = np.zeros((quality.size, ECG_HZ))
    # each second of motion its own strength (0.5-1.5 x), its noise per sample
    noise[seconds - t0_s] = (0.5 + draws[:, :1]) * MUSCLE_MV * draws[:, 4:]
    swing = sum(
        mv * np.sin(2.0 * math.pi * hz * t + ph)
        for mv, hz, ph in zip(MOTION_MV, tr.motion_hz, tr.motion_phase, strict=True)
    )
    return swing + noise.ravel()
