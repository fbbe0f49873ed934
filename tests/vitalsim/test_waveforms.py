"""Waveforms (vitalsim.waveforms): ECG II, pleth and capnogram agree with the numerics.

What a trainee reads off a monitor's waves must match its numbers: the R waves give the
HR channel, each pleth pulse follows its R wave after the pulse transit time, the
capnogram breathes the breaths and its plateau reaches the EtCO2. The waves are cut into
chunks however the engine serves time, so any cut must give the very same samples.
"""

from __future__ import annotations

import itertools
import math
import random
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import find_peaks

from vitalsim.cli import main
from vitalsim.engine import (
    Chunk,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    profile_for,
    run_batch,
    scheduled_actions,
    simulate_scenario,
)
from vitalsim.scenario import Scenario, find_scenario, load_scenario
from vitalsim.waveforms import (
    WAVE_RATES_HZ,
    WaveChunk,
    WaveInputs,
    concat_waves,
    generate_waves,
    wave_inputs,
    wave_state,
)

pytestmark = pytest.mark.unit


def steady(
    seconds: int,
    *,
    t0_s: int = 0,
    hr_bpm: float | np.ndarray = 75.0,
    sbp_mmhg: float = 120.0,
    dbp_mmhg: float = 75.0,
    rr_per_min: float = 14.0,
    etco2_mmhg: float | np.ndarray = 38.0,
    breath_end_s: np.ndarray | None = None,
    ecg_quality: np.ndarray | None = None,
    spo2_quality: np.ndarray | None = None,
) -> WaveInputs:
    """Inputs for ``seconds`` seconds; scalars are held constant."""

    def per_second(v: float | np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(v, dtype=float), (seconds,)).copy()

    ok = np.zeros(seconds, dtype=np.int8)
    return WaveInputs(
        t0_s=t0_s,
        hr_bpm=per_second(hr_bpm),
        ecg_quality=ok if ecg_quality is None else ecg_quality,
        spo2_quality=ok if spo2_quality is None else spo2_quality,
        sbp_mmhg=per_second(sbp_mmhg),
        dbp_mmhg=per_second(dbp_mmhg),
        rr_per_min=per_second(rr_per_min),
        breath_end_s=breath_end_s,
        etco2_mmhg=per_second(etco2_mmhg),
    )


def waves_of(inputs: WaveInputs, seed: int = 1, patient: int = 0) -> WaveChunk:
    return generate_waves(inputs, wave_state(seed, patient))[0]


def r_peaks_s(waves: WaveChunk) -> np.ndarray:
    """R-wave times, as a simple QRS detector finds them (peaks above 0.6 mV)."""
    ecg = waves["ECG_II"]
    idx, _ = find_peaks(np.nan_to_num(ecg.values), height=0.6, distance=int(0.2 * 250))
    return ecg.times_s()[idx]


def rises_s(co2: np.ndarray, times: np.ndarray, level: float) -> np.ndarray:
    """When the capnogram rises through ``level`` (expiration starting)."""
    up = np.flatnonzero((co2[:-1] < level) & (co2[1:] >= level))
    return times[up + 1]


def falls_s(co2: np.ndarray, times: np.ndarray, level: float) -> np.ndarray:
    """When the capnogram falls through ``level`` (inspiration starting)."""
    down = np.flatnonzero((co2[:-1] >= level) & (co2[1:] < level))
    return times[down + 1]


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(find_scenario(name))


@cache
def engine_run(name: str, seed: int, duration_s: int) -> tuple[Cohort, Chunk]:
    return simulate_scenario(scenario(name), seed, duration_s=duration_s)


@cache
def engine_waves(name: str, seed: int, duration_s: int) -> tuple[WaveInputs, WaveChunk]:
    cohort, chunk = engine_run(name, seed, duration_s)
    inputs = wave_inputs(chunk, 0)
    waves, _ = generate_waves(inputs, wave_state(cohort.noise_seed, cohort.patient_ids[0]))
    return inputs, waves


