"""The waves' random numbers: per patient once, per block of beats, per 10 s of motion.

Every draw goes through ``vitalsim._rng.generator`` keyed by what it is for and by the
beat or the block, never by draw order, so a chunk cut anywhere draws the same numbers.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from vitalsim._rng import generator

JITTER_BLOCK = 256
"""Beats per block of beat-to-beat jitter draws."""
MOTION_BLOCK_S = 10
"""Seconds per block of motion-artefact draws."""


class Traits(NamedTuple):
    """One patient's own ECG morphology, heart-rate variability and baseline wander."""

    p_mv: float
    q_mv: float
    r_mv: float
    s_mv: float
    t_mv: float
    rsa: float  # respiratory sinus arrhythmia: fraction of the rate
    mayer: float  # the slower (~0.1 Hz) rhythm: fraction of the rate
    mayer_hz: float
    mayer_phase: float
    jitter: float  # beat-to-beat, SD as a fraction of the rate
    first_beat: float  # where the first R falls in its interval (0..1)
    wander_mv: tuple[float, float]
    wander_hz: tuple[float, float]
    wander_phase: tuple[float, float]
    motion_hz: tuple[float, float]
    motion_phase: tuple[float, float]


@lru_cache(maxsize=1024)
def traits(seed: int, patient: int) -> Traits:
    u = generator(seed, patient, "wave:traits").random(20)
    two_pi = 2.0 * math.pi
    return Traits(
        p_mv=0.10 + 0.10 * u[0], q_mv=0.08 + 0.10 * u[1], r_mv=1.0 + 0.5 * u[2],
        s_mv=0.20 + 0.15 * u[3], t_mv=0.25 + 0.20 * u[4],
        rsa=0.02 + 0.03 * u[5], mayer=0.01 + 0.015 * u[6], mayer_hz=0.08 + 0.04 * u[7],
        mayer_phase=two_pi * u[8], jitter=0.006, first_beat=u[9],
        wander_mv=(0.02 + 0.02 * u[10], 0.02 + 0.03 * u[11]),
        wander_hz=(0.15 + 0.15 * u[12], 0.03 + 0.05 * u[13]),
        wander_phase=(two_pi * u[14], two_pi * u[15]),
        motion_hz=(0.6 + 0.6 * u[16], 1.4 + 1.2 * u[17]),
        motion_phase=(two_pi * u[18], two_pi * u[19]),
    )  # fmt: skip


@lru_cache(maxsize=256)
def jitter_block(seed: int, patient: int, block: int) -> list[float]:
    """Standard normal draws for the beats [block * JITTER_BLOCK, (block + 1) * ...)."""
    return generator(seed, patient, "ecg", block).standard_normal(JITTER_BLOCK).tolist()


def jitter(seed: int, patient: int, beat: int) -> float:
    """Beat ``beat``'s own standard normal draw."""
    return jitter_block(seed, patient, beat // JITTER_BLOCK)[beat % JITTER_BLOCK]


@lru_cache(maxsize=128)
def motion_block(seed: int, patient: int, wave: str, block: int, rate_hz: int) -> np.ndarray:
    """Motion noise for 10 s of one wave: (MOTION_BLOCK_S, 4 + rate_hz) per second: four
    uniform numbers (the second's own jerk), then standard normal noise per sample."""
    rng = generator(seed, patient, f"wave:{wave}:motion", block)
    out = np.concatenate(
        [rng.random((MOTION_BLOCK_S, 4)), rng.standard_normal((MOTION_BLOCK_S, rate_hz))],
        axis=1,
    )
    out.flags.writeable = False
    return out


def motion_seconds(
    seed: int, patient: int, wave: str, seconds: np.ndarray, rate_hz: int
) -> np.ndarray:
    """The motion draws of the given seconds, (len(seconds), 4 + rate_hz)."""
    blocks = seconds // MOTION_BLOCK_S
    out = np.empty((seconds.size, 4 + rate_hz))
    for b in np.unique(blocks).tolist():
        sel = blocks == b
        out[sel] = motion_block(seed, patient, wave, b, rate_hz)[seconds[sel] - b * MOTION_BLOCK_S]
    return out
