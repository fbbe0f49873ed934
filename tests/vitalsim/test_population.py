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
from vitalsim.population import PopulationStats, drug_response, population_stats
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


# --------------------------------------------------------------------------- noise-free shape
# The published means are measured figures: tests/vitalsim/test_measured_population.py
# checks them on readings. The drug response alone is checked for its shape and bounds.


def test_stats_cover_the_whole_population(stats: PopulationStats) -> None:
    assert stats.n == N


def test_the_drug_alone_raises_bp_less_than_the_readings_show(stats: PopulationStats) -> None:
    """Noise adds to "highest reading minus baseline": the drug's own mean peak rise is
    below the published measured mean (12.6) yet clearly there."""
    assert 3.0 <= stats.mean_peak_dsbp_mmhg <= 10.4
    assert 2.0 <= stats.mean_peak_ddbp_mmhg <= 8.5
    assert 0.5 <= stats.mean_peak_dhr_bpm <= 4.1


def test_individual_peaks_fall_in_the_second_half_of_the_infusion(
    stats: PopulationStats,
) -> None:
    # Riva-Posse 2018 (largest mean change at 30 min); Szarmach 2020 (peak 30-40 min)
    assert 20.0 <= stats.median_time_to_peak_min <= 40.0


def test_every_patient_is_back_within_90_min_of_the_end(stats: PopulationStats) -> None:
    # Szarmach 2020: BP and HR back to baseline within 1.5 h after the infusion, for all
    assert stats.median_time_to_baseline_min > stats.median_time_to_peak_min
    assert stats.frac_baseline_within_90min_of_end >= 0.99


def test_no_patient_has_a_large_rise_from_the_drug_alone(stats: PopulationStats) -> None:
    assert stats.frac_rise_40_25 <= 0.01
    assert stats.p99_peak_dsbp_mmhg <= 35.0


def test_the_peaks_spread_over_the_infusion(population: list[PatientProfile]) -> None:
    """Not everyone peaks at the same minute (the first model peaked all at 40-41 min)."""
    resp = drug_response(population[:300], RATE_MG_PER_KG_H, INFUSION_MIN)
    t_peak = resp.t_min[resp.dsbp.argmax(axis=1)]
    lo, hi = np.percentile(t_peak, [10, 90])
    assert hi - lo >= 8.0
    assert lo >= 15.0
    assert hi <= 50.0


@pytest.mark.parametrize("rate", [0.75, 1.5, 3.0])
def test_the_rise_never_exceeds_the_ceiling_at_any_dose(
    population: list[PatientProfile], rate: float
) -> None:
    """Emax: at most +40% of baseline SBP and +44% HR (Långsjö 2005), whatever the rate."""
    part = population[:200]
    resp = drug_response(part, rate, INFUSION_MIN)
    sbp0 = np.array([p.sbp_mmhg for p in part])
    hr0 = np.array([p.hr_bpm for p in part])
    assert np.all(resp.dsbp.max(axis=1) <= 0.40 * sbp0 + 1e-9)
    assert np.all(resp.dhr.max(axis=1) <= 0.44 * hr0 + 1e-9)
    assert np.all(resp.dsbp >= 0.0)
    assert np.all(resp.ddbp <= resp.dsbp + 1e-9)


def test_a_higher_dose_raises_bp_more_but_less_than_in_proportion(
    population: list[PatientProfile],
) -> None:
    part = population[:200]
    low = drug_response(part, 0.75, INFUSION_MIN).dsbp.max(axis=1).mean()
    high = drug_response(part, 1.5, INFUSION_MIN).dsbp.max(axis=1).mean()
    assert low < high < 2.0 * low


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


def test_risk_factors_give_larger_responses_on_average(
    population: list[PatientProfile],
) -> None:
    sens = np.array([p.pressor_sensitivity for p in population])
    risk = np.array([p.at_risk for p in population])
    assert 0.2 < risk.mean() < 0.8  # both groups are well represented
    assert sens[risk].mean() > 1.2 * sens[~risk].mean()
    assert np.median(sens[risk]) > 1.2 * np.median(sens[~risk])
    rise = drug_response(population[:400], RATE_MG_PER_KG_H, INFUSION_MIN).dsbp.max(axis=1)
    assert rise[risk[:400]].mean() > 1.2 * rise[~risk[:400]].mean()