# ------------------------------------------------------------------------- sample grid


@pytest.mark.parametrize(("t0_s", "seconds"), [(0, 1), (7, 13), (599, 2), (3600, 700)])
def test_each_second_has_exactly_rate_samples_at_k_over_rate(t0_s: int, seconds: int) -> None:
    waves = waves_of(steady(seconds, t0_s=t0_s))
    assert (waves.t0_s, waves.t1_s) == (t0_s, t0_s + seconds)
    assert set(waves.waves) == {"ECG_II", "PLETH", "CO2"}
    for name, rate in WAVE_RATES_HZ.items():
        w = waves[name]
        assert w.sample_rate_hz == rate
        assert w.t0_s == t0_s
        assert w.values.dtype == np.float32
        assert w.values.size == seconds * rate
        k = np.arange(t0_s * rate, (t0_s + seconds) * rate)
        np.testing.assert_array_equal(w.times_s(), k / rate)
        assert w.end_s == t0_s + seconds
        assert np.isfinite(w.values).all()


def test_units_and_ranges_are_a_monitors() -> None:
    waves = waves_of(steady(60))
    ecg, pleth, co2 = (waves[n].values for n in ("ECG_II", "PLETH", "CO2"))
    assert 0.9 <= ecg.max() <= 1.6  # R waves of 1-1.5 mV, plus a little wander
    assert -0.6 <= ecg.min() <= 0.0
    assert 0.0 <= pleth.min() < pleth.max() <= 1.0
    assert 0.0 <= co2.min() < 37.0 <= co2.max() <= 38.0


# --------------------------------------------------------------------------- ECG and HR


def test_r_waves_give_the_hr_channel_of_a_simulated_session() -> None:
    """Over any 10 s of good signal, R-R intervals give the mean HR channel within 2 bpm;
    a monitor's 8-beat average matches the channel over those beats in every second, and
    the channel's own value at that second (which carries ~1 bpm of noise per second) in
    most seconds."""
    inputs, waves = engine_waves("artefact-heavy", 314, 3600)
    r = r_peaks_s(waves)
    hr = inputs.hr_bpm
    ok = inputs.ecg_quality == 0
    window_errors = []
    for w0 in range(0, hr.size - 10):
        if ok[w0 : w0 + 10].all():
            inside = r[(r >= w0) & (r < w0 + 10)]
            window_errors.append(60.0 / np.diff(inside).mean() - hr[w0 : w0 + 10].mean())
    assert len(window_errors) > 3000
    assert np.abs(window_errors).max() <= 2.0
    over_beats, at_second = [], []
    for s in range(20, hr.size):
        if ok[s - 12 : s + 1].all():
            last9 = r[r < s + 1][-9:]
            monitor = 60.0 / np.diff(last9).mean()
            over_beats.append(monitor - hr[np.floor(last9[:-1]).astype(int)].mean())
            at_second.append(monitor - hr[s])
    assert np.abs(over_beats).max() <= 2.0
    assert np.mean(np.abs(at_second) <= 2.0) >= 0.75  # measured: 0.86


def test_r_waves_follow_a_changing_rate_and_hold_through_a_gap() -> None:
    hr = np.linspace(50.0, 140.0, 300)
    hr[100:120] = np.nan  # no HR: the last rate is held
    waves = waves_of(steady(300, hr_bpm=hr))
    r = r_peaks_s(waves)
    held = hr.copy()
    held[100:120] = hr[99]
    for w0 in range(0, 290, 5):
        inside = r[(r >= w0) & (r < w0 + 10)]
        assert 60.0 / np.diff(inside).mean() == pytest.approx(held[w0 : w0 + 10].mean(), abs=2.0)


def test_heart_rate_varies_with_breathing_as_in_a_healthy_heart() -> None:
    """Respiratory sinus arrhythmia and the slower rhythm: not a metronome, not chaos."""
    r = r_peaks_s(waves_of(steady(300, hr_bpm=70.0)))
    rr = np.diff(r)
    assert 0.004 <= rr.std() <= 0.05  # a few tens of ms
    assert rr.mean() == pytest.approx(60.0 / 70.0, rel=0.01)


