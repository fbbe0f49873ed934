"""Capnogram at 25 Hz, breath by breath, drawn causally.

At each breath's start (the end of expiration) the CO2 falls to zero (phase 0) and stays
there while the patient breathes in (phase I: a third of the breath period expected from
the RR, at most 2 s); then it rises steeply (phase II, 0.25 s) to the alveolar plateau
(phase III), which climbs slowly towards the EtCO2 of the moment and is within a fraction
of a mmHg of it by the time the next breath is expected. Nothing needs the next breath's
time: if none comes, the plateau washes out to zero after twice the expected expiration,
so an apnoea draws a flat line near zero.
"""

from __future__ import annotations

import numpy as np

from vitalsim.waveforms._model import CO2_HZ, sample_times

INSPIRATION_MAX_S = 2.0
UPSTROKE_S = 0.25
DOWNSTROKE_S = 0.2
PLATEAU_RISE = 0.07
"""How far below the EtCO2 the plateau starts (fraction): its slope (est.)."""
WASHOUT_S = 1.2


_V = np.linspace(0.0, 1.0, 65)
_SMOOTH = _V * _V * (3.0 - 2.0 * _V)
"""A smooth step from 0 to 1 (the up- and downstrokes), read with np.interp."""
_DOWN_S = _V * DOWNSTROKE_S
_BACK = np.array([[1], [2]])


def shape(period_s: float) -> tuple[float, float, float, float, float]:
    """A breath's phases by the period expected at its start, as the renderer reads them:
    the upstroke's scale and offset (its progress is tau x scale + offset), the plateau's
    start (s) and climb rate (1/s), and the washout's start (s)."""
    insp = min(period_s / 3.0, INSPIRATION_MAX_S)
    up = min(UPSTROKE_S, 0.1 * period_s)
    climb = 3.0 / max(period_s - insp - up, 0.5)
    return 1.0 / up, -insp / up, insp + up, climb, insp + 2.0 * (period_s - insp)


def render(t0_s: int, n_s: int, breaths: np.ndarray, etco2: np.ndarray) -> np.ndarray:
    """CO2 in mmHg for the seconds [t0_s, t0_s + n_s), float32. ``breaths``: rows of
    start (s), period (s) and :func:`shape`, the two carried over first.

    Each sample draws the expiration of its breath and, through the downstroke at its
    breath's start, that of the breath before."""
    t = sample_times(t0_s, n_s, CO2_HZ)
    i = breaths[:, 0].searchsorted(t, side="right")  # the breath after each sample
    b = breaths.take(i - _BACK, axis=0)  # (2, n, 7): its breath and the one before
    tau = t - b[..., 0]
    w = np.interp(tau * b[..., 2] + b[..., 3], _V, _SMOOTH)  # phases I and II
    w *= 1.0 - PLATEAU_RISE * np.exp(np.minimum((b[..., 4] - tau) * b[..., 5], 0.0))
    late = tau - b[..., 6]
    if (late > 0.0).any():  # no breath for twice the expected expiration: washout
        w *= np.exp(-np.maximum(late, 0.0) / WASHOUT_S)
    down = np.interp(tau[0], _DOWN_S, _SMOOTH[::-1])
    return (etco2.repeat(CO2_HZ) * (w[0] + w[1] * down)).astype(np.float32)
