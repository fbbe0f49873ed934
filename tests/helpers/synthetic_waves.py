"""Synthetic waveforms for tests of the sweep, until (and besides) the simulator's own.

Each wave is a plain function of session time (a beat every 0.8 s, a breath every 5 s),
sampled on its rate's grid, so segments cut anywhere join without a seam. ``install``
gives the simulator adapter's source a ``waveforms()`` that returns the seconds its last
``advance`` produced, as the runtime expects of a source.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vitalsdash import channels
from vitalsdash.waves import WaveSegment

BEAT_S = 0.8  # 75 /min
BREATH_S = 5.0  # 12 /min


def _gauss(x: np.ndarray, mu: float, sigma: float, amp: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((x - mu) / sigma) ** 2)


def ecg_mv(t: np.ndarray) -> np.ndarray:
    """Lead II: P, QRS and T of one beat every BEAT_S, in mV (R about 1.2 mV)."""
    x = np.mod(t, BEAT_S)
    return (_gauss(x, 0.16, 0.025, 0.15) + _gauss(x, 0.30, 0.008, -0.12)
            + _gauss(x, 0.32, 0.010, 1.2) + _gauss(x, 0.345, 0.010, -0.3)
            + _gauss(x, 0.58, 0.045, 0.3))  # fmt: skip


def pleth(t: np.ndarray) -> np.ndarray:
    """The pulse 0.2 s after the R wave: a fast upstroke and a slow decay (0-1)."""
    x = np.mod(t - 0.52, BEAT_S)
    return np.clip(np.where(x < 0.12, x / 0.12, np.exp(-(x - 0.12) / 0.25)), 0.0, 1.0)


def co2_mmhg(t: np.ndarray) -> np.ndarray:
    """A capnogram: 2 s of inspiration near 0, a steep rise to a plateau at 36-39 mmHg."""
    x = np.mod(t, BREATH_S)
    rise = np.clip((x - 2.0) / 0.3, 0.0, 1.0)
    fall = np.clip((BREATH_S - x) / 0.2, 0.0, 1.0)
    return (36.0 + 3.0 * np.clip((x - 2.3) / 2.5, 0.0, 1.0)) * rise * fall


SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ECG_II": ecg_mv,
    "PLETH": pleth,
    "CO2": co2_mmhg,
}


def segments(t0_s: float, t1_s: float) -> list[WaveSegment]:
    """Every registered wave's samples in [t0_s, t1_s) on its rate's grid."""
    out = []
    for info in channels.waves():
        shape = SHAPES.get(info.id)
        rate = info.sample_rate_hz
        k0, k1 = math.ceil(t0_s * rate - 1e-9), math.ceil(t1_s * rate - 1e-9)
        if shape is None or k1 <= k0:
            continue
        t = np.arange(k0, k1) / rate
        values = shape(t).astype(np.float32)
        out.append(WaveSegment(info.id, rate, k0 / rate, values))
    return out


def install(monkeypatch: pytest.MonkeyPatch | None = None) -> None:
    """Give the simulator's source a ``waveforms()`` of these shapes (with ``monkeypatch``
    for a test; without, for the rest of the process: a served clinic's script)."""
    from vitalsdash.adapters.simulator import SimulatorSource

    def waveforms(self: Any) -> list[WaveSegment]:
        t1 = float(self.sim.t_s)
        t0 = getattr(self, "_synthetic_wave_t", None)
        if t0 is None:
            t0 = max(0.0, t1 - 1.0)
        self._synthetic_wave_t = t1
        return segments(t0, t1) if t1 > t0 else []

    if monkeypatch is None:
        SimulatorSource.waveforms = waveforms  # type: ignore[attr-defined]
    else:
        monkeypatch.setattr(SimulatorSource, "waveforms", waveforms, raising=False)


def leads_off(which: Callable[[Any], bool]) -> None:
    """From now on in this process, the ECG of the sources ``which(source)`` picks is all
    gaps (its leads are off), whoever makes the waves."""
    from vitalsdash.adapters.simulator import SimulatorSource

    made = SimulatorSource.waveforms  # type: ignore[attr-defined]

    def waveforms(self: Any) -> list[WaveSegment]:
        segs = made(self)
        if not which(self):
            return segs
        return [WaveSegment(s.wave, s.sample_rate_hz, s.t0_s,
                            np.full(s.values.size, np.nan, dtype=np.float32))
                if channels.get(s.wave).unit == "mV" else s for s in segs]  # fmt: skip

    SimulatorSource.waveforms = waveforms  # type: ignore[attr-defined]


def simulator_has_waveforms() -> bool:
    """Whether the simulator's source makes waveforms of its own (then tests use them)."""
    from vitalsdash.adapters.simulator import SimulatorSource

    return callable(getattr(SimulatorSource, "waveforms", None))
