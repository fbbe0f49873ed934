"""No action or sequence of actions takes the patient out of the living range.

Whatever a trainee does (boluses as often as they are allowed, oxygen, the pump, the
bedside manoeuvres), on top of scripted events at their largest, on patients drawn from
the population with the hypertensive, the very sensitive and the low-pressure among
them: the truth keeps SBP and DBP above their floors and DBP below SBP, the cuff never
reports DIA at or above SYS, and no drug's cumulative maximum is ever passed.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalsim._drugs import DRUG_MODELS, given_mg
from vitalsim._limits import (
    DBP_FLOOR,
    HR_CEILING,
    HR_FLOOR,
    PULSE_PRESSURE_MIN,
    RR_FLOOR,
    SBP_FLOOR,
    SPO2_FLOOR,
    bounded,
)
from vitalsim.engine import ActionError, Chunk, Cohort, apply_action, compute, next_boundary
from vitalsim.patient import sample_profile
from vitalsim.scenario import NibpSettings, Timeline, make_event
from vitalsim.sensors import NIBP_DIA_RANGE, NIBP_SYS_RANGE

pytestmark = pytest.mark.unit

MIN = 60
INFUSION_S = 10 * MIN
DURATION_S = 100 * MIN
TIMELINE = Timeline(infusion_start_s=INFUSION_S, infusion_end_s=50 * MIN, end_s=DURATION_S)
CUFF_EVERY_MIN = NibpSettings(baseline_every_min=1, infusion_every_min=1, observation_every_min=1)

# Patients: drawn from the population, plus the ones most likely to break a bound.
SPECS: list[dict[str, Any]] = [
    {},
    {},
    {"hypertension": "untreated", "age_years": 70, "sbp_sensitivity": 10.0},
    {"hypertension": "untreated", "sbp_mmhg": 200, "dbp_mmhg": 120},
    {"hypertension": "none", "sbp_mmhg": 92, "dbp_mmhg": 50, "hr_bpm": 48, "rr_per_min": 8},
    {"hypertension": "treated", "age_years": 80, "sbp_mmhg": 105, "dbp_mmhg": 85},
]

_LABETALOL = st.tuples(
    st.just("give_antihypertensive"), st.fixed_dictionaries({"dose_mg": st.floats(1, 100)})
)
_ANTIEMETIC = st.tuples(
    st.just("give_antiemetic"), st.fixed_dictionaries({"dose_mg": st.floats(0.5, 16)})
)
_ACTIONS = st.one_of(  # the drugs twice as often: boluses up to (and past) their maximum
    _LABETALOL, _LABETALOL, _ANTIEMETIC, _ANTIEMETIC,
    st.tuples(st.just("oxygen_on"), st.fixed_dictionaries({"flow_l_min": st.floats(1, 15)})),
    st.tuples(st.just("set_rate"), st.fixed_dictionaries({"rate_mg_per_kg_h": st.floats(0.1, 3)})),
    st.tuples(st.sampled_from(["pause_pump", "resume_pump", "oxygen_off", "reposition",
                               "reassure", "nibp_start"]), st.just({})),
)  # fmt: skip
_PLAN = st.lists(st.tuples(st.integers(0, DURATION_S - 1), _ACTIONS), max_size=16)
# Scripted events at (or near) their largest allowed sizes, to push on every floor.
_EVENTS = st.lists(
    st.one_of(
        st.builds(
            lambda at, sbp, hr: make_event("vasovagal", at, TIMELINE, sbp_drop_mmhg=sbp,
                                           hr_drop_bpm=hr, dbp_drop_mmhg=70, duration_min=15),
            st.integers(0, DURATION_S - 20 * MIN), st.floats(40, 100), st.floats(20, 80),
        ),
        st.builds(
            lambda at, d, rr: make_event("desaturation", at, TIMELINE, spo2_drop_pct=d,
                                         rr_drop_per_min=rr, duration_min=15),
            st.integers(0, DURATION_S - 20 * MIN), st.floats(5, 40), st.floats(0, 20),
        ),
        st.builds(
            lambda at, hr: make_event("tachycardia", at, TIMELINE, hr_rise_bpm=hr, duration_min=10),
            st.integers(0, DURATION_S - 20 * MIN), st.floats(10, 120),
        ),
    ),
    max_size=3,
)  # fmt: skip


def _cohort(seed: int) -> Cohort:
    profiles = [
        sample_profile(seed, i, SimpleNamespace(**spec) if spec else None)
        for i, spec in enumerate(SPECS)
    ]
    return Cohort.build(profiles, seed, CUFF_EVERY_MIN)


def _check_bounds(chunk: Chunk) -> None:
    tr = chunk.truth
    for name in ("sbp", "dbp", "map", "hr", "spo2", "rr"):
        assert np.all(np.isfinite(tr[name])), name
    assert np.all(tr["sbp"] >= SBP_FLOOR)
    assert np.all(tr["dbp"] >= DBP_FLOOR)
    assert np.all(tr["dbp"] <= tr["sbp"] - PULSE_PRESSURE_MIN)
    assert np.all((tr["map"] > tr["dbp"]) & (tr["map"] < tr["sbp"]))
    assert np.all((tr["hr"] >= HR_FLOOR) & (tr["hr"] <= HR_CEILING))
    assert np.all((tr["spo2"] >= SPO2_FLOOR) & (tr["spo2"] <= 100.0))
    assert np.all(tr["rr"] >= RR_FLOOR)
    for sensors in chunk.measured:
        for r in sensors.nibp:
            assert r.true_dia < r.true_sys
            if r.ok:  # what the monitor shows
                assert NIBP_SYS_RANGE[0] <= r.sys <= NIBP_SYS_RANGE[1]
                assert NIBP_DIA_RANGE[0] <= r.dia < r.sys
                assert r.dia <= r.map <= r.sys


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(
    seed=st.integers(0, 2**31 - 1),
    rate=st.sampled_from([0.5, 1.0, 3.0]),
    plan=_PLAN,
    events=_EVENTS,
)
def test_no_sequence_of_actions_leaves_the_living_range(
    seed: int, rate: float, plan: list[tuple[int, tuple[str, dict]]], events: list[Any]
) -> None:
    cohort = _cohort(seed)
    st_ = cohort.initial_state(events)
    st_ = apply_action(cohort, st_, "start_infusion",
                       {"rate_mg_per_kg_h": rate, "dose_mg_per_kg": 1.0}, "system")  # fmt: skip
    readings = 0
    for t_s, (kind, params) in sorted([(INFUSION_S, ("", {})), *plan], key=lambda p: p[0]):
        while st_.t_s < t_s:  # up to the action, in blocks as the engines cut time
            chunk, st_ = compute(cohort, st_, min(t_s, next_boundary(st_.t_s)))
            _check_bounds(chunk)
            readings += sum(len(m.nibp) for m in chunk.measured)
        if not kind:
            continue
        try:
            after = apply_action(cohort, st_, kind, params)
        except ActionError as exc:
            # Refused: only a pump action that does not fit, or a drug past its maximum.
            if kind.startswith("give_"):
                assert "mg maximum" in str(exc)  # noqa: PT017 (the refusal's own words)
            continue
        st_ = after
        for drug, model in DRUG_MODELS.items():
            assert given_mg(st_.interventions, drug) <= model.max_total_mg
    while st_.t_s < DURATION_S:
        chunk, st_ = compute(cohort, st_, next_boundary(st_.t_s))
        _check_bounds(chunk)
        readings += sum(len(m.nibp) for m in chunk.measured)
    assert readings > 0


def test_labetalol_as_often_as_allowed_stops_at_the_maximum_and_above_the_floor() -> None:
    """The worst a trainee can do with labetalol: 100 mg every minute from the start."""
    cohort = _cohort(3)
    st_ = cohort.initial_state()
    refused = []
    for t_s in range(60, 20 * MIN, 60):
        chunk, st_ = compute(cohort, st_, t_s)
        _check_bounds(chunk)
        try:
            st_ = apply_action(cohort, st_, "give_antihypertensive", {"dose_mg": 100})
        except ActionError as exc:
            refused.append(str(exc))
    assert given_mg(st_.interventions, "labetalol") == 300
    assert refused[0] == (
        "labetalol: 300 mg given already; a further 100 mg would exceed the 300 mg maximum"
    )
    chunk, _ = compute(cohort, st_, 60 * MIN)
    _check_bounds(chunk)


@given(
    sbp=st.floats(-500, 500),
    dbp=st.floats(-500, 500),
    hr=st.floats(-300, 400),
    spo2=st.floats(-200, 200),
    rr=st.floats(-100, 100),
)
def test_the_bounds_hold_for_any_numbers(
    sbp: float, dbp: float, hr: float, spo2: float, rr: float
) -> None:
    """The bounds are a pure function of the unbounded sum: any sum comes out in range."""
    out = bounded(*(np.array([[v]]) for v in (sbp, dbp, hr, spo2, rr)))
    v = {k: float(a[0, 0]) for k, a in out.items()}
    # Never below a floor (far below one, the approach is closer than a float can tell).
    assert v["sbp"] >= SBP_FLOOR
    assert DBP_FLOOR <= v["dbp"] <= v["sbp"] - PULSE_PRESSURE_MIN
    assert v["dbp"] < v["map"] < v["sbp"]
    assert HR_FLOOR <= v["hr"] <= HR_CEILING
    assert SPO2_FLOOR <= v["spo2"] <= 100.0
    assert v["rr"] >= RR_FLOOR >= 0


def test_the_floors_are_soft_untouched_inside_and_bending_near_the_floor() -> None:
    """Well inside the range nothing changes; near a floor a falling value slows smoothly
    (no flat line at a number, no kink)."""
    falling = np.linspace(130.0, 0.0, 1301)[None, :]
    flat = np.ones_like(falling)
    out = bounded(falling, 0.5 * falling, 70 * flat, 97 * flat, 14 * flat)
    sbp = out["sbp"][0]
    inside = falling[0] >= 75.0
    np.testing.assert_array_equal(sbp[inside], falling[0][inside])
    steps = -np.diff(sbp)
    assert np.all(steps > 0)  # still falling: never a flat line
    assert np.all(np.diff(steps) <= 1e-12)  # and ever more slowly: no kink
    assert sbp[-1] > SBP_FLOOR
    np.testing.assert_array_equal(out["hr"], 70 * flat)
    np.testing.assert_array_equal(out["spo2"], 97 * flat)
    np.testing.assert_array_equal(out["rr"], 14 * flat)
