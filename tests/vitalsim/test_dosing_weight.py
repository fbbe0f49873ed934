"""Dosing by actual, ideal or adjusted body weight, and the patient's height.

The formulas (Devine, adjusted = IBW + 0.4 x excess) over the whole range of heights and
weights; a scenario dosed by ideal weight gives the pump IBW x mg/kg in mg while the PK
keeps the real body; heights come from their own random stream, so every seed still
gives the patients it gave before; bad keys name the file and the key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsim.dosing import (
    ADJUSTED_FRACTION,
    adjusted_body_weight_kg,
    dosing_weight_kg,
    ideal_body_weight_kg,
)
from vitalsim.engine import profile_for, simulate_scenario
from vitalsim.patient import HEIGHT_CM, sample_population, sample_profile
from vitalsim.scenario import ConfigError, Scenario, find_scenario, load_scenario

pytestmark = pytest.mark.unit

heights = st.floats(130.0, 220.0)
weights = st.floats(35.0, 250.0)
sexes = st.sampled_from(["female", "male"])


def test_devine_at_known_heights() -> None:
    # 5 ft exactly: the base weights; 6 ft: 12 inches more.
    assert ideal_body_weight_kg(152.4, "male") == pytest.approx(50.0)
    assert ideal_body_weight_kg(152.4, "female") == pytest.approx(45.5)
    assert ideal_body_weight_kg(182.88, "male") == pytest.approx(50.0 + 12 * 2.3)
    assert ideal_body_weight_kg(182.88, "female") == pytest.approx(45.5 + 12 * 2.3)
    assert adjusted_body_weight_kg(130.0, 70.0) == pytest.approx(70.0 + 0.4 * 60.0)
    out = ideal_body_weight_kg(np.array([152.4, 182.88]), np.array(["male", "female"]))
    np.testing.assert_allclose(out, [50.0, 45.5 + 27.6])


@settings(max_examples=200, deadline=None)
@given(height=heights, weight=weights, sex=sexes)
def test_adjusted_lies_between_ideal_and_actual(height: float, weight: float, sex: str) -> None:
    ibw = ideal_body_weight_kg(height, sex)
    adj = adjusted_body_weight_kg(weight, ibw)
    assert min(ibw, weight) - 1e-9 <= adj <= max(ibw, weight) + 1e-9
    assert adj - ibw == pytest.approx(ADJUSTED_FRACTION * (weight - ibw), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(height=heights, weight=weights, sex=sexes)
def test_dosing_weight_never_exceeds_actual(height: float, weight: float, sex: str) -> None:
    ibw = ideal_body_weight_kg(height, sex)
    ideal = dosing_weight_kg("ideal", weight, height, sex)
    adjusted = dosing_weight_kg("adjusted", weight, height, sex)
    assert dosing_weight_kg("actual", weight, height, sex) == weight
    assert ideal <= weight
    assert adjusted <= weight
    if weight > ibw:  # heavier than ideal (obesity): less drug by ideal than by adjusted
        assert ideal == pytest.approx(ibw)
        assert ideal <= adjusted < weight
    else:  # at or under the ideal weight: the actual weight, whatever the basis
        assert ideal == adjusted == pytest.approx(weight)


def test_bad_inputs_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="dose_weight must be one of actual, ideal, adjusted"):
        dosing_weight_kg("lean", 80.0, 170.0, "male")
    with pytest.raises(ValueError, match="sex must be 'female' or 'male'"):
        ideal_body_weight_kg(170.0, "other")
    with pytest.raises(ValueError, match="height_cm must be a positive number"):
        ideal_body_weight_kg(-1.0, "male")


# The profiles of these seeds as drawn before patients had a height: the height stream
# must not have moved any other draw.
BEFORE_HEIGHT = [
    (0, 0, "female", 47.9, 76.4, "untreated", 137.6, 0.071164335735, 0.207101490761, 17.695963661),
    (0, 1, "female", 57.7, 61.8, "none", 113.0, 0.052146213651, 0.264941129799, 30.351420815),
    (0, 5, "male", 40.0, 87.9, "none", 109.0, 0.01783349492, 0.306123618771, 42.510729084),
    (7, 0, "female", 38.7, 45.0, "none", 105.5, 0.026039037827, 0.663210052414, 26.651912186),
    (7, 5, "male", 50.2, 89.3, "none", 100.5, 0.044364877815, 0.119490775289, 26.037654407),
    (20261121, 5, "female", 18.0, 65.8, "treated", 161.7, 0.065114568555, 0.640466539422,
     35.690872647),
]  # fmt: skip


@pytest.mark.parametrize("row", BEFORE_HEIGHT, ids=lambda r: f"seed{r[0]}-p{r[1]}")
def test_existing_seeds_give_the_same_patients(row: tuple) -> None:
    seed, index, *expected = row
    p = sample_profile(seed, index)
    # (resting BP and the pressor response have their own keyed draws since; the
    # demographics, anxiety and PK drawn around the height must not have moved)
    got = (p.sex, p.age_years, p.weight_kg, p.hypertension, p.anxiety, float(p.pk.v1_l))
    assert got[:4] == tuple(expected[:4])
    np.testing.assert_allclose(got[4:], (expected[6], expected[7]), rtol=1e-9)


def test_heights_follow_sex_and_the_scenario_may_set_them() -> None:
    people = sample_population(600, 3)
    for sex, (mean, sd) in HEIGHT_CM.items():
        h = np.array([p.height_cm for p in people if p.sex == sex])
        assert abs(h.mean() - mean) < 3 * sd / np.sqrt(h.size) + 0.2
        assert 0.8 * sd < h.std() < 1.2 * sd
    assert sample_profile(3, 0).height_cm == sample_profile(3, 0).height_cm  # keyed, repeatable
    sc = Scenario.from_dict(scenario_data(patient={"height_cm": 158.0}))
    assert profile_for(sc, 3).height_cm == 158.0


def scenario_data(protocol: dict | None = None, patient: dict | None = None) -> dict:
    return {
        "scenario": {"name": "dosing weight"},
        "patient": {"sex": "female", "weight_kg": 120.0, "height_cm": 160.0,
                    "motion_artefacts_per_h": 0, **(patient or {})},
        "protocol": {"baseline_min": 5, "dose_mg_per_kg": 0.5, "over_min": 40,
                     "observation_min": 10, **(protocol or {})},
    }  # fmt: skip


@pytest.mark.parametrize("basis", ["actual", "ideal", "adjusted"])
def test_the_pump_gives_mg_per_kg_of_the_dosing_weight(basis: str) -> None:
    """Dosed by ideal weight, the body gets IBW x mg/kg: the PK of that dose is the PK of
    an actual-weight dose scaled by IBW/actual (the model is linear), in the same body."""
    sc = Scenario.from_dict(scenario_data({"dose_weight": basis}))
    ref = Scenario.from_dict(scenario_data())
    cohort, chunk = simulate_scenario(sc, 11)
    _, ref_chunk = simulate_scenario(ref, 11)
    ibw = ideal_body_weight_kg(160.0, "female")
    expected = {"actual": 120.0, "ideal": ibw, "adjusted": ibw + 0.4 * (120.0 - ibw)}[basis]
    assert cohort.dosing_weight_kg[0] == pytest.approx(expected)
    assert cohort.weight_kg[0] == 120.0  # the body is still the real one
    np.testing.assert_allclose(
        chunk.truth["cp"], ref_chunk.truth["cp"] * expected / 120.0, rtol=1e-9, atol=1e-9
    )
    given_mg = chunk.pump_rate.sum() / 3600.0 * cohort.dosing_weight_kg[0]
    assert given_mg == pytest.approx(0.5 * expected)


def test_obese_scenario_dosed_by_adjusted_weight_ships() -> None:
    sc = load_scenario(find_scenario("obese-chronic-pain-adjusted-weight"))
    assert sc.protocol.dose_weight == "adjusted"
    p = profile_for(sc, sc.seed or 0)
    ibw = ideal_body_weight_kg(p.height_cm, p.sex)
    assert p.weight_kg > 1.5 * ibw  # markedly obese
    dosing_kg = dosing_weight_kg("adjusted", p.weight_kg, p.height_cm, p.sex)
    assert ibw < dosing_kg < p.weight_kg


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        ({"protocol": {"dose_weight": "lean"}}, "protocol.dose_weight", "'actual', 'ideal'"),
        ({"protocol": {"dose_weight": 1}}, "protocol.dose_weight", "'actual', 'ideal'"),
        ({"patient": {"height_cm": 300.0}}, "patient.height_cm", "230"),
        ({"patient": {"height_m": 1.7}}, "patient.height_m", "did you mean 'height_cm'"),
    ],
)
def test_bad_values_name_the_file_and_key(
    tmp_path: Path, table: dict, key: str, fragment: str
) -> None:
    lines = ['[scenario]\nname = "x"\n', "[patient]\n", "[protocol]\n"]
    body = {"patient": [], "protocol": ["dose_mg_per_kg = 0.5", "over_min = 40"]}
    for name, values in table.items():
        for k, v in values.items():
            body[name].append(f"{k} = {v!r}".replace("'", '"'))
    text = lines[0] + lines[1] + "\n".join(body["patient"]) + "\n" + lines[2]
    text += "\n".join(body["protocol"]) + "\n"
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    err = info.value
    assert err.path == str(path)
    assert err.key == key, str(err)
    assert fragment in err.reason, str(err)
