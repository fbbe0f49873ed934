"""Within-person variation: a slow drift and short-term noise per vital (est., clinical.md).

Each component is an Ornstein-Uhlenbeck process sampled once a second,
``x(t) = phi x(t-1) + gain eps(t)``, driven by keyed innovations so any stretch of seconds
can be (re)computed identically. The carried state is the value at the last second.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from vitalsim._rng import generator, stream_index

# (time constant s, standard deviation) per component; HR +-3-5 bpm, SBP +-5-8 mmHg.
COMPONENTS: dict[str, tuple[tuple[float, float], ...]] = {
    "hr": ((900.0, 3.0), (20.0, 1.5)),
    "sbp": ((900.0, 4.5), (30.0, 2.5)),
    "dbp": ((900.0, 2.5), (30.0, 1.5)),
    "spo2": ((600.0, 0.4), (10.0, 0.3)),
    "rr": ((600.0, 0.8), (15.0, 0.5)),
}


def initial_state(seed: int, patients: list[int]) -> dict[str, np.ndarray]:
    """Stationary values at t = -1 s, so t = 0 looks like any other moment."""
    out = {}
    for vital, comps in COMPONENTS.items():
        for j, (_tau, sd) in enumerate(comps):
            name = f"{vital}{j}"
            out[name] = np.array(
                [sd * generator(seed, p, "ou0:" + name).standard_normal() for p in patients]
            )
    return out


def drift(
    noise: np.ndarray, state: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Summed variation per vital, (N, T), from innovations ``noise`` (N, streams, T)."""
    total: dict[str, np.ndarray] = {}
    new_state: dict[str, np.ndarray] = {}
    for vital, comps in COMPONENTS.items():
        acc = None
        for j, (tau, sd) in enumerate(comps):
            name = f"{vital}{j}"
            phi = np.exp(-1.0 / tau)
            gain = sd * np.sqrt(1.0 - phi * phi)
            eps = noise[:, stream_index(f"ou:{name}"), :]
            series, _ = lfilter([gain], [1.0, -phi], eps, axis=1, zi=(phi * state[name])[:, None])
            new_state[name] = series[:, -1]
            acc = series if acc is None else acc + series
        total[vital] = acc
    return total, new_state
