"""The monitor's view of the patient: what a cuff, a pulse oximeter, ECG and a capnograph
report.

Errors are ISO 81060-2-sized for NIBP (bias within +-5 mmHg, SD <= 8), +-2% for SpO2 at
rest; motion gives false SpO2 dips to 80-90% for 5-30 s and HR spikes (clinical.md).
The oximeter sees the arterial saturation late (circulation to the finger) and averaged;
the capnograph sees breaths: each one's end of expiration, the EtCO2 it carries (diluted by
oxygen flowing through the nasal cannula) and a rate from the intervals between them.
Quality says what the simulator knows and a monitor could not: ``artefact`` marks a value
disturbed by motion, ``invalid`` a missing one (probe off, cuff failure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple, Protocol

import numpy as np
from scipy.signal import lfilter

from vitalsim._rng import BLOCK_S, generator, stream_index

OK, ARTEFACT, INVALID = 0, 1, 2
QUALITY_NAMES = ("ok", "artefact", "invalid")

RR_EVERY_S = 5
RR_MEAN_OF = 4  # the capnograph's rate: 60 / the mean of the last 4 breath intervals
RR_NONE_AFTER_S = 60.0  # no breath for a minute: the rate reads 0
BREATHS_KEPT = RR_MEAN_OF + 1
SPO2_AVERAGING_S = 10  # the oximeter's averaging time (monitors offer 8-16 s)
SPO2_HISTORY_S = 32  # kept from one stretch to the next: the longest delay plus averaging
SPO2_ERROR_SD, SPO2_ERROR_TAU_S = 0.5, 20.0  # a smooth error, not a jump every second (est.)
ETCO2_ERROR_SD, ETCO2_ERROR_TAU_S = 1.0, 60.0  # mmHg, slowly varying (est.)
ETCO2_DILUTION_PER_L = 0.04  # share of the sample's CO2 lost per L/min of oxygen (est.)
ETCO2_DILUTION_MAX = 0.4
MAX_BREATHS_PER_MIN = 59.0  # at most one breath ends in a second
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
    """Measured continuous channels, (T,) each, plus NIBP readings and breaths, for one
    patient.

    ``rr`` is the capnograph's rate as it stands each second (reported every RR_EVERY_S);
    ``etco2_mmhg`` the EtCO2 as sampled each second (the truth with the oxygen's dilution
    and a slowly varying error: a capnogram's plateau reaches it); ``breath_end_s`` (B,)
    when each breath's expiration ended (= the next inspiration began), in seconds."""

    hr: np.ndarray
    hr_q: np.ndarray
    spo2: np.ndarray
    spo2_q: np.ndarray
    rr: np.ndarray
    rr_q: np.ndarray
    etco2_mmhg: np.ndarray
    nibp: list[NibpReading] = field(default_factory=list)
    notes: list[tuple[float, str, dict]] = field(default_factory=list)
    breath_end_s: np.ndarray = field(default_factory=lambda: np.empty(0))


PER_SECOND_FIELDS = ("hr", "hr_q", "spo2", "spo2_q", "rr", "rr_q", "etco2_mmhg")
"""The (T,) arrays of a :class:`SensorChunk`, in its constructor's order."""


@dataclass(frozen=True)
class SensorState:
    """What a monitor's sensors carry from one second to the next, for N patients."""

    spo2_history: np.ndarray  # true SpO2 of the last SPO2_HISTORY_S seconds (N, H); NaN: none
    spo2_error: np.ndarray  # the oximeter's smooth error now (N,)
    etco2_error: np.ndarray  # the capnograph's (N,)
    breath_phase: np.ndarray  # breaths taken since the start, fractional (N,)
    breaths: np.ndarray  # when the last BREATHS_KEPT breaths ended, oldest first (N, 5)


def initial_sensor_state(seed: int, patients: list[int], rr_per_min: np.ndarray) -> SensorState:
    """The sensors at t = 0 as at any other moment: errors at a stationary value, a breath
    under way (its phase a keyed draw) and the breaths before it at the resting rate."""
    z, phase = np.zeros((len(patients), 2)), np.zeros(len(patients))
    for j, p in enumerate(patients):
        rng = generator(seed, p, "sensor_state")
        z[j], phase[j] = rng.standard_normal(2), rng.random()
    period = 60.0 / np.maximum(rr_per_min, 1.0)
    before = -(phase[:, None] + np.arange(BREATHS_KEPT - 1, -1, -1)[None, :]) * period[:, None]
    return SensorState(
        spo2_history=np.full((len(patients), SPO2_HISTORY_S), np.nan),
        spo2_error=SPO2_ERROR_SD * z[:, 0],
        etco2_error=ETCO2_ERROR_SD * z[:, 1],
        breath_phase=phase,
        breaths=before,
    )


def smooth_error(
    innovations: np.ndarray, state: np.ndarray, sd: float, tau_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """An Ornstein-Uhlenbeck error (N, T) from standard normal ``innovations`` and its
    value one second before, ``state`` (N,); and its last value."""
    phi = np.exp(-1.0 / tau_s)
    gain = sd * np.sqrt(1.0 - phi * phi)
    series, _ = lfilter([gain], [1.0, -phi], innovations, axis=1, zi=(phi * state)[:, None])
    return series, series[:, -1]


def oximeter(
    true_spo2: np.ndarray, history: np.ndarray, delay_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What the oximeter averages each second, (N, T): the true SpO2 ``delay_s`` (N,)
    seconds ago (circulation to the finger), averaged over SPO2_AVERAGING_S seconds; and
    the history to carry. Each second's value is a sum of the same W values whatever the
    stretch, so any cut of time gives the same numbers."""
    n, n_t = true_spo2.shape
    if np.isnan(history[:, -1]).any():  # the first stretch: as if the patient had been so
        history = np.where(np.isnan(history), true_spo2[:, :1], history)
    ext = np.concatenate([history, true_spo2], axis=1)
    delays = delay_s.astype(int)
    total = np.zeros((n, n_t))
    for d in np.unique(delays):  # patients grouped by delay: plain slices
        rows = delays == d
        part = ext[rows]
        acc = np.zeros((part.shape[0], n_t))
        for back in range(SPO2_AVERAGING_S):
            first = SPO2_HISTORY_S - d - back
            acc += part[:, first : first + n_t]
        total[rows] = acc
    return total / SPO2_AVERAGING_S, ext[:, -SPO2_HISTORY_S:]


def capnometer(true_etco2: np.ndarray, o2_flow_l_min: np.ndarray, error: np.ndarray) -> np.ndarray:
    """EtCO2 as sampled through a nasal cannula each second (mmHg, (N, T)): oxygen flowing
    through the cannula dilutes the sample, the sensor adds its slow error."""
    dilution = np.minimum(ETCO2_DILUTION_PER_L * np.maximum(o2_flow_l_min, 0.0),
                          ETCO2_DILUTION_MAX)  # fmt: skip
    return np.maximum(true_etco2 * (1.0 - dilution) + error, 0.0)


def breaths(
    phase0: np.ndarray, true_rr: np.ndarray, t0_s: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Each patient's breath ends in [t0, t0 + T) (float seconds) and the phase at the end.

    The phase counts breaths: it grows by RR/60 each second (0 in apnoea) and a breath
    ends each time it passes a whole number, at the moment found within the second by
    linear interpolation. The running sum starts from the carried phase, so any cut of
    time adds the same numbers in the same order."""
    n = true_rr.shape[0]
    per_s = np.clip(true_rr, 0.0, MAX_BREATHS_PER_MIN) / 60.0
    phase = np.cumsum(np.concatenate([phase0[:, None], per_s], axis=1), axis=1)
    whole = np.floor(phase)
    rows, cols = np.nonzero(whole[:, 1:] > whole[:, :-1])
    frac = (whole[rows, cols + 1] - phase[rows, cols]) / per_s[rows, cols]
    ends = t0_s + cols + np.clip(frac, 0.0, np.nextafter(1.0, 0.0))
    split = np.cumsum(np.bincount(rows, minlength=n))[:-1]
    return np.split(ends, split), phase[:, -1]


def rr_readings(before: np.ndarray, ends: np.ndarray, t0_s: int, t1_s: int) -> np.ndarray:
    """The capnograph's rate each second of [t0, t1) (breaths/min, rounded): 60 over the
    mean of the last RR_MEAN_OF breath intervals; when the time since the last breath is
    longer than that mean, 60 over that time (the rate falls through an apnoea); 0 after
    RR_NONE_AFTER_S without a breath. ``before`` (5,) are the breaths before t0."""
    known = np.concatenate([before, ends])
    t = np.arange(t0_s, t1_s, dtype=float)
    last = np.searchsorted(known, t, side="right") - 1  # breaths ended at or before t
    mean_gap = (known[last] - known[last - RR_MEAN_OF]) / RR_MEAN_OF
    since = t - known[last]
    gap = np.where(since > mean_gap, since, mean_gap)
    rate = np.where(since >= RR_NONE_AFTER_S, 0.0, 60.0 / np.maximum(gap, 1e-9))
    return np.round(rate)


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
    spo2_seen: np.ndarray,
    rr: np.ndarray,
    etco2_mmhg: np.ndarray,
    breath_end_s: np.ndarray,
    episodes: list[MotionEpisode],
    probe_off: list[tuple[float, float]],
    spo2_bias: float,
) -> SensorChunk:
    """HR and SpO2 every second, with noise, artefacts and probe-off; the capnograph's
    rate, EtCO2 and breaths as computed (:func:`rr_readings`, :func:`capnometer`).

    ``noise`` holds this patient's per-second innovations (streams, T) for [t0, t1);
    ``spo2_seen`` what the oximeter averaged, its smooth error included (:func:`oximeter`).
    """
    t = np.arange(t0_s, t1_s)
    hr = np.round(true_hr + 1.0 * noise[stream_index("meas:hr")])
    spo2 = np.round(np.clip(spo2_seen + spo2_bias, 50.0, 100.0))
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
    return SensorChunk(hr, hr_q, spo2, spo2_q, rr, rr_q, etco2_mmhg,
                       breath_end_s=breath_end_s)  # fmt: skip
