"""A course of sessions: the same virtual patient comes back for sessions 2, 3... 6.

Who the patient is and how the blood pressure answers ketamine stay the same (no
tolerance from the 1st to the 6th infusion); the resting values vary a little from day
to day; dissociation fades; each session has its own noise. Session 1 is a single
session's numbers, bit for bit.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsim import course
from vitalsim.cli import main
from vitalsim.engine import (
    Chunk,
    Cohort,
    LiveSimulation,
    SimSample,
    profile_for,
    samples_of,
    simulate_scenario,
)
from vitalsim.patient import PatientProfile, sample_profile
from vitalsim.scenario import Scenario, load_scenario

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "config" / "scenarios"
DAY_FIELDS = frozenset(course.DAY_TO_DAY_SD)
"""The resting values a day changes; with the dissociation EC50, all that a session changes."""
CHANGED = DAY_FIELDS | {"dissociation_ec50_ng_ml"}
POPULATION = 500


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml")


@cache
def anyone() -> Scenario:
    """The uneventful session with no [patient] keys: every patient drawn from the
    population (35% hypertensive, every sensitivity)."""
    path = SCENARIOS / "uneventful-depression.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.pop("patient", None)
    return Scenario.from_dict(data, path)


def rows(chunk: Chunk) -> list[tuple[object, ...]]:
    return [tuple("nan" if v != v else v for v in r) for r in samples_of(chunk)]


def live(sc: Scenario, seed: int, session_number: int, seconds: int) -> list[SimSample]:
    sim = LiveSimulation.from_scenario(sc, seed, follow_script=True,
                                       session_number=session_number)  # fmt: skip
    out: list[SimSample] = []
    step = 0
    while sim.t_s < seconds:
        step = step % 7 + 1  # uneven steps: 1, 2, ... 7 s
        out += sim.advance(min(step * 61, seconds - sim.t_s))
    return out


# ------------------------------------------------------------------ the same patient


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_the_patient_is_the_same_in_every_session(index: int) -> None:
    """Demographics, hypertension, haemodynamic sensitivity, PK and every field the course
    does not name stay the same object's values in sessions 1 to 6."""
    sc = anyone()
    first = profile_for(sc, 5, index)
    for n in range(1, 7):
        day = Cohort.build([first], 5, sc.nibp, [index], n).profiles[0]
        for f in fields(PatientProfile):
            if f.name not in CHANGED:
                assert getattr(day, f.name) == getattr(first, f.name), (n, f.name)
        assert day.age_years == first.age_years
        assert day.sex == first.sex
        assert day.hypertension == first.hypertension


def test_session_1_is_the_patient_as_drawn() -> None:
    p = sample_profile(11, 3)
    assert course.session_profile(p, 11, 3, 1) is p
    assert course.session_seed(11, 1) == 11
    cohort = Cohort.build([p], 11, scenario("uneventful-depression").nibp, [3])
    assert cohort.session_number == 1
    assert cohort.noise_seed == 11
    assert cohort.profiles == (p,)


def test_resting_values_vary_a_little_from_day_to_day() -> None:
    """Over many patients and sessions 2-6 the day's resting SBP moves around the patient's
    own by a few mmHg (SD near 5), never by more than the cut, and differs per session."""
    diffs: dict[str, list[float]] = {k: [] for k in DAY_FIELDS}
    for i in range(200):
        p = sample_profile(3, i)
        seen = set()
        for n in range(2, 7):
            day = course.session_profile(p, 3, i, n)
            seen.add(day.sbp_mmhg)
            for k in DAY_FIELDS:
                diffs[k].append(getattr(day, k) - getattr(p, k))
            assert day.dbp_mmhg <= day.sbp_mmhg - course.MIN_PULSE_PRESSURE
        assert len(seen) > 1  # not the same day twice
    for k, d in diffs.items():
        sd = course.DAY_TO_DAY_SD[k]
        limit = course.DAY_TO_DAY_LIMIT_SD * sd + 0.05  # the pulse-pressure floor stays inside
        assert max(abs(x) for x in d) <= limit, k
        assert 0.6 * sd < float(np.std(d)) < 1.3 * sd, k
        assert abs(float(np.mean(d))) < 0.25 * sd, k  # no drift over the course


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    index=st.integers(0, 10_000),
    n=st.integers(1, course.MAX_SESSIONS),
    sbp=st.floats(90, 200),
)
def test_a_day_keeps_the_patient_plausible(seed: int, index: int, n: int, sbp: float) -> None:
    """Whatever the patient and the session: the day's pressures stay ordered and in
    range, and dissociation needs more drug the later the session."""
    spec = type("Spec", (), {"sbp_mmhg": round(sbp, 1)})()
    p = sample_profile(seed % 2**32, index, spec)
    day = course.session_profile(p, seed, index, n)
    assert 85.0 <= day.sbp_mmhg <= 210.0
    assert 40.0 <= day.dbp_mmhg <= day.sbp_mmhg - course.MIN_PULSE_PRESSURE
    assert 90.0 <= day.spo2_pct <= 100.0
    assert day.dissociation_ec50_ng_ml >= p.dissociation_ec50_ng_ml
    if n > 1:
        before = course.session_profile(p, seed, index, n - 1)
        assert day.dissociation_ec50_ng_ml > before.dissociation_ec50_ng_ml
    assert course.session_profile(p, seed, index, n) == day  # keyed, not drawn in order


