"""When the heart beats and the patient breathes: chosen causally, beat by beat.

Each R-R interval is chosen at its beat, from the HR channel at that beat's second and
the breath the beat falls in, so the next R is known before the P wave leading up to it
is drawn, and nothing drawn depends on where a chunk was cut.
"""

from __future__ import annotations

import math

import numpy as np

from vitalsim.waveforms import _capno, _ecg, _pleth
from vitalsim.waveforms._draws import Traits, jitter
from vitalsim.waveforms._model import Beat, Breath, WaveInputs, WaveState

HR_RANGE_BPM = (20.0, 250.0)
RR_RANGE_PER_MIN = (1.0, 80.0)
KEEP_BEATS = 6
"""Beats carried to the next chunk: enough for the T wave and the pleth pulse in flight."""
NAN = math.nan


def pulse_transit_s(sbp_mmhg: float) -> float:
    """R wave to the steepest point of the finger's pulse upstroke: 0.24 s at 120 mmHg,
    shorter as the pressure rises (stiffer, faster arteries), 0.15-0.30 s (est.)."""
    return min(max(0.24 - 0.0018 * (sbp_mmhg - 120.0), 0.15), 0.30)


def pleth_amplitude(sbp_mmhg: float, dbp_mmhg: float) -> float:
    """The pulse's height on the 0..1 pleth scale: by pulse pressure (perfusion), 0.15-0.85."""
    return min(max((sbp_mmhg - dbp_mmhg) / 80.0, 0.15), 0.85)


def held(values: np.ndarray, last: float, default: float) -> tuple[np.ndarray, float]:
    """``values`` with each NaN replaced by the value before it (``last`` at the start,
    else ``default``); and the last value."""
    out = values
    if np.isnan(values).any():
        first = last if math.isfinite(last) else default
        ok = ~np.isnan(values)
        idx = np.where(ok, np.arange(values.size), -1)
        np.maximum.accumulate(idx, out=idx)
        out = np.where(idx >= 0, values[np.maximum(idx, 0)], first)
    return out, float(out[-1])


def breaths(inp: WaveInputs, st: WaveState) -> tuple[np.ndarray, float]:
    """The breaths around the chunk, (n, 7) as :data:`Breath`: the two carried over, then
    those inside the chunk; and the derived breath count at its end."""
    rr, _ = held(inp.rr_per_min, math.nan, 12.0)
    rr = np.minimum(np.maximum(rr, RR_RANGE_PER_MIN[0]), RR_RANGE_PER_MIN[1]).tolist()
    t0 = inp.t0_s
    hist: list[Breath] = list(st.breaths)
    count = st.breath_phase
    if not hist:  # mid-expiration at the start: the previous breath began half a period ago
        p0 = 60.0 / rr[0]
        hist = [_breath(t0 - 1.5 * p0, p0), _breath(t0 - 0.5 * p0, p0)]
        count = 0.5
    new: list[Breath] = []
    if inp.breath_end_s is None:
        # A breath ends each time the running count of breaths (RR / 60 a second) passes a
        # whole number; summed second by second, so a chunk cut anywhere sums alike.
        for s, per_min in enumerate(rr):
            step = per_min / 60.0
            after = count + step
            whole = math.ceil(count)
            while whole < after:
                at = min(t0 + s + (whole - count) / step, math.nextafter(t0 + s + 1.0, -math.inf))
                new.append(_breath(at, 60.0 / per_min))
                whole += 1
            count = after
    else:
        new = [_breath(b, 60.0 / rr[math.floor(b) - t0]) for b in inp.breath_end_s.tolist()]
    return np.array(hist + new), count


def _breath(start_s: float, period_s: float) -> Breath:
    return (start_s, period_s, *_capno.shape(period_s))


def beats(
    inp: WaveInputs,
    st: WaveState,
    tr: Traits,
    hr: np.ndarray,
    breaths: np.ndarray,
) -> tuple[np.ndarray, int]:
    """The beats around the chunk, (n, 11) as :data:`Beat`: those carried over, then one
    per R inside it, then the first R after it; and the index of that last beat.

    RR_k = 60 / (HR x (1 + m)), with m the respiratory sinus arrhythmia at the beat's
    place in its breath, a slower ~0.1 Hz rhythm and a small jitter of its own: the rate,
    not the interval, is modulated, so beats per minute average to the HR channel."""
    t0, t1 = inp.t0_s, inp.t1_s
    sbp, dbp = inp.sbp_mmhg.tolist(), inp.dbp_mmhg.tolist()
    hrs = hr.tolist()
    hist: list[Beat] = list(st.beats)
    k = st.beat_index
    if not hist:  # a rhythm already running at t0: two beats before the first one
        rr0 = 60.0 / hrs[0]
        first = t0 + tr.first_beat * rr0
        hist = [_pending(first - 2 * rr0, rr0, tr), _pending(first - rr0, rr0, tr)]
        hist = [_done(b, rr0, sbp[0], dbp[0]) for b in hist] + [_pending(first, rr0, tr)]
        k = 2
    r_s, rr_before = hist[-1][0], hist[-1][1]
    b_list, p_list = breaths[:, 0].tolist(), breaths[:, 1].tolist()
    bi, nb = 0, len(b_list)
    two_pi = 2.0 * math.pi
    w_mayer = two_pi * tr.mayer_hz
    while r_s < t1:
        s = math.floor(r_s) - t0
        while bi + 1 < nb and b_list[bi + 1] <= r_s:
            bi += 1
        breath_phase = min((r_s - b_list[bi]) / p_list[bi], 1.0)
        m = (tr.rsa * math.sin(two_pi * breath_phase)
             + tr.mayer * math.sin(w_mayer * r_s + tr.mayer_phase)
             + tr.jitter * jitter(st.seed, st.patient, k))  # fmt: skip
        rr = 60.0 / (hrs[s] * (1.0 + m))
        hist[-1] = _done(hist[-1], rr, sbp[s], dbp[s])
        r_s, rr_before = r_s + rr, rr
        hist.append(_pending(r_s, rr_before, tr))
        k += 1
    return np.array(hist), k


def _pending(r_s: float, rr_before_s: float, tr: Traits) -> Beat:
    """A beat whose R time is chosen: its ECG template is known, its pulse not yet."""
    return (r_s, rr_before_s, NAN, NAN, NAN, *_ecg.geometry(r_s, rr_before_s, tr), NAN, NAN)


def _done(beat: Beat, rr_after_s: float, sbp_mmhg: float, dbp_mmhg: float) -> Beat:
    """The beat at its own second: the interval to the next R and its finger pulse."""
    transit = pulse_transit_s(sbp_mmhg)
    return (*beat[:2], rr_after_s, transit, pleth_amplitude(sbp_mmhg, dbp_mmhg), *beat[5:9],
            *_pleth.geometry(beat[0], transit, rr_after_s))  # fmt: skip
