"""The monitor's view of the patient: what a cuff, a pulse oximeter and ECG report.

Errors are ISO 81060-2-sized for NIBP (bias within +-5 mmHg, SD <= 8), +-2% for SpO2 at
rest; motion gives false SpO2 dips to 80-90% for 5-30 s and HR spikes (clinical.md).
Quality says what the simulator knows and a monitor could not: ``artefact`` marks a value
disturbed by motion, ``invalid`` a missing one (probe off, cuff failure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple, Protocol

import numpy as np

from vitalsim._rng import BLOCK_S, generator, stream_index

OK, ARTEFACT, INVALID = 0, 1, 2
QUALITY_NAMES = ("ok", "artefact", "invalid")

RR_EVERY_S = 5
NIBP_RETRY_P = 0.035  # 2-5% of readings need a retry (est.)
NIBP_SD_SYS, NIBP_SD_DIA, NIBP_SD_MAP = 5.0, 4.0, 3.0
# What an adult oscillometric cuff can report (est., typical specifications); a reading
# error never shows a value outside it, nor DIA within 5 mmHg of SYS.
NIBP_SYS_RANGE, NIBP_DIA_RANGE, NIBP_MIN_PULSE_PRESSURE = (40, 260), (20, 200), 5
MOTION_CANDIDATE_PER_H = 240.0  # thinning ceiling for artefact episodes
MOTION_MAX_S = 30


class NibpProgram(Protocol):
    """Automatic cuff interval per phase (the scenario's ``[nibp]`` table provides it)."""

    def interval_s(self, phase: str) -> float: ...


@dataclass(frozen=True)
class Measurement:
    index: int
    start_s: int
    end_s: int
    retried: bool
    failed: bool
    errors: tuple[float, float, float]  # standard normal draws for SYS, DIA, MAP
    phase: str  # protocol phase at the start: it sets the interval to the next one


@dataclass(frozen=True)
class NibpCycle:
    """Where one patient's cuff is in its program."""

    next_start_s: float = 0.0
    current: Measurement | None = None
    count: int = 0


class NibpReading(NamedTuple):
    t_s: int
    sys: float
    dia: float
    map: float
    true_sys: float
    true_dia: float
    true_map: float
    ok: bool
    retried: bool


@dataclass
class SensorChunk:
    """Measured continuous channels, (T,) each, plus NIBP readings, for one patient."""

    hr: np.ndarray
    hr_q: np.ndarray
    spo2: np.ndarray
    spo2_q: np.ndarray
    rr: np.ndarray
    rr_q: np.ndarray
    nibp: list[NibpReading] = field(default_factory=list)
    notes: list[tuple[float, str, dict]] = field(default_factory=list)


def _in_windows(t: float, windows: list[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in windows)


def _start_measurement(
    seed: int, patient: int, k: int, start_s: int, failing: bool, phase: str
) -> Measurement:
    rng = generator(seed, patient, "nibp", k)
    d1, d2 = rng.integers(30, 46, size=2)
    retried = failing or bool(rng.random() < NIBP_RETRY_P)
    errors = tuple(float(e) for e in rng.standard_normal(3))
    end_s = start_s + int(d1) + (int(d2) if retried else 0)
    return Measurement(k, start_s, end_s, retried, failing, errors, phase)


def nibp_chunk(
    seed: int,
    patient: int,
    cycle: NibpCycle,
    t0_s: int,
    t1_s: int,
    phases: list[str],
    program: NibpProgram,
    cuff_failures: list[tuple[float, float]],
    true_sys: np.ndarray,
    true_dia: np.ndarray,
    bias: tuple[float, float],
) -> tuple[list[NibpReading], NibpCycle, list[tuple[float, str, dict]]]:
    """Run the cuff program over [t0, t1); a reading reports when its measurement ends."""
    readings: list[NibpReading] = []
    notes: list[tuple[float, str, dict]] = []
    while True:
        if cycle.current is None:
            start = max(math.ceil(cycle.next_start_s), t0_s)
            if start >= t1_s:
                break
            failing = _in_windows(start, cuff_failures)
            m = _start_measurement(seed, patient, cycle.count, start, failing, phases[start - t0_s])
            cycle = replace(cycle, current=m, count=cycle.count + 1)
            notes.append((float(start), "nibp_start", {"measurement": m.index}))
        m = cycle.current
        assert m is not None
        if m.end_s >= t1_s:
            break
        i = m.end_s - t0_s
        ts, td = float(true_sys[i]), float(true_dia[i])
        tm = td + (ts - td) / 3.0
        if m.failed:
            nan = float("nan")
            readings.append(NibpReading(m.end_s, nan, nan, nan, ts, td, tm, False, True))
            notes.append((float(m.end_s), "cuff_failure", {"measurement": m.index}))
        else:
            e = m.errors
            sys = round(ts + bias[0] + NIBP_SD_SYS * e[0])
            sys = min(max(sys, NIBP_SYS_RANGE[0]), NIBP_SYS_RANGE[1])
            dia = round(td + bias[1] + NIBP_SD_DIA * (0.5 * e[0] + 0.866 * e[1]))
            # A cuff never reports DIA at or above SYS: at least NIBP_MIN_PULSE_PRESSURE apart.
            dia = min(max(dia, NIBP_DIA_RANGE[0]), NIBP_DIA_RANGE[1], sys - NIBP_MIN_PULSE_PRESSURE)
            mean = round(tm + (bias[0] + 2 * bias[1]) / 3.0 + NIBP_SD_MAP * e[2])
            mean = min(max(mean, dia), sys)
            readings.append(NibpReading(m.end_s, sys, dia, mean, ts, td, tm, True, m.retried))
        # One cuff: the next cycle starts on schedule, but never before this one ended
        # (a retry can outlast a 1-min interval).
        due = max(cycle.next_start_s, m.start_s) + program.interval_s(m.phase)
        cycle = replace(cycle, current=None, next_start_s=max(due, m.end_s))
    return readings, cycle, notes


def request_nibp(cycle: NibpCycle, now_s: int) -> NibpCycle:
    """A manual start: measure now unless a measurement is running; the cycle follows it."""
    if cycle.current is not None:
        return cycle
    return replace(cycle, next_start_s=float(now_s))


class MotionEpisode(NamedTuple):
    start_s: int
    duration_s: int
    spo2_floor: float
    hr_spike: float


@lru_cache(maxsize=4096)
def _motion_candidates(seed: int, patient: int, block: int) -> tuple[np.ndarray, ...]:
    rng = generator(seed, patient, "motion", block)
    n = rng.poisson(MOTION_CANDIDATE_PER_H * BLOCK_S / 3600.0)
    starts = block * BLOCK_S + rng.integers(0, BLOCK_S, size=n)
    durs = rng.integers(5, MOTION_MAX_S + 1, size=n)
    floors = rng.uniform(80.0, 90.0, size=n)
    spikes = np.where(rng.random(n) < 0.4, rng.uniform(20.0, 50.0, size=n), 0.0)
    return starts, durs, floors, spikes, rng.random(n) * MOTION_CANDIDATE_PER_H


def motion_episodes(
    seed: int,
    patient: int,
    t0_s: int,
    t1_s: int,
    base_per_h: float,
    storms: list[tuple[float, float, float]],
) -> list[MotionEpisode]:
    """Artefact episodes overlapping [t0, t1): a Poisson process thinned to the rate at
    each candidate's start (the patient's own rate plus any storm ``(from, to, per_h)``).
    """
    out: list[MotionEpisode] = []
    for block in range(max(t0_s - MOTION_MAX_S, 0) // BLOCK_S, (t1_s - 1) // BLOCK_S + 1):
        starts, durs, floors, spikes, u = _motion_candidates(seed, patient, block)
        rate = np.full(starts.shape, base_per_h)
        for a, b, per_h in storms:
            rate += np.where((starts >= a) & (starts < b), per_h, 0.0)
        keep = (u < rate) & (starts + durs > t0_s) & (starts < t1_s)
        out.extend(
            MotionEpisode(int(s), int(d), float(f), float(h))
            for s, d, f, h in zip(starts[keep], durs[keep], floors[keep], spikes[keep], strict=True)
        )
    return sorted(out)


def continuous_chunk(
    noise: np.ndarray,
    t0_s: int,
    t1_s: int,
    true_hr: np.ndarray,
    true_spo2: np.ndarray,
    true_rr: np.ndarray,
    episodes: list[MotionEpisode],
    probe_off: list[tuple[float, float]],
    spo2_bias: float,
) -> SensorChunk:
    """HR and SpO2 every second, RR every few seconds, with noise, artefacts and probe-off.

    ``noise`` holds this patient's per-second innovations (streams, T) for [t0, t1).
    """
    t = np.arange(t0_s, t1_s)
    hr = np.round(true_hr + 1.0 * noise[stream_index("meas:hr")])
    spo2 = true_spo2 + spo2_bias + 0.5 * noise[stream_index("meas:spo2")]
    spo2 = np.round(np.clip(spo2, 50.0, 100.0))
    rr = np.round(np.maximum(true_rr + 1.0 * noise[stream_index("meas:rr")], 0.0))
    hr_q = np.zeros(t.size, dtype=np.int8)
    spo2_q = np.zeros(t.size, dtype=np.int8)
    for ep in episodes:
        rel = t - ep.start_s
        inside = (rel >= 0) & (rel < ep.duration_s)
        if not inside.any():
            continue
        # Fast fall, plateau, fast recovery: the typical shape of a motion dip.
        edge = np.minimum(rel + 1, ep.duration_s - rel).clip(0, 3) / 3.0
        floor = spo2 - (spo2 - ep.spo2_floor) * edge
        spo2 = np.where(inside, np.minimum(spo2, np.round(floor)), spo2)
        spo2_q[inside] = ARTEFACT
        if ep.hr_spike > 0:
            hr = np.where(inside, np.round(hr + ep.hr_spike * edge), hr)
            hr_q[inside] = ARTEFACT
    for a, b in probe_off:
        off = (t >= a) & (t < b)
        spo2[off] = np.nan
        spo2_q[off] = INVALID
    rr_q = np.zeros(t.size, dtype=np.int8)  # RR is reported every RR_EVERY_S seconds
    return SensorChunk(hr, hr_q, spo2, spo2_q, rr, rr_q)
