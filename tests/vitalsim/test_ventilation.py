"""Breathing: co-sedative PK, the CO2 mass balance, oxygen, breaths and what the monitor
shows of them (vitalsim.ventilation and the capnograph and oximeter in vitalsim.sensors).

The scenarios are checked as a monitor reads them (rows), not only as the truth is.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from vitalsim import ventilation
from vitalsim.engine import (
    TRUTH_KEYS,
    Chunk,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    SimSample,
    profile_for,
    run_batch,
    samples_of,
    scheduled_actions,
)
from vitalsim.patient import sample_population
from vitalsim.scenario import ConfigError, NibpSettings, Scenario, load_scenario
from vitalsim.sensors import RR_EVERY_S, RR_MEAN_OF, RR_NONE_AFTER_S, oximeter
from vitalsim.ventilation import CO_SEDATIVES, CoSedativeDose

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "config" / "scenarios"
MIN = 60
PUBLISHED_HALF_LIFE_MIN = {"midazolam": 144.0, "fentanyl": 219.0}  # Allonen 1981; McClain 1980


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml")


@cache
def play(name: str, oxygen_at_s: int | None = None, seed: int | None = None) -> Chunk:
    """The scenario's own patient, its infusion and co-sedatives, no scripted actions;
    oxygen 2 L/min from ``oxygen_at_s`` if given."""
    sc = scenario(name)
    seed = sc.seed if seed is None else seed
    cohort = Cohort.build([profile_for(sc, seed)], seed, sc.nibp)
    plan = scheduled_actions(sc, follow_script=False)
    if oxygen_at_s is not None:
        plan.append(ScheduledAction(oxygen_at_s, "oxygen_on", {"flow_l_min": 2.0}))
    return run_batch(cohort, int(sc.timeline.end_s), plan, sc.events, sc.co_sedatives)


def rows_of(chunk: Chunk, channel: str, quality: str | None = None) -> list[SimSample]:
    return [r for r in samples_of(chunk) if r.channel == channel
            and (quality is None or r.quality == quality)]  # fmt: skip


# --------------------------------------------------------------------------- co-sedative PK


def _course(name: str, mg: float, t_s: np.ndarray, weight: float = 70.0, cl: float = 1.0,
            v: float = 1.0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    one = np.array([1.0])
    cp, ce = ventilation.co_sedative_course(
        CO_SEDATIVES[name], [(0.0, mg)], t_s, weight * one, cl * one, v * one
    )
    return cp[0], ce[0]


@pytest.mark.parametrize("name", sorted(CO_SEDATIVES))
def test_each_co_sedative_falls_with_its_published_half_life(name: str) -> None:
    """The terminal slope of the typical 70 kg patient's plasma concentration."""
    t = np.array([8.0, 12.0]) * 3600.0
    cp, _ = _course(name, 1.0, t)
    half_life_min = (t[1] - t[0]) / 60.0 * math.log(2.0) / math.log(cp[0] / cp[1])
    assert half_life_min == pytest.approx(PUBLISHED_HALF_LIFE_MIN[name], rel=0.02)


@pytest.mark.parametrize(
    ("name", "mg", "peak_min", "peak_ng_ml"),
    [
        ("fentanyl", 0.1, (3.5, 5.5), (1.5, 2.3)),  # published peak effect 3.6 min
        ("midazolam", 2.0, (5.0, 10.0), (40.0, 90.0)),  # onset 3-5 min (label), est.
    ],
)
def test_the_effect_site_peaks_minutes_after_a_bolus(
    name: str, mg: float, peak_min: tuple[float, float], peak_ng_ml: tuple[float, float]
) -> None:
    t = np.arange(0, 3600.0)
    cp, ce = _course(name, mg, t)
    assert peak_min[0] <= np.argmax(ce) / 60.0 <= peak_min[1]
    assert peak_ng_ml[0] <= ce.max() <= peak_ng_ml[1]
    assert np.argmax(cp) == 0  # an IV bolus: plasma highest at once


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    name=st.sampled_from(sorted(CO_SEDATIVES)),
    weight=st.floats(45.0, 160.0),
    cl=st.floats(0.4, 2.5),
    v=st.floats(0.4, 2.5),
)
def test_the_closed_form_matches_an_ode_solution(
    name: str, weight: float, cl: float, v: float
) -> None:
    """Two compartments and an effect site, integrated numerically, give the same
    concentrations as the closed form for any patient."""
    model = CO_SEDATIVES[name]
    v1_70, v2_70, cl_70, q_70 = model.volumes_clearances()
    w = weight / 70.0
    v1, v2 = v1_70 * w * v, v2_70 * w * v
    k10, k12, k21 = cl_70 * w**0.75 * cl / v1, q_70 * w**0.75 / v1, q_70 * w**0.75 / v2
    ke0 = model.ke0_per_min

    def f(_t: float, x: np.ndarray) -> list[float]:
        c1 = x[0] / v1
        return [-(k10 + k12) * x[0] + k21 * x[1], k12 * x[0] - k21 * x[1], ke0 * (c1 - x[2])]

    t = np.array([30.0, 300.0, 1800.0, 7200.0])
    sol = solve_ivp(f, (0, t[-1] / 60.0), [1.0, 0.0, 0.0], t_eval=t / 60.0, method="DOP853",
                    rtol=1e-10, atol=1e-13)  # fmt: skip
    cp, ce = _course(name, 1.0, t, weight, cl, v)
    np.testing.assert_allclose(cp, sol.y[0] / v1 * 1000.0, rtol=1e-6)
    np.testing.assert_allclose(ce, sol.y[2] * 1000.0, rtol=1e-6)