def test_sensitivity_is_right_skewed_but_bounded(population: list[PatientProfile]) -> None:
    sens = np.array([p.pressor_sensitivity for p in population])
    assert sens.mean() > np.median(sens)  # a tail of strong responders ...
    assert sens.max() <= 5.0  # ... that stops somewhere
    assert sens.min() >= 0.2


@pytest.mark.parametrize(
    ("risky", "reason"),
    [
        (PatientSpec(age_years=62, hypertension="none"), "age >= 50"),
        (PatientSpec(age_years=30, hypertension="untreated"), "hypertension"),
        (PatientSpec(age_years=30, hypertension="treated"), "treated hypertension"),
    ],
)
def test_each_risk_factor_multiplies_the_sensitivity_by_1_5(
    risky: PatientSpec, reason: str
) -> None:
    """Same patient draw with and without the risk factor: x1.5 (clinical.md)."""
    plain = PatientSpec(age_years=30, hypertension="none")
    for index in range(20):
        p0, p1 = sample_profile(11, index, plain), sample_profile(11, index, risky)
        assert not p0.at_risk, reason
        assert p1.at_risk, reason
        if p1.pressor_sensitivity < 5.0:  # below the bound
            assert p1.pressor_sensitivity == pytest.approx(1.5 * p0.pressor_sensitivity)


def test_age_49_is_not_a_risk_factor_but_50_is() -> None:
    young = sample_profile(3, 0, PatientSpec(age_years=49.9, hypertension="none"))
    old = sample_profile(3, 0, PatientSpec(age_years=50, hypertension="none"))
    assert not young.at_risk
    assert old.at_risk
    assert old.pressor_sensitivity == pytest.approx(1.5 * young.pressor_sensitivity)


@pytest.mark.parametrize(
    ("status", "sbp", "dbp"),
    [("none", 116.0, 69.0), ("untreated", 146.0, 85.0), ("treated", 130.0, 75.0)],
)
def test_resting_bp_fits_the_hypertension_label(status: str, sbp: float, dbp: float) -> None:
    """NHANES means 116/69, 146/85, 130/75 (SD 16/10), truncated at 2.5 SD; a normotensive
    patient is below 140/90 and an untreated hypertensive at or above it."""
    spec = PatientSpec(hypertension=status)
    people = [sample_profile(77, i, spec) for i in range(800)]
    assert {p.hypertension for p in people} == {status}
    sbps = np.array([p.sbp_mmhg for p in people])
    dbps = np.array([p.dbp_mmhg for p in people])
    high = (sbps >= 140.0) | (dbps >= 90.0)
    if status == "none":
        assert not high.any()
        assert sbps.mean() == pytest.approx(sbp, abs=5.0)
    elif status == "untreated":
        assert high.all()
        assert sbps.mean() == pytest.approx(sbp, abs=8.0)
    else:
        assert sbps.mean() == pytest.approx(sbp, abs=2.5)
        assert dbps.mean() == pytest.approx(dbp, abs=2.0)
    assert sbps.max() <= 190.0  # truncated at 2.5 SD
    assert dbps.max() <= 110.0
    assert np.all(dbps <= sbps - 25.0 + 1e-9)


def test_untreated_hypertensives_start_higher_than_normotensives() -> None:
    hi = [sample_profile(5, i, PatientSpec(hypertension="untreated")) for i in range(200)]
    lo = [sample_profile(5, i, PatientSpec(hypertension="none")) for i in range(200)]
    assert np.mean([p.sbp_mmhg for p in hi]) > np.mean([p.sbp_mmhg for p in lo]) + 25.0
    assert np.mean([p.dbp_mmhg for p in hi]) > np.mean([p.dbp_mmhg for p in lo]) + 10.0


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
    # sbp_sensitivity is a multiple of the median response: xN the same patient at x1.
    at_one = sample_profile(seed, 0, spec.model_copy(update={"sbp_sensitivity": 1.0}))
    assert p.pressor_sensitivity == pytest.approx(spec.sbp_sensitivity * at_one.pressor_sensitivity)


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
    plain = np.array([p.pressor_sensitivity for p in population if not p.at_risk])
    one = sample_profile(1, 0, PatientSpec(age_years=30, hypertension="none", sbp_sensitivity=1))
    assert one.pressor_sensitivity == pytest.approx(np.median(plain), rel=0.25)


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
