"""Pleth at 125 Hz: one finger pulse per R wave, after the pulse transit time.

A pulse rises fast (systolic upstroke), falls to the dicrotic notch, swells a little
(the reflected wave) and runs off slowly towards the next foot. Its shape is one table
at 75 bpm, stretched with sqrt(RR) and tapered to end before the next pulse's foot; its
height follows pulse pressure. Each sample belongs to the last pulse whose foot is
behind it; a pulse is known from its R wave on, before its foot.
"""

from __future__ import annotations

import math

import numpy as np

from vitalsim.waveforms._draws import motion_seconds
from vitalsim.waveforms._model import PLETH_HZ, sample_times

REF_RR_S = 0.8
RISE_S = 0.10  # foot to peak at REF_RR_S; the transit time is to its middle
BASELINE = 0.08
TAPER_FROM, TAPER_TO = 0.70, 0.95
_GRID_S = 0.001


def _shape(x: np.ndarray) -> np.ndarray:
    """The pulse at 75 bpm, 1 at its peak, from its foot (x in s)."""
    rise = 0.5 * (1.0 - np.cos(np.pi * np.clip(x / RISE_S, 0.0, 1.0)))
    u = np.maximum(x - RISE_S, 0.0)
    smooth_u = np.sqrt(u * u + 0.04**2) - 0.04  # flat at the peak, then linear
    fall = (0.55 * np.exp(-0.5 * (u / 0.09) ** 2) + 0.45 * np.exp(-smooth_u / 0.30)
            - 0.10 * np.exp(-0.5 * ((u - 0.20) / 0.035) ** 2)
            + 0.08 * np.exp(-0.5 * ((u - 0.27) / 0.04) ** 2))  # fmt: skip
    return np.where(x < RISE_S, rise, fall)


_X = np.arange(0.0, 2.0, _GRID_S)
_TABLE = _shape(_X)
_TAPER_V = np.linspace(TAPER_FROM, TAPER_TO, 33)
_TAPER = 0.5 + 0.5 * np.cos(np.pi * np.linspace(0.0, 1.0, 33))
"""The pulse ends before the next foot: full to 70% of its R-R interval, then a cosine
taper to nothing at 95%."""


def geometry(r_s: float, transit_s: float, rr_after_s: float) -> tuple[float, float]:
    """A pulse's foot (s) and its stretch from the 75-bpm shape (sqrt(RR / 0.8 s)): the
    transit time runs from the R wave to the middle of the upstroke."""
    stretch = math.sqrt(rr_after_s / REF_RR_S)
    return r_s + transit_s - 0.5 * RISE_S * stretch, stretch


def render(
    seed: int,
    patient: int,
    t0_s: int,
    n_s: int,
    beats: np.ndarray,
    quality: np.ndarray,
    flagged: bool,
) -> np.ndarray:
    """Pleth 0..1 for the seconds [t0_s, t0_s + n_s), float32, NaN where the probe is off."""
    t = sample_times(t0_s, n_s, PLETH_HZ)
    done = beats[:-1]  # the last beat's pulse is not known yet (nor needed: it is later)
    j = done[:, 9].searchsorted(t, side="right") - 1  # the last foot behind each sample
    pulse = done.take(j, axis=0)
    tau = t - pulse[:, 9]
    y = np.interp(tau / pulse[:, 10], _X, _TABLE, right=0.0)
    y *= np.interp(tau / pulse[:, 2], _TAPER_V, _TAPER)
    amp = pulse[:, 4]
    y = BASELINE + amp * y
    if j[0] < 0:  # before the first pulse known
        y[j < 0] = BASELINE
    if flagged:  # some second is not ok
        q = quality.repeat(PLETH_HZ)
        if (quality == 1).any():
            y = np.where(q == 1, _motion(seed, patient, t0_s, quality, t, y), y)
        y[q == 2] = np.nan
    return y.astype(np.float32)


def _motion(
    seed: int, patient: int, t0_s: int, quality: np.ndarray, t: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Motion on the pleth: the pulse shrinks and a slow jerky swing takes over."""
    seconds = t0_s + np.flatnonzero(quality == 1)
    d = motion_seconds(seed, patient, "pleth", seconds, PLETH_HZ)
    per_s = np.zeros((quality.size, 4))
    per_s[seconds - t0_s] = d[:, :4]
    noise = np.zeros((quality.size, PLETH_HZ))
    noise[seconds - t0_s] = d[:, 4:]
    u = np.repeat(per_s, PLETH_HZ, axis=0)
    amp = 0.10 + 0.25 * u[:, 0]
    hz = 0.5 + 2.0 * u[:, 1]
    swing = amp * np.sin(2.0 * math.pi * (hz * (t - np.floor(t)) + u[:, 2]))
    out = 0.5 * y + 0.25 + swing + 0.15 * (u[:, 3] - 0.5) + 0.01 * noise.ravel()
    return np.clip(out, 0.0, 1.0)