def qt_intervals(waves: WaveChunk) -> tuple[np.ndarray, np.ndarray]:
    """(R-R before each beat, QT) measured on the trace: QRS onset where the signal leaves
    the PR segment by 0.01 mV, T end where it is back within 5% of the T wave's height,
    both against a baseline through the PR segments of this beat and the next."""
    ecg = waves["ECG_II"]
    y, t = ecg.values.astype(float), ecg.times_s()
    rate = ecg.sample_rate_hz
    r = np.round((r_peaks_s(waves) - t[0]) * rate).astype(int)
    rrs, qts = [], []
    for a, b, c in zip(r[:-2], r[1:-1], r[2:], strict=True):
        pr_here, pr_next = b - int(0.06 * rate), c - int(0.06 * rate)
        base = np.interp(np.arange(b, c), [pr_here, pr_next], [y[pr_here], y[pr_next]])
        dev = y[b:c] - base
        onset = b - int(0.05 * rate) + np.argmin(y[b - int(0.05 * rate) : b])  # Q trough
        while abs(y[onset] - y[pr_here]) > 0.01:
            onset -= 1
        t_peak = int(0.1 * rate) + np.argmax(dev[int(0.1 * rate) : (c - b) // 2 + int(0.1 * rate)])
        end = t_peak
        while dev[end] > 0.05 * dev[t_peak]:
            end += 1
        rrs.append((b - a) / rate)
        qts.append((b + end - onset) / rate)
    return np.array(rrs), np.array(qts)


@pytest.mark.parametrize("hr_bpm", [50.0, 75.0, 100.0, 130.0])
def test_qt_follows_bazett(hr_bpm: float) -> None:
    rr, qt = qt_intervals(waves_of(steady(60, hr_bpm=hr_bpm), seed=3))
    bazett = 0.4 * np.sqrt(rr)
    assert np.median(np.abs(qt - bazett)) <= 0.01
    assert np.abs(qt - bazett).max() <= 0.02


def test_qt_shortens_as_the_rate_rises() -> None:
    slow = np.median(qt_intervals(waves_of(steady(60, hr_bpm=55.0)))[1])
    fast = np.median(qt_intervals(waves_of(steady(60, hr_bpm=120.0)))[1])
    assert slow - fast == pytest.approx(0.4 * (math.sqrt(60 / 55) - math.sqrt(60 / 120)), abs=0.02)


# ------------------------------------------------------------------------------ pleth


def pleth_delays(waves: WaveChunk) -> tuple[np.ndarray, np.ndarray]:
    """(R times, delay from each R to the next pleth peak)."""
    pleth = waves["PLETH"]
    idx, _ = find_peaks(np.nan_to_num(pleth.values), prominence=0.1)
    peaks = pleth.times_s()[idx]
    r = r_peaks_s(waves)
    r = r[(r > peaks[0] - 0.5) & (r < peaks[-1] - 0.01)]
    after = np.searchsorted(peaks, r)
    return r, peaks[after] - r


@pytest.mark.parametrize("sbp_mmhg", [100.0, 120.0, 170.0])
def test_each_r_wave_gives_one_pleth_pulse_after_the_transit_time(sbp_mmhg: float) -> None:
    waves = waves_of(steady(60, sbp_mmhg=sbp_mmhg, dbp_mmhg=sbp_mmhg - 45.0))
    _, delay = pleth_delays(waves)
    assert ((delay >= 0.10) & (delay <= 0.35)).all()
    pleth = waves["PLETH"]
    n_pulses = find_peaks(pleth.values, prominence=0.1)[0].size
    assert abs(n_pulses - r_peaks_s(waves).size) <= 1


def test_pulse_arrives_sooner_at_higher_pressure() -> None:
    low = np.median(pleth_delays(waves_of(steady(60, sbp_mmhg=100.0, dbp_mmhg=60.0)))[1])
    high = np.median(pleth_delays(waves_of(steady(60, sbp_mmhg=170.0, dbp_mmhg=100.0)))[1])
    assert high < low - 0.05


def test_pulse_height_follows_pulse_pressure() -> None:
    def height(sbp: float, dbp: float) -> float:
        p = waves_of(steady(30, sbp_mmhg=sbp, dbp_mmhg=dbp))["PLETH"].values
        return float(np.percentile(p, 99) - np.percentile(p, 1))

    assert height(150.0, 85.0) > 1.5 * height(110.0, 80.0)


# -------------------------------------------------------------------------- capnogram


@pytest.mark.parametrize("rr_per_min", [6.0, 14.0, 30.0])
def test_capnogram_breathes_at_the_rr(rr_per_min: float) -> None:
    co2 = waves_of(steady(180, rr_per_min=rr_per_min))["CO2"]
    rises = rises_s(co2.values, co2.times_s(), 19.0)
    per_min = np.diff(rises).size / (rises[-1] - rises[0]) * 60.0
    assert per_min == pytest.approx(rr_per_min, abs=1.0)


def irregular_breaths(seconds: int, seed: int, mean_s: float = 4.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    gaps = rng.uniform(0.8 * mean_s, 1.25 * mean_s, size=int(seconds / mean_s) + 5)
    ends = 1.0 + np.cumsum(gaps) - gaps[0]
    return ends[ends < seconds]


def test_capnogram_breaths_are_the_breaths_given() -> None:
    ends = irregular_breaths(120, 5)
    co2 = waves_of(steady(120, breath_end_s=ends))["CO2"]
    t = co2.times_s()
    falls = falls_s(co2.values, t, 19.0)
    rises = rises_s(co2.values, t, 19.0)
    # each breath: the CO2 drops within 0.2 s of the end of expiration, rises once after
    assert falls.size == ends.size
    assert np.all((falls - ends >= 0.0) & (falls - ends <= 0.2))
    assert rises.size == ends.size
    assert np.all(np.searchsorted(ends, rises) == np.arange(1, ends.size + 1))


def test_plateau_reaches_the_etco2_at_each_breath_end() -> None:
    seconds = 240
    etco2 = 40.0 + 8.0 * np.sin(np.arange(seconds) / 30.0)
    ends = irregular_breaths(seconds, 6)
    co2 = waves_of(steady(seconds, breath_end_s=ends, etco2_mmhg=etco2))["CO2"]
    t = co2.times_s()
    for a, b in itertools.pairwise(ends):
        inside = (t >= a) & (t < b)
        last = t[inside][-1]
        assert co2.values[inside].max() == pytest.approx(etco2[int(last)], abs=1.0)


def test_apnoea_draws_a_flat_line_near_zero() -> None:
    ends = np.concatenate((np.arange(2.0, 30.0, 4.0), np.arange(100.0, 120.0, 4.0)))
    co2 = waves_of(steady(120, breath_end_s=ends))["CO2"]
    t = co2.times_s()
    period = 60.0 / 14.0
    insp = period / 3.0
    flat_from = ends[ends < 30][-1] + insp + 2.0 * (period - insp) + 6.0
    assert co2.values[(t >= flat_from) & (t < 100.0)].max() < 1.0
    # until then the last plateau is held, then it washes out
    held = (t > ends[ends < 30][-1] + period) & (t < flat_from - 8.0)
    assert co2.values[held].min() > 35.0
    assert co2.values[t >= 100.0 + period].max() > 35.0  # breathing again


def test_a_missing_etco2_holds_the_last_one() -> None:
    etco2 = np.full(60, 45.0)
    etco2[30:] = np.nan
    co2 = waves_of(steady(60, etco2_mmhg=etco2))["CO2"].values
    assert np.isfinite(co2).all()
    assert co2[30 * 25 :].max() == pytest.approx(45.0, abs=0.5)


# ------------------------------------------------------------------ quality and signal


def test_lead_off_and_probe_off_are_no_signal_in_exactly_those_seconds() -> None:
    ecg_q = np.zeros(40, dtype=np.int8)
    ecg_q[10:15] = 2
    spo2_q = np.zeros(40, dtype=np.int8)
    spo2_q[20:33] = 2
    waves = waves_of(steady(40, ecg_quality=ecg_q, spo2_quality=spo2_q))
    for name, q in (("ECG_II", ecg_q), ("PLETH", spo2_q)):
        w = waves[name]
        off = q.repeat(w.sample_rate_hz) == 2
        assert np.isnan(w.values[off]).all()
        assert np.isfinite(w.values[~off]).all()
    assert np.isfinite(waves["CO2"].values).all()
    # the heart goes on beating behind a lead that is off
    assert np.array_equal(
        waves["PLETH"].values[: 20 * 125], waves_of(steady(40))["PLETH"].values[: 20 * 125]
    )


def test_motion_disturbs_the_waves_only_while_flagged() -> None:
    q = np.zeros(40, dtype=np.int8)
    q[12:20] = 1
    clean = waves_of(steady(40))
    moved = waves_of(steady(40, ecg_quality=q, spo2_quality=q))
    for name in ("ECG_II", "PLETH"):
        w = clean[name]
        flagged = q.repeat(w.sample_rate_hz) == 1
        a, b = w.values, moved[name].values
        np.testing.assert_array_equal(a[~flagged], b[~flagged])
        assert np.abs(a[flagged] - b[flagged]).mean() > 0.05
    assert 0.0 <= moved["PLETH"].values.min() < moved["PLETH"].values.max() <= 1.0


# -------------------------------------------------------------- determinism and cuts


def test_same_seed_same_waves_other_seed_or_patient_other_waves() -> None:
    inputs = steady(30)
    a, b = waves_of(inputs, seed=4), waves_of(inputs, seed=4)
    for name in WAVE_RATES_HZ:
        np.testing.assert_array_equal(a[name].values, b[name].values)
    for other in (waves_of(inputs, seed=5), waves_of(inputs, seed=4, patient=1)):
        assert not np.array_equal(a["ECG_II"].values, other["ECG_II"].values)
        assert not np.array_equal(a["PLETH"].values, other["PLETH"].values)


@st.composite
def varied_inputs(draw: st.DrawFn) -> WaveInputs:
    seconds = draw(st.integers(2, 150))
    t0_s = draw(st.integers(0, 4000))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hr = rng.uniform(30.0, 200.0) + np.cumsum(rng.normal(0.0, 2.0, seconds))
    hr[rng.random(seconds) < 0.05] = np.nan
    quality = [rng.choice([0, 0, 0, 1, 2], size=seconds).astype(np.int8) for _ in range(2)]
    rr = np.clip(rng.uniform(4.0, 35.0) + rng.normal(0.0, 1.0, seconds), 2.0, None)
    ends = None
    if draw(st.booleans()):
        ends = np.sort(rng.uniform(t0_s, t0_s + seconds, rng.integers(0, seconds // 2 + 1)))
    etco2 = rng.uniform(20.0, 60.0, seconds)
    etco2[rng.random(seconds) < 0.1] = np.nan
    sbp = rng.uniform(80.0, 200.0, seconds)
    return WaveInputs(
        t0_s, np.clip(hr, 20, 240), quality[0], quality[1], sbp, sbp - rng.uniform(20, 60),
        rr, ends, etco2,
    )  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=varied_inputs(), data=st.data())
def test_any_cut_in_time_gives_the_same_samples(inputs: WaveInputs, data: st.DataObject) -> None:
    t0, t1 = inputs.t0_s, inputs.t1_s
    cuts = sorted(data.draw(st.sets(st.integers(t0 + 1, t1 - 1), max_size=12)))
    whole, end = generate_waves(inputs, wave_state(9, 3))
    state, parts = wave_state(9, 3), []
    for a, b in zip([t0, *cuts], [*cuts, t1], strict=True):
        part, state = generate_waves(inputs.between(a, b), state)
        parts.append(part)
    joined = concat_waves(parts)
    for name in WAVE_RATES_HZ:
        np.testing.assert_array_equal(joined[name].values, whole[name].values)
    # and what follows is the same too
    more = steady(5, t0_s=t1)
    for name, w in generate_waves(more, end)[0].waves.items():
        np.testing.assert_array_equal(generate_waves(more, state)[0][name].values, w.values)


def test_a_chunk_must_start_where_the_last_one_ended() -> None:
    _, state = generate_waves(steady(10), wave_state(1, 0))
    with pytest.raises(ValueError, match="continue from second 10"):
        generate_waves(steady(5, t0_s=12), state)


def test_inputs_that_do_not_fit_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="ecg_quality"):
        WaveInputs(0, np.ones(5), np.zeros(4), np.zeros(5), np.ones(5), np.ones(5),
                   np.ones(5), None, np.ones(5))  # fmt: skip
    with pytest.raises(ValueError, match="breath_end_s"):
        steady(5, breath_end_s=np.array([6.0]))


# ----------------------------------------------------------------- from the engine


def test_wave_inputs_read_an_engine_chunk() -> None:
    _, chunk = engine_run("uneventful-depression", 1, 120)
    inputs = wave_inputs(chunk, 0)
    m = chunk.measured[0]
    assert (inputs.t0_s, inputs.t1_s) == (0, 120)
    # the heart keeps the last good rate under a motion artefact (NaN: held)
    np.testing.assert_array_equal(inputs.hr_bpm, np.where(m.hr_q == 0, m.hr, np.nan))
    np.testing.assert_array_equal(inputs.ecg_quality, m.hr_q)
    np.testing.assert_array_equal(inputs.spo2_quality, m.spo2_q)
    np.testing.assert_array_equal(inputs.sbp_mmhg, chunk.truth["sbp"][0])
    np.testing.assert_array_equal(inputs.rr_per_min, chunk.truth["rr"][0])
    # the capnograph's breaths and EtCO2, as the sensors measured them
    np.testing.assert_array_equal(inputs.breath_end_s, m.breath_end_s)
    np.testing.assert_array_equal(inputs.etco2_mmhg, m.etco2_mmhg)


def test_wave_inputs_take_the_sensors_breaths_and_etco2_when_they_give_them() -> None:
    cohort, chunk = simulate_scenario(scenario("uneventful-depression"), 1, duration_s=60)
    m = chunk.measured[0]
    m.breath_end_s = np.array([-1.0, 3.5, 8.25, 13.0, 61.0])  # outside ones are not its
    m.etco2_mmhg = np.full(60, 44.0)
    inputs = wave_inputs(chunk, 0)
    np.testing.assert_array_equal(inputs.breath_end_s, [3.5, 8.25, 13.0])
    co2 = generate_waves(inputs, wave_state(cohort.noise_seed, 0))[0]["CO2"]
    falls = falls_s(co2.values, co2.times_s(), 22.0)
    lag = falls[:3] - [3.5, 8.25, 13.0]
    assert np.all((lag >= 0.0) & (lag <= 0.2))
    assert falls.size == 4  # no breath after 13 s: the plateau washes out (see apnoea)
    assert falls[3] > 13.0 + 7.0
    assert co2.values.max() == pytest.approx(44.0, abs=1.0)


def live_waves(sc: Scenario, seed: int, steps: list[int], acts: dict[int, str]) -> WaveChunk:
    sim = LiveSimulation.from_scenario(sc, seed, follow_script=True, waveforms=True)
    parts = []
    for k in steps:
        if sim.t_s in acts:
            sim.apply(acts[sim.t_s])
        sim.advance(k)
        got = sim.take_waveforms()
        if k:
            assert got is not None
            assert (got.t0_s, got.t1_s) == (sim.t_s - k, sim.t_s)
            parts.append(got)
        else:
            assert got is None
    return concat_waves(parts)


def test_live_waves_are_the_batch_waves_however_time_is_served() -> None:
    sc, seed, duration = scenario("artefact-heavy"), 314, 2400
    acts = {900: "reassure", 2000: "nibp_start"}
    rng = random.Random(7)
    steps: list[int] = []
    while sum(steps) < duration:
        steps.append(min(rng.choice([0, 1, 1, 2, 7, 60, 599]), duration - sum(steps)))
    for t in acts:  # stop at the actions' seconds
        i = np.searchsorted(np.cumsum(steps), t)
        before = sum(steps[:i])
        steps[i : i + 1] = [t - before, steps[i] - (t - before)]
    live = live_waves(sc, seed, steps, acts)
    cohort = Cohort.build([profile_for(sc, seed)], seed, sc.nibp, dosing=sc.protocol.dosing)
    extra = [ScheduledAction(t, kind, {}) for t, kind in acts.items()]
    chunk = run_batch(cohort, duration, scheduled_actions(sc, True) + extra, sc.events)
    batch, _ = generate_waves(wave_inputs(chunk, 0), wave_state(cohort.noise_seed, 0))
    assert (live.t0_s, live.t1_s) == (0, duration)
    for name in WAVE_RATES_HZ:
        np.testing.assert_array_equal(live[name].values, batch[name].values)
    assert np.isnan(live["PLETH"].values).any()  # the probe came off in this scenario


def test_without_waveforms_there_are_none() -> None:
    sim = LiveSimulation.from_scenario(scenario("uneventful-depression"), 1)
    sim.advance(5)
    assert sim.take_waveforms() is None


# ------------------------------------------------------------------------------- CLI


def test_vitalsim_run_writes_the_waveforms_as_parquet(
    tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    out, wav = tmp_path / "run.csv", tmp_path / "waves.parquet"
    code = main(["run", "uneventful-depression", "--seed", "2", "--duration-min", "2",
                 "--out", str(out), "--waveforms", str(wav)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    df = pd.read_parquet(wav)
    assert list(df.columns) == ["t", "ECG_II", "PLETH", "CO2"]
    assert df["t"].dtype == np.float64
    np.testing.assert_array_equal(df["t"].to_numpy(), np.arange(120 * 250) / 250)
    k = np.arange(len(df))
    assert df["ECG_II"].notna().all()
    np.testing.assert_array_equal(df["PLETH"].notna().to_numpy(), k % 2 == 0)
    np.testing.assert_array_equal(df["CO2"].notna().to_numpy(), k % 10 == 0)
    cohort, chunk = simulate_scenario(scenario("uneventful-depression"), 2, duration_s=120)
    want, _ = generate_waves(wave_inputs(chunk, 0), wave_state(cohort.noise_seed, 0))
    np.testing.assert_array_equal(df["ECG_II"].to_numpy(), want["ECG_II"].values)
    np.testing.assert_array_equal(df["PLETH"].to_numpy()[::2], want["PLETH"].values)
    np.testing.assert_array_equal(df["CO2"].to_numpy()[::10], want["CO2"].values)


def test_vitalsim_run_refuses_waveforms_it_cannot_write(
    tmp_path: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "run.csv"
    base = ["run", "uneventful-depression", "--duration-min", "1", "--out", str(out)]
    assert main([*base, "--waveforms", str(tmp_path / "waves.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1  # one line, no traceback
    assert ".parquet" in err
    assert not out.exists()  # refused before simulating

    import vitalsim.cli as cli

    def two_patients(*args: object, **kwargs: object) -> tuple[Cohort, Chunk]:
        return simulate_scenario(*args, n_patients=2, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "simulate_scenario", two_patients)
    assert main([*base, "--waveforms", str(tmp_path / "waves.parquet")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "error: --waveforms writes one patient's waveforms; this run has 2 patients"
    assert not (tmp_path / "waves.parquet").exists()
    assert not out.exists()
