"""A simulated bed's waveforms reach the live feed tick by tick, with no gap, and agree
with the numerics the same ticks produced."""

from __future__ import annotations

import itertools

import numpy as np
from scipy.signal import find_peaks

from vitalsdash.runtime import Runtime


def _session_id(rt: Runtime, bed: str) -> int:
    sid = rt.view(bed).session_id
    assert sid is not None
    return int(sid)


def test_waves_tile_the_seconds_the_ticks_ran(rt: Runtime) -> None:
    sid = _session_id(rt, "chair1")
    seq0, _ = rt.feed.waves_since([sid])
    for _ in range(10):  # ten ticks of 1 s
        rt.advance(1)
    newest, got = rt.feed.waves_since([sid], after_seq=seq0)
    assert newest > seq0
    by_wave: dict[str, list] = {}
    for s, seg in got:
        assert s == sid
        by_wave.setdefault(seg.wave, []).append(seg)
    assert set(by_wave) == {"ECG_II", "PLETH", "CO2"}
    for wave, segs in by_wave.items():
        rate = segs[0].sample_rate_hz
        assert sum(seg.values.size for seg in segs) == 10 * rate, wave
        for a, b in itertools.pairwise(segs):  # each starts where the last ended
            assert b.t0_s == a.end_s


def test_r_peaks_in_the_fed_ecg_give_the_hr_the_monitor_shows(rt: Runtime) -> None:
    sid = _session_id(rt, "chair1")
    seq0, _ = rt.feed.waves_since([sid])
    t0 = rt.view("chair1").t_s
    for _ in range(10):
        rt.advance(1)
    _, got = rt.feed.waves_since([sid], after_seq=seq0)
    ecg = np.concatenate([seg.values for _, seg in got if seg.wave == "ECG_II"])
    peaks, _ = find_peaks(np.nan_to_num(ecg), height=0.5, distance=int(0.25 * 250))
    rr_s = np.diff(peaks) / 250.0
    hr_from_ecg = 60.0 / rr_s.mean()
    rows = rt.feed.samples_since(sid, t0 - 0.5, ["HR"])
    shown = np.array([v for t, _, v, q in rows if q == "ok" and t < t0 + 10])
    assert shown.size >= 8
    assert abs(hr_from_ecg - shown.mean()) <= 2.0
