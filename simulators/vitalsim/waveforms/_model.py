"""What goes into the waveform generator, what comes out, and what it carries over."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ECG_HZ, PLETH_HZ, CO2_HZ = 250, 125, 25
WAVE_RATES_HZ: Mapping[str, int] = {"ECG_II": ECG_HZ, "PLETH": PLETH_HZ, "CO2": CO2_HZ}
"""Each wave and its sample rate; sample k of a wave at rate f is at k / f seconds."""

DEFAULT_ETCO2_MMHG = 38.0
"""The plateau drawn when no EtCO2 is known (a normal value)."""


@lru_cache(maxsize=64)
def _counts(n: int) -> np.ndarray:
    out = np.arange(n, dtype=np.float64)
    out.flags.writeable = False
    return out


def sample_times(t0_s: int, n_s: int, rate_hz: int) -> np.ndarray:
    """The times of the samples of [t0_s, t0_s + n_s): k / rate for whole k, computed
    from k itself so that any cut in time gives the very same numbers."""
    return (t0_s * rate_hz + _counts(n_s * rate_hz)) / rate_hz


def _seconds(name: str, values: object, n: int | None, dtype: type) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1 or (n is not None and arr.size != n):
        want = "one value per second" if n is None else f"{n} values (one per second)"
        raise ValueError(f"waveform input {name}: expected {want}, got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class WaveInputs:
    """One patient's numerics for the whole seconds [t0_s, t0_s + T): what the waves follow.

    ``hr_bpm`` is the HR channel as measured (NaN: none, the last rate is held).
    ``ecg_quality`` / ``spo2_quality``: 0 ok, 1 artefact (motion), 2 lead or probe off.
    ``sbp_mmhg``, ``dbp_mmhg``, ``rr_per_min``: the true values. ``breath_end_s``: when each
    breath's expiration ends (inspiration starts) inside the seconds, sorted; None: derive
    the breaths from ``rr_per_min``. ``etco2_mmhg``: the EtCO2 at each second, which the
    capnogram's plateau reaches at a breath's end (NaN: hold the last one).
    """

    t0_s: int
    hr_bpm: np.ndarray
    ecg_quality: np.ndarray
    spo2_quality: np.ndarray
    sbp_mmhg: np.ndarray
    dbp_mmhg: np.ndarray
    rr_per_min: np.ndarray
    breath_end_s: np.ndarray | None
    etco2_mmhg: np.ndarray

    def __post_init__(self) -> None:
        if int(self.t0_s) != self.t0_s:
            raise ValueError(f"waveform input t0_s must be a whole second, got {self.t0_s}")
        object.__setattr__(self, "t0_s", int(self.t0_s))
        hr = _seconds("hr_bpm", self.hr_bpm, None, np.float64)
        n = hr.size
        object.__setattr__(self, "hr_bpm", hr)
        for name in ("ecg_quality", "spo2_quality"):
            object.__setattr__(self, name, _seconds(name, getattr(self, name), n, np.int8))
        for name in ("sbp_mmhg", "dbp_mmhg", "rr_per_min", "etco2_mmhg"):
            object.__setattr__(self, name, _seconds(name, getattr(self, name), n, np.float64))
        if not (np.isfinite(self.sbp_mmhg).all() and np.isfinite(self.dbp_mmhg).all()):
            raise ValueError("waveform input sbp_mmhg, dbp_mmhg: a value for every second")
        if self.breath_end_s is not None:
            ends = _seconds("breath_end_s", self.breath_end_s, None, np.float64)
            if ends.size and (
                ends[0] < self.t0_s or ends[-1] >= self.t1_s or np.any(np.diff(ends) < 0)
            ):
                raise ValueError(
                    f"waveform input breath_end_s: sorted times inside [{self.t0_s}, "
                    f"{self.t1_s}) expected"
                )
            object.__setattr__(self, "breath_end_s", ends)

    @property
    def t1_s(self) -> int:
        """The second just after the last one."""
        return self.t0_s + self.hr_bpm.size

    def between(self, t0_s: int, t1_s: int) -> WaveInputs:
        """The seconds [t0_s, t1_s) of these inputs (inside them)."""
        if not self.t0_s <= t0_s <= t1_s <= self.t1_s:
            raise ValueError(f"[{t0_s}, {t1_s}) is not inside [{self.t0_s}, {self.t1_s})")
        i0, i1 = t0_s - self.t0_s, t1_s - self.t0_s
        ends = self.breath_end_s
        if ends is not None:
            ends = ends[(ends >= t0_s) & (ends < t1_s)]
        return WaveInputs(
            t0_s, self.hr_bpm[i0:i1], self.ecg_quality[i0:i1], self.spo2_quality[i0:i1],
            self.sbp_mmhg[i0:i1], self.dbp_mmhg[i0:i1], self.rr_per_min[i0:i1], ends,
            self.etco2_mmhg[i0:i1],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Wave:
    """Consecutive samples of one wave: sample k is at ``t0_s + k / sample_rate_hz``."""

    sample_rate_hz: int
    t0_s: float
    values: np.ndarray  # float32; NaN where there is no signal (lead or probe off)

    @property
    def end_s(self) -> float:
        """The time just after the last sample (where the next chunk starts)."""
        return self.t0_s + self.values.size / self.sample_rate_hz

    def times_s(self) -> np.ndarray:
        """The time of each sample (exactly k / rate for the k-th sample since 0)."""
        k0 = round(self.t0_s * self.sample_rate_hz)
        return (k0 + np.arange(self.values.size, dtype=np.float64)) / self.sample_rate_hz


@dataclass(frozen=True)
class WaveChunk:
    """The waves of the seconds [t0_s, t1_s): ``waves["ECG_II"]`` (mV), ``"PLETH"``
    (0..1, amplitude by perfusion) and ``"CO2"`` (mmHg)."""

    t0_s: int
    t1_s: int
    waves: Mapping[str, Wave]

    def __getitem__(self, name: str) -> Wave:
        return self.waves[name]


def empty_chunk(t_s: int) -> WaveChunk:
    return WaveChunk(t_s, t_s, {name: Wave(rate, float(t_s), np.empty(0, np.float32))
                                for name, rate in WAVE_RATES_HZ.items()})  # fmt: skip


def concat_waves(chunks: list[WaveChunk]) -> WaveChunk:
    """Consecutive chunks as one (each must start where the one before ended)."""
    if not chunks:
        raise ValueError("no waveform chunks to join")
    for a, b in itertools.pairwise(chunks):
        if a.t1_s != b.t0_s:
            raise ValueError(f"waveform chunks do not join: one ends at {a.t1_s} s, "
                             f"the next starts at {b.t0_s} s")  # fmt: skip
    if len(chunks) == 1:
        return chunks[0]
    first = chunks[0]
    waves = {name: Wave(w.sample_rate_hz, w.t0_s,
                        np.concatenate([c.waves[name].values for c in chunks]))
             for name, w in first.waves.items()}  # fmt: skip
    return WaveChunk(first.t0_s, chunks[-1].t1_s, waves)


Beat = tuple[float, ...]
"""(R time s, R-R interval before it s, R-R interval after it s, pulse transit time s,
pleth amplitude, T-wave scale, T-wave centre s, P-wave centre s, baseline wander mV,
pulse foot s, pulse stretch): the ECG template follows from the interval before; the
interval after and the pulse are NaN until the beat's own second is reached."""
Breath = tuple[float, ...]
"""(start of inspiration s, the breath period expected then s, and the capnogram's
phases by that period, as ``_capno.shape`` gives them)."""


@dataclass(frozen=True)
class WaveState:
    """What one patient's waves carry from one chunk to the next, so that generating
    [a, b) then [b, c) gives exactly the samples of [a, c)."""

    seed: int
    patient: int
    t_s: int | None = None
    """The second the next chunk must start at (None: nothing generated yet)."""
    beat_index: int = 0
    """Index of the last beat in ``beats`` (its R time is chosen, nothing after it)."""
    beats: tuple[Beat, ...] = ()
    breaths: tuple[Breath, ...] = ()
    breath_phase: float = 0.0
    """Breaths so far, when they are derived from the RR (a breath ends at each whole)."""
    hr_bpm: float = math.nan
    etco2_mmhg: float = math.nan


def wave_state(seed: int, patient: int) -> WaveState:
    """A patient's waves before anything was generated (random streams keyed by both)."""
    return WaveState(int(seed), int(patient))