def test_a_dose_before_the_session_is_on_board_at_its_start() -> None:
    t = np.arange(0.0, 60.0)
    before = ventilation.co_sedative_course(CO_SEDATIVES["midazolam"], [(-1200.0, 2.0)], t,
                                            np.array([70.0]), np.ones(1), np.ones(1))  # fmt: skip
    later = ventilation.co_sedative_course(CO_SEDATIVES["midazolam"], [(0.0, 2.0)],
                                           t + 1200.0, np.array([70.0]), np.ones(1),
                                           np.ones(1))  # fmt: skip
    np.testing.assert_allclose(before[1], later[1])
    assert before[1][0, 0] > 20.0


# --------------------------------------------------------------------------- drive


def test_drugs_combine_more_than_independently_and_opioids_slow_the_rate_most() -> None:
    ce_k = np.zeros((1, 1))
    one = np.ones(1)
    fent = {"fentanyl": np.full((1, 1), 2.0)}
    mid = {"midazolam": np.full((1, 1), 80.0)}
    both = fent | mid
    d_f, d_m = ventilation.drive(fent, ce_k, one), ventilation.drive(mid, ce_k, one)
    d_both = ventilation.drive(both, ce_k, one)
    assert d_both.total[0, 0] < d_f.total[0, 0] * d_m.total[0, 0]  # synergy
    assert d_f.rate[0, 0] < d_f.volume[0, 0]  # the opioid: rate more than depth
    assert d_m.volume[0, 0] < d_m.rate[0, 0]  # the benzodiazepine: the other way
    assert ventilation.drive({}, ce_k, one).total[0, 0] == 1.0


def test_ketamine_alone_depresses_breathing_only_slightly() -> None:
    ce = np.array([[250.0, 500.0]])  # the 0.5 mg/kg infusion's peak, and twice it
    total = ventilation.drive({}, ce, np.array([2.5])).total[0]
    assert total[0] > 0.85
    assert total[1] > ventilation.APNOEA_BELOW + 0.3


# --------------------------------------------------------------------------- CO2


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    v=st.floats(0.3, 2.0),
    p0=st.floats(37.0, 47.0),
    tau_min=st.floats(8.0, 12.0),
    start=st.floats(25.0, 90.0),
)
def test_steady_paco2_is_inversely_proportional_to_ventilation(
    v: float, p0: float, tau_min: float, start: float
) -> None:
    p = np.array([start])
    for _ in range(60):  # 10 h in blocks, carrying the value as the engine does
        p = ventilation.paco2_course(np.full((1, 600), v), np.array([p0]),
                                     np.array([60.0 * tau_min]), p)[:, -1]  # fmt: skip
    assert p[0] == pytest.approx(p0 / v, rel=1e-4)


def test_paco2_follows_the_mass_balance_for_any_ventilation_course() -> None:
    rng = np.random.default_rng(5)
    v = np.repeat(rng.uniform(0.0, 1.6, 30), 20)[None, :]  # 10 min, piecewise constant
    p0, tau = 40.0, 600.0
    got = ventilation.paco2_course(v, np.array([p0]), np.array([tau]), np.array([42.0]))[0]
    p, want = 42.0, []
    for k in range(v.shape[1]):
        step = solve_ivp(lambda _t, x, k=k: [p0 / tau * (1.0 - v[0, k] * x[0] / p0)],
                         (0, 1), [p], rtol=1e-11, atol=1e-11)  # fmt: skip
        p = float(step.y[0, -1])
        want.append(p)
    np.testing.assert_allclose(got, want, rtol=1e-8)


