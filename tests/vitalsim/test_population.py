"""The virtual population against the published figures (clinical.md) and its own rules.

The acceptance figures come from one fixed population (1,000 patients, seed 2026, the
depression protocol 0.5 mg/kg over 40 min = 0.75 mg/kg/h), computed once per module.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsim.engine import profile_for
from vitalsim.patient import PatientProfile, sample_population, sample_profile
from vitalsim.population import PopulationStats, population_stats
from vitalsim.scenario import PatientSpec, load_scenario

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "config" / "scenarios"
SEED = 2026
N = 1000
RATE_MG_PER_KG_H, INFUSION_MIN = 0.75, 40.0


@pytest.fixture(scope="module")
def population() -> list[PatientProfile]:
    return sample_population(N, SEED)


@pytest.fixture(scope="module")
def stats(population: list[PatientProfile]) -> PopulationStats:
    return population_stats(population, RATE_MG_PER_KG_H, INFUSION_MIN)


# --------------------------------------------------------------------------- acceptance


def test_stats_cover_the_whole_population(stats: PopulationStats) -> None:
    assert stats.n == N


def test_mean_peak_sbp_rise_is_within_the_meta_analysis_ci(stats: PopulationStats) -> None:
    # Vankawala 2021: +12.6 mmHg, 95% CI 10.4-14.8
    assert 10.4 <= stats.mean_peak_dsbp_mmhg <= 14.8


def test_mean_peak_dbp_rise_is_within_the_meta_analysis_ci(stats: PopulationStats) -> None:
    # Vankawala 2021: +8.5 mmHg, 95% CI 6.9-10.1
    assert 6.9 <= stats.mean_peak_ddbp_mmhg <= 10.1


def test_mean_peak_hr_rise_is_within_the_meta_analysis_ci(stats: PopulationStats) -> None:
    # Vankawala 2021: +4.1 bpm, 95% CI 0.6-7.6
    assert 0.6 <= stats.mean_peak_dhr_bpm <= 7.6


def test_fraction_with_a_large_rise_matches_the_label(stats: PopulationStats) -> None:
    # esketamine label: 8-19% rose >= 40 mmHg systolic and/or >= 25 diastolic
    assert 0.08 <= stats.frac_rise_40_25 <= 0.19


def test_median_time_to_peak_is_30_to_40_min(stats: PopulationStats) -> None:
    # Riva-Posse 2018; Szarmach 2020: peak at 30-40 min
    assert 30.0 <= stats.median_time_to_peak_min <= 40.0


def test_back_to_baseline_within_about_90_min_of_the_end(stats: PopulationStats) -> None:
    # back to baseline by the post-infusion checks, within 1.5 h
    assert stats.median_time_to_baseline_min <= INFUSION_MIN + 90.0
    assert stats.median_time_to_baseline_min > stats.median_time_to_peak_min
    assert stats.frac_baseline_within_90min_of_end >= 0.8


# --------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("seed", [0, 1, SEED])
def test_patient_i_is_the_same_whatever_n(seed: int) -> None:
    small, large = sample_population(5, seed), sample_population(50, seed)
    assert small[3] == large[3]
    assert small == large[:5]


def test_different_seeds_give_different_patients() -> None:
    a, b = sample_population(5, 1), sample_population(5, 2)
    assert all(pa != pb for pa, pb in zip(a, b, strict=True))


def test_about_a_third_are_hypertensive(population: list[PatientProfile]) -> None:
    # clinical.md: ~35% hypertensive in depression clinics
    frac = np.mean([p.hypertension != "none" for p in population])
    assert 0.30 <= frac <= 0.40


def test_risk_factors_give_larger_slopes_on_average(population: list[PatientProfile]) -> None:
    slope = np.array([p.sbp_slope_mmhg_per_ng_ml for p in population])
    hr_slope = np.array([p.hr_slope_bpm_per_ng_ml for p in population])
    risk = np.array([p.at_risk for p in population])
    assert 0.2 < risk.mean() < 0.8  # both groups are well represented
    assert slope[risk].mean() > 1.2 * slope[~risk].mean()
    assert np.median(slope[risk]) > 1.2 * np.median(slope[~risk])
    assert hr_slope[risk].mean() > hr_slope[~risk].mean()


@pytest.mark.parametrize(
    ("risky", "reason"),
    [
        (PatientSpec(age_years=62, hypertension="none"), "age >= 50"),
        (PatientSpec(age_years=30, hypertension="untreated"), "hypertension"),
        (PatientSpec(age_years=30, hypertension="treated"), "treated hypertension"),
    ],
)
def test_each_risk_factor_multiplies_the_slopes_by_1_5(risky: PatientSpec, reason: str) -> None:
    """Same patient draw with and without the risk factor: x1.5 (clinical.md)."""
    plain = PatientSpec(age_years=30, hypertension="none")
    for index in range(20):
        p0, p1 = sample_profile(11, index, plain), sample_profile(11, index, risky)
        assert not p0.at_risk, reason
        assert p1.at_risk, reason
        assert p1.sbp_slope_mmhg_per_ng_ml == pytest.approx(1.5 * p0.sbp_slope_mmhg_per_ng_ml)
        assert p1.hr_slope_bpm_per_ng_ml == pytest.approx(1.5 * p0.hr_slope_bpm_per_ng_ml)


def test_age_49_is_not_a_risk_factor_but_50_is() -> None:
    young = sample_profile(3, 0, PatientSpec(age_years=49.9, hypertension="none"))
    old = sample_profile(3, 0, PatientSpec(age_years=50, hypertension="none"))
    assert not young.at_risk
    assert old.at_risk
    assert old.sbp_slope_mmhg_per_ng_ml == pytest.approx(1.5 * young.sbp_slope_mmhg_per_ng_ml)


@pytest.mark.parametrize(
    ("status", "sbp", "dbp"),
    [("none", 116.0, 69.0), ("untreated", 146.0, 85.0), ("treated", 130.0, 75.0)],
)
def test_hypertension_status_sets_the_baselines(status: str, sbp: float, dbp: float) -> None:
    """NHANES: normotensive 116/69, untreated hypertensive 146/85, treated 130/75."""
    spec = PatientSpec(hypertension=status)
    people = [sample_profile(77, i, spec) for i in range(800)]
    assert {p.hypertension for p in people} == {status}
    sbps = np.array([p.sbp_mmhg for p in people])
    dbps = np.array([p.dbp_mmhg for p in people])
    assert sbps.mean() == pytest.approx(sbp, abs=2.5)
    assert dbps.mean() == pytest.approx(dbp, abs=2.0)
    assert 12.0 < sbps.std() < 20.0  # SD ~16 (est.)
    assert np.all(dbps < sbps)


def test_untreated_hypertensives_start_higher_than_normotensives() -> None:
    for i in range(30):
        hi = sample_profile(5, i, PatientSpec(hypertension="untreated"))
        lo = sample_profile(5, i, PatientSpec(hypertension="none"))
        # Same draws, shifted means: +30/+16 mmHg (unless a clip bites at the extremes).
        assert hi.sbp_mmhg > lo.sbp_mmhg
        assert hi.dbp_mmhg > lo.dbp_mmhg


# --------------------------------------------------------------------------- spec overrides


@pytest.mark.parametrize("seed", [0, 7, 99])
def test_scenario_patient_keys_win(seed: int) -> None:
    sc = load_scenario(SCENARIOS / "hypertensive-responder.toml")
    p = profile_for(sc, seed)
    spec = sc.patient
    for key in (
        "age_years",
        "sex",
        "weight_kg",
        "hypertension",
        "anxiety",
        "hr_bpm",
        "sbp_mmhg",
        "dbp_mmhg",
    ):
        assert getattr(p, key) == getattr(spec, key), key
    # sbp_sensitivity is a multiple of the median response: x3 the same patient at x1.
    at_one = sample_profile(seed, 0, spec.model_copy(update={"sbp_sensitivity": 1.0}))
    assert p.sbp_slope_mmhg_per_ng_ml == pytest.approx(3.0 * at_one.sbp_slope_mmhg_per_ng_ml)


def test_what_the_scenario_leaves_out_is_drawn_with_the_seed() -> None:
    sc = load_scenario(SCENARIOS / "hypertensive-responder.toml")
    assert sc.patient.spo2_pct is None
    assert sc.patient.rr_per_min is None
    drawn = {(profile_for(sc, s).spo2_pct, profile_for(sc, s).rr_per_min) for s in range(8)}
    assert len(drawn) > 1
    assert profile_for(sc, 3) == profile_for(sc, 3)


def test_sensitivity_one_is_about_the_population_median(
    population: list[PatientProfile],
) -> None:
    plain = np.array([p.sbp_slope_mmhg_per_ng_ml for p in population if not p.at_risk])
    one = sample_profile(1, 0, PatientSpec(age_years=30, hypertension="none", sbp_sensitivity=1))
    assert one.sbp_slope_mmhg_per_ng_ml == pytest.approx(np.median(plain), rel=0.25)


@settings(max_examples=40, deadline=None)
@given(
    sbp=st.floats(80, 220),
    dbp=st.floats(40, 130),
    which=st.sampled_from(["sbp", "dbp"]),
    index=st.integers(0, 10_000),
)
def test_one_given_pressure_still_gives_a_coherent_patient(
    sbp: float, dbp: float, which: str, index: int
) -> None:
    """A [patient] table may give SBP without DBP (or the reverse): the drawn partner
    stays on its side with the pulse pressure drawn pairs have (>= 25 mmHg)."""
    spec = PatientSpec(sbp_mmhg=sbp) if which == "sbp" else PatientSpec(dbp_mmhg=dbp)
    p = sample_profile(4, index, spec)
    if which == "sbp":
        assert p.sbp_mmhg == sbp
    else:
        assert p.dbp_mmhg == dbp
    assert p.dbp_mmhg <= p.sbp_mmhg - 25.0 + 1e-9
    assert p.dbp_mmhg >= min(dbp, 45.0)
    assert p.sbp_mmhg <= 220.0