@pytest.mark.parametrize("bad", [0, -1, course.MAX_SESSIONS + 1, 2.5, True, "3", None])
def test_a_session_number_out_of_range_is_refused_saying_why(bad: object) -> None:
    sc = scenario("uneventful-depression")
    with pytest.raises(ValueError, match="session_number must be"):
        LiveSimulation.from_scenario(sc, 1, session_number=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="session_number must be"):
        simulate_scenario(sc, 1, duration_s=60, session_number=bad)  # type: ignore[arg-type]


# ------------------------------------------------------------------ determinism


def test_session_1_gives_exactly_a_single_sessions_numbers() -> None:
    sc = scenario("hypertensive-responder")
    _, today = simulate_scenario(sc, 7, duration_s=3000)
    _, first = simulate_scenario(sc, 7, duration_s=3000, session_number=1)
    assert rows(first) == rows(today)
    assert first.notes == today.notes
    a = LiveSimulation.from_scenario(sc, 7).advance(1800)
    b = LiveSimulation.from_scenario(sc, 7, session_number=1).advance(1800)
    assert [tuple(map(str, r)) for r in a] == [tuple(map(str, r)) for r in b]


def test_a_session_is_reproducible_and_has_its_own_noise() -> None:
    sc = scenario("artefact-heavy")
    _, s3 = simulate_scenario(sc, 4, duration_s=2400, session_number=3)
    _, again = simulate_scenario(sc, 4, duration_s=2400, session_number=3)
    _, s4 = simulate_scenario(sc, 4, duration_s=2400, session_number=4)
    assert rows(s3) == rows(again)
    assert s3.notes == again.notes
    assert not np.array_equal(s3.measured[0].spo2, s4.measured[0].spo2)
    assert not np.array_equal(s3.truth["hr"], s4.truth["hr"])
    motion = [[t for t, kind, _ in c.notes if kind == "motion_artefact"] for c in (s3, s4)]
    assert motion[0] != motion[1]  # the artefacts fall elsewhere


def test_live_equals_batch_in_a_later_session() -> None:
    sc = scenario("hypertensive-responder")
    seconds = 3600
    _, chunk = simulate_scenario(sc, 9, duration_s=seconds, session_number=4)
    got = live(sc, 9, 4, seconds)
    want = samples_of(chunk)
    assert len(got) == len(want)
    assert [tuple("nan" if v != v else v for v in r) for r in got] == [
        tuple("nan" if v != v else v for v in r) for r in want
    ]


def test_vitalsim_run_takes_a_session_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s3.csv"
    argv = ["run", "uneventful-depression", "--out", str(out), "--duration-min", "5"]
    assert main([*argv, "--session", "3"]) == 0
    assert out.read_text(encoding="utf-8").startswith("t,channel,value,quality,true_value")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--session", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"--session takes a session number from 1 to {course.MAX_SESSIONS}" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ a population over a course


def _measured_rise(cohort: Cohort, chunk: Chunk) -> np.ndarray:
    """Per patient: the highest valid NIBP systolic reading from the infusion start on,
    minus the mean of the valid baseline readings (what a nurse sees)."""
    start = chunk.phases.index("infusion")
    out = []
    for m in chunk.measured:
        base = [r.sys for r in m.nibp if r.ok and r.t_s < start]
        after = [r.sys for r in m.nibp if r.ok and r.t_s >= start]
        out.append(max(after) - float(np.mean(base)))
    return np.array(out)


@cache
def course_run(n: int) -> tuple[Cohort, Chunk]:
    return simulate_scenario(anyone(), 2026, n_patients=POPULATION, session_number=n,
                             follow_script=False)  # fmt: skip


def test_over_a_population_the_bp_rise_does_not_fade_but_dissociation_does() -> None:
    """500 patients, sessions 1 and 6: the mean measured rise (highest reading minus the
    baseline) and the mean true rise stay (within 2.5 mmHg); the mean peak dissociation
    falls by at least a fifth."""
    c1, s1 = course_run(1)
    c6, s6 = course_run(6)
    measured_1, measured_6 = _measured_rise(c1, s1).mean(), _measured_rise(c6, s6).mean()
    assert measured_6 >= measured_1 - 2.5, (measured_1, measured_6)
    start = s1.phases.index("infusion")
    true_1 = (s1.truth["sbp"][:, start:].max(1) - c1.arrays["sbp_mmhg"]).mean()
    true_6 = (s6.truth["sbp"][:, start:].max(1) - c6.arrays["sbp_mmhg"]).mean()
    assert true_6 >= true_1 - 2.5, (true_1, true_6)
    diss_1 = s1.truth["dissociation"].max(1).mean()
    diss_6 = s6.truth["dissociation"].max(1).mean()
    assert diss_6 < 0.8 * diss_1, (diss_1, diss_6)
    np.testing.assert_array_equal(s1.truth["ce"], s6.truth["ce"])  # the same drug, same PK


def test_dissociation_fades_session_by_session() -> None:
    peaks = [course_run(n)[1].truth["dissociation"].max(1).mean() for n in (1, 3, 6)]
    assert peaks[0] > peaks[1] > peaks[2]