def test_apnoea_raises_paco2_by_3_to_6_mmhg_a_minute() -> None:
    """Every drawn patient: no ventilation for a minute from rest."""
    profiles = sample_population(300, 17)
    cohort = Cohort.build(profiles, 17, NibpSettings())
    a = cohort.arrays
    p = ventilation.paco2_course(np.zeros((300, 60)), a["paco2_rest_mmhg"],
                                 60.0 * a["co2_tau_min"], a["paco2_rest_mmhg"])  # fmt: skip
    rise = p[:, -1] - a["paco2_rest_mmhg"]
    assert rise.min() >= 3.0
    assert rise.max() <= 6.0
    assert a["etco2_mmhg"].min() >= 35.0
    assert a["etco2_mmhg"].max() <= 42.0


def test_an_emergent_apnoea_raises_paco2_at_that_rate() -> None:
    chunk = play("opioid-hypoventilation")
    still = np.concatenate([[0], (chunk.truth["ventilation"][0] == 0.0).astype(int), [0]])
    edges = np.flatnonzero(np.diff(still))
    starts, ends = edges[::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    a, b = int(starts[k]), int(ends[k]) - 1
    assert b - a >= 15  # a pause of its own, not a scripted one
    paco2 = chunk.truth["paco2"][0]
    per_min = (paco2[b] - paco2[a]) / (b - a) * 60.0
    assert 3.0 <= per_min <= 6.0
    # The monitor sees no breath meanwhile.
    breaths = chunk.measured[0].breath_end_s
    assert not np.any((breaths >= a + 1) & (breaths < b))


# --------------------------------------------------------------------------- oxygen


def test_at_rest_on_room_air_the_curve_gives_the_patients_own_spo2() -> None:
    profiles = sample_population(300, 23)
    cohort = Cohort.build(profiles, 23, NibpSettings())
    a = cohort.arrays
    sat = ventilation.saturation_pct(a["paco2_rest_mmhg"][:, None], np.array(0.21),
                                     a["aa_gradient_mmhg"], a["odc_scale"])[:, 0]  # fmt: skip
    np.testing.assert_allclose(sat, np.minimum(a["spo2_pct"], 99.5), atol=1e-6)


def test_hypoventilation_desaturates_on_room_air_but_not_on_oxygen() -> None:
    paco2 = np.array([[40.0, 60.0, 70.0]])
    grad, scale = ventilation.calibrate_oxygenation(np.array([96.0]), np.array([40.0]))
    air = ventilation.saturation_pct(paco2, np.array(0.21), grad, scale)[0]
    o2 = ventilation.saturation_pct(paco2, ventilation.fio2(np.array(2.0)), grad, scale)[0]
    assert air[0] == pytest.approx(96.0)
    assert air[1] < 92.0
    assert air[2] < 88.0
    assert o2.min() > 96.0


def test_the_chemoreflex_is_nothing_at_normal_gases_and_bounded() -> None:
    spo2, paco2 = np.array([[99.0, 90.0, 60.0, 30.0]]), np.array([[35.0, 50.0, 90.0, 150.0]])
    dhr, dsbp, ddbp = ventilation.chemoreflex(spo2, paco2)
    assert dhr[0, :2].tolist() == [0.0, 0.0]
    assert dsbp[0, :2].tolist() == [0.0, 0.0]
    assert np.all(np.diff(dhr[0, 1:]) > 0)
    assert dhr.max() < 35.0
    assert dsbp.max() < 40.0
    assert np.all(ddbp <= dsbp)


# --------------------------------------------------------------------------- the scenarios


def test_the_opioid_scenario_with_early_oxygen_hides_hypoventilation_from_the_oximeter() -> None:
    """Oxygen 2 L/min a minute after the fentanyl: for several minutes the capnograph reads
    EtCO2 above 50 while every clean SpO2 reading stays at or above 92%."""
    sc = scenario("opioid-hypoventilation")
    (dose,) = sc.co_sedatives
    chunk = play("opioid-hypoventilation", oxygen_at_s=int(dose.at_s) + MIN)
    high = [r.t_s for r in rows_of(chunk, "ETCO2") if r.value > 50]
    assert high
    first, last = min(high), max(high)
    assert last - first >= 5 * MIN
    spo2 = [r.value for r in rows_of(chunk, "SPO2", "ok") if first <= r.t_s <= last]
    assert min(spo2) >= 92.0


def test_the_opioid_scenario_on_room_air_desaturates_with_pauses_in_breathing() -> None:
    chunk = play("opioid-hypoventilation")
    spo2 = [r.value for r in rows_of(chunk, "SPO2", "ok")]
    assert min(spo2) < 90.0
    etco2_t = np.array([r.t_s for r in rows_of(chunk, "ETCO2")])
    assert np.diff(etco2_t).max() >= 20.0  # the monitor's apnoea: no ETCO2 sample for 20 s
    gaps = np.diff(chunk.measured[0].breath_end_s)
    assert (gaps >= 20.0).sum() >= 2
    # The capnograph's rate falls during the pause.
    k = int(np.argmax(np.diff(etco2_t)))
    during = [r.value for r in rows_of(chunk, "RR") if etco2_t[k] + 15 <= r.t_s < etco2_t[k + 1]]
    assert during
    assert max(during) <= 4.0


def test_without_co_sedatives_nobody_stops_breathing() -> None:
    sc = scenario("uneventful-depression")
    cohort = Cohort.build([profile_for(sc, s) for s in range(40)], 1, sc.nibp,
                          patient_ids=list(range(40)))  # fmt: skip
    chunk = run_batch(cohort, int(sc.timeline.end_s), scheduled_actions(sc, False))
    assert chunk.truth["ventilation"].min() > 0.5
    assert chunk.truth["etco2"].max() < 50.0
    for m in chunk.measured:
        assert np.diff(m.breath_end_s).max() < 12.0


# --------------------------------------------------------------------------- the monitor


def _rr_from_breaths(breaths: np.ndarray, t: float) -> float:
    known = breaths[breaths <= t]
    mean_gap = (known[-1] - known[-1 - RR_MEAN_OF]) / RR_MEAN_OF
    since = t - known[-1]
    if since >= RR_NONE_AFTER_S:
        return 0.0
    return float(round(60.0 / max(since, mean_gap)))


@pytest.mark.parametrize("name", ["opioid-hypoventilation", "uneventful-depression"])
def test_rr_readings_agree_with_the_breath_intervals(name: str) -> None:
    chunk = play(name)
    breaths = chunk.measured[0].breath_end_s
    rows = rows_of(chunk, "RR")
    assert [r.t_s % RR_EVERY_S for r in rows] == [0.0] * len(rows)
    checked = 0
    for r in rows:
        if (breaths <= r.t_s).sum() > RR_MEAN_OF:  # the breaths before the session are kept too
            assert r.value == _rr_from_breaths(breaths, r.t_s), r
            checked += 1
    assert checked > 0.95 * len(rows)


def test_one_etco2_row_per_breath_at_the_second_it_ends() -> None:
    chunk = play("desaturation-cosedative")
    m = chunk.measured[0]
    rows = rows_of(chunk, "ETCO2")
    assert [r.t_s for r in rows] == sorted(set(np.floor(m.breath_end_s).tolist()))
    for r in rows[::25]:
        i = int(r.t_s)
        assert r.value == round(m.etco2_mmhg[i])
        assert r.true_value == chunk.truth["etco2"][0, i]


def test_the_spo2_reading_lags_the_truth() -> None:
    """A step in the arterial saturation: the oximeter shows nothing for the circulation
    time, then follows over its averaging window."""
    truth = np.concatenate([np.full(60, 97.0), np.full(120, 87.0)])[None, :]
    history = np.full((1, 32), np.nan)
    seen, _ = oximeter(truth, history, np.array([12.0]))
    seen = seen[0]
    assert np.all(seen[: 60 + 12] == 97.0)
    assert 87.0 < seen[60 + 12 + 4] < 97.0
    assert np.all(seen[60 + 12 + 9 :] == 87.0)
    # In a session the readings follow the truth of about 15 s before (the patient's
    # circulation time and half the averaging), not the truth of the moment.
    sc = scenario("desaturation-cosedative")
    chunk = play("desaturation-cosedative")
    m, truth = chunk.measured[0], chunk.truth["spo2"][0]
    window = np.arange(int(sc.timeline.infusion_start_s), int(sc.timeline.infusion_end_s))
    clean = window[m.spo2_q[window] == 0]
    reading = m.spo2[clean] - Cohort.build([profile_for(sc, 42)], 42, sc.nibp).spo2_bias[0]
    misfit = [np.mean(np.abs(reading - truth[clean - lag])) for lag in range(31)]
    delay = profile_for(sc, 42).circulation_delay_s
    assert int(np.argmin(misfit)) in range(int(delay), int(delay) + 10)


def test_no_white_spo2_jumps_from_second_to_second() -> None:
    chunk = play("uneventful-depression")
    spo2 = chunk.measured[0].spo2
    clean = chunk.measured[0].spo2_q == 0
    steps = np.abs(np.diff(spo2))[clean[1:] & clean[:-1]]
    assert np.nanmean(steps > 0) < 0.25  # it changes now and then, not every second
    assert np.nanmax(steps) <= 1.0


def test_the_instructor_sees_the_breathing_and_the_co_sedatives() -> None:
    sim = LiveSimulation.from_scenario(scenario("opioid-hypoventilation"), 3)
    sim.advance(25 * MIN)
    truth = sim.snapshot().truth
    for key in ("ETCO2", "PACO2", "VENTILATION", "FENTANYL_CE", "MIDAZOLAM_CE"):
        assert key in TRUTH_KEYS
        assert math.isfinite(truth[key])
    assert truth["FENTANYL_CE"] > 0.3
    assert truth["MIDAZOLAM_CE"] == 0.0
    assert truth["PACO2"] > truth["ETCO2"]


def test_live_with_a_manual_start_gives_the_infusions_co_sedatives_at_the_real_start() -> None:
    sc = scenario("opioid-hypoventilation")
    sim = LiveSimulation.from_scenario(sc, 3, infusion_start="manual")
    sim.advance(15 * MIN)  # five minutes after the planned start
    assert sim.snapshot().truth["FENTANYL_CE"] == 0.0
    sim.apply("start_infusion", "trainee", **sc.protocol.dosing.start_params())
    sim.advance(4 * MIN)
    assert sim.snapshot().truth["FENTANYL_CE"] == 0.0  # written as infusion+5min
    sim.advance(3 * MIN)
    assert sim.snapshot().truth["FENTANYL_CE"] > 0.5


# --------------------------------------------------------------------------- scenario files


def _with(co_sedatives: list[dict]) -> Scenario:
    path = SCENARIOS / "uneventful-depression.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["co_sedatives"] = co_sedatives
    return Scenario.from_dict(data, path)


def test_a_scenario_gives_co_sedatives_before_and_during_the_session() -> None:
    sc = _with([{"at": "infusion+5min", "drug": "fentanyl", "dose_mcg": 50},
                {"at": "start-2h", "drug": "midazolam", "dose_mg": 2.5}])  # fmt: skip
    assert [d.dose() for d in sc.co_sedatives] == [
        CoSedativeDose(-7200.0, "midazolam", 2.5),
        CoSedativeDose(900.0, "fentanyl", 0.05),
    ]


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"at": "start", "drug": "morphine", "dose_mg": 5}, "not a co-sedative the simulator"),
        ({"at": "start", "drug": "midazolm", "dose_mg": 2}, "did you mean 'midazolam'"),
        ({"at": "start", "drug": "fentanyl", "dose_mg": 0.1}, "fentanyl is dosed in mcg"),
        ({"at": "start", "drug": "fentanyl"}, "required: the dose of fentanyl in mcg"),
        ({"at": "start", "drug": "midazolam", "dose_mg": 25}, "0.5-10 mg"),
        ({"at": "start", "drug": "fentanyl", "dose_mcg": 2000}, "10-500 mcg"),
        ({"at": "start-13h", "drug": "midazolam", "dose_mg": 2}, "more than 12 h before"),
        ({"at": "end+1min", "drug": "midazolam", "dose_mg": 2}, "after the session"),
        ({"at": "start", "drug": "midazolam", "dose_mg": 2, "route": "oral"}, "only IV"),
        ({"at": "start", "drug": "midazolam", "dose_mg": 2, "dose_ug": 1}, "unknown key"),
        ({"at": "soon", "drug": "midazolam", "dose_mg": 2}, "unknown anchor"),
    ],
)
def test_a_wrong_co_sedative_is_refused_with_a_clear_reason(entry: dict, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        _with([entry])
    text = str(err.value)
    assert "co_sedatives[1]" in text, text
    assert words in text, text
