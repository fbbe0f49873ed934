"""The virtual population measured as the studies measured theirs, against their figures.

One population of 10,000 patients (seed 2026) on the depression protocol, 0.5 mg/kg over
40 min with NIBP every 5 min in the baseline, 10 min in the infusion and 15 min after
(as in Riva-Posse 2018), computed once for the module: the means and their confidence
intervals (Vankawala 2021), the time-point curve (Riva-Posse 2018), and the tails.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vitalsim.population import PUBLISHED
from vitalsim.scenario import load_scenario
from vitalsim.study import CSV_COLUMNS, MeasuredPopulation, measure_population

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "config" / "scenarios" / "uneventful-depression.toml"
SEED = 2026
N_TAILS = 10_000


@pytest.fixture(scope="module")
def measured() -> MeasuredPopulation:
    return measure_population(load_scenario(SCENARIO), N_TAILS, SEED)


@pytest.fixture(scope="module")
def stats(measured: MeasuredPopulation) -> dict[str, float]:
    return measured.stats()


def _within(stats: dict[str, float], key: str) -> None:
    _value, low, high, source = PUBLISHED[key]
    assert low <= stats[key] <= high, f"{key} = {stats[key]:.2f}, {source}: {low}-{high}"


# --------------------------------------------------------------------------- the means


@pytest.mark.parametrize(
    "key",
    [
        "mean_peak_dsbp_mmhg",  # Vankawala 2021: +12.6 (10.4-14.8)
        "mean_peak_ddbp_mmhg",  # +8.5 (6.9-10.1)
        "mean_peak_dhr_bpm",  # +4.1 (0.6-7.6)
        "mean_dsbp_30min_mmhg",  # Riva-Posse 2018: +3.3 at 30 min
        "mean_ddbp_30min_mmhg",  # +3.2 at 30 min
    ],
)
def test_measured_mean_matches_the_published_figure(stats: dict[str, float], key: str) -> None:
    _within(stats, key)


def test_the_mean_change_is_largest_at_30_min(measured: MeasuredPopulation) -> None:
    """Riva-Posse 2018: the mean change at each reading is largest at 30 min."""
    curve = np.nanmean(measured.curve_dsys, axis=0)
    at = dict(zip(measured.curve_min.tolist(), curve.tolist(), strict=True))
    assert max(at, key=lambda m: at[m]) == 30.0
    # ... and the readings after the infusion are back at (or below) the baseline
    assert all(at[m] < 1.0 for m in at if m >= 70.0 and np.isfinite(at[m]))


def test_individual_peaks_are_spread_and_centred_on_the_infusion(
    measured: MeasuredPopulation,
) -> None:
    t_peak = measured.columns["t_peak_min"]
    assert 20.0 <= float(np.nanmedian(t_peak)) <= 40.0
    # not everyone at the same reading: the highest reading falls on several of them
    counts = np.unique(np.round(t_peak[np.isfinite(t_peak)] / 5.0), return_counts=True)[1]
    assert (counts >= 0.05 * t_peak.size).sum() >= 4


def test_noise_accounts_for_much_of_the_measured_peak(measured: MeasuredPopulation) -> None:
    """The highest of several noisy readings overshoots the true peak (clinical.md):
    the measured mean peak sits well above the drug's own."""
    c = measured.columns
    dsys = c["peak_sys"] - c["baseline_sys"]
    assert np.nanmean(dsys) - np.nanmean(c["true_peak_dsbp"]) >= 3.0


def test_most_are_back_near_baseline_by_the_end_of_observation(
    measured: MeasuredPopulation,
) -> None:
    # Szarmach 2020: all back within 1.5 h; the depression protocol observes for 1 h
    back = measured.columns["t_baseline_min"]
    assert np.mean(np.isfinite(back)) >= 0.85


# --------------------------------------------------------------------------- the tails


def test_a_large_rise_in_one_session_is_rare(stats: dict[str, float]) -> None:
    """The label's 8-19% counts four weeks of dosing; per session it is much rarer."""
    _within(stats, "frac_rise_40_25")
    assert stats["frac_rise_40_25"] > 0.0  # rare, not impossible


def test_99th_centile_of_the_measured_peak_rise_is_at_most_50(stats: dict[str, float]) -> None:
    _within(stats, "p99_peak_dsbp_mmhg")


def test_no_reading_or_true_value_reaches_240_systolic_or_140_diastolic(
    measured: MeasuredPopulation,
) -> None:
    assert np.nanmax(measured.max_sys_reading) < 240.0
    assert np.nanmax(measured.max_dia_reading) < 140.0
    assert np.nanmax(measured.max_true_sys) < 240.0
    assert np.nanmax(measured.max_true_dia) < 140.0


def test_normotensive_patients_rest_below_140_90(measured: MeasuredPopulation) -> None:
    """Their resting BP fits the label; only white-coat anxiety and the cuff's error lift
    some measured baselines above it, and those not far."""
    c = measured.columns
    none = c["hypertension"] == "none"
    high = (c["baseline_sys"][none] >= 140.0) | (c["baseline_dia"][none] >= 90.0)
    assert np.mean(high) <= 0.15
    assert np.nanmean(c["baseline_sys"][none]) < 125.0
    assert np.nanpercentile(c["baseline_sys"][none], 99) < 155.0


def test_a_double_dose_stays_bounded(tmp_path: Path, measured: MeasuredPopulation) -> None:
    """1 mg/kg over 40 min: larger rises, still within the ceiling (+40% of baseline)."""
    text = SCENARIO.read_text(encoding="utf-8").replace(
        "dose_mg_per_kg = 0.5", "dose_mg_per_kg = 1.0"
    )
    path = tmp_path / "double-dose.toml"
    path.write_text(text, encoding="utf-8")
    double = measure_population(load_scenario(path), 2000, SEED)
    c2, c1 = double.columns, measured.columns
    # the same first 2,000 patients, twice the dose: larger rises, less than twice as large
    single = c1["true_peak_dsbp"][:2000]
    assert np.mean(single) < np.mean(c2["true_peak_dsbp"]) < 2.0 * np.mean(single)
    assert np.nanmax(double.max_true_sys) < 260.0
    assert np.nanmax(double.max_true_dia) < 150.0
    assert np.nanpercentile(c2["peak_sys"] - c2["baseline_sys"], 99) <= 60.0


# --------------------------------------------------------------------------- the CLI


def test_population_cli_writes_one_row_per_patient_and_reports_both_views(
    tmp_path: Path,
) -> None:
    out = tmp_path / "patients.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "vitalsim.cli", "population", "--n", "60", "--seed", "4",
         "--patients", str(out), "--json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["measured"]["n"] == 60
    assert set(report["noise_free"]) >= {"mean_peak_dsbp_mmhg", "median_time_to_peak_min"}
    assert report["published"]["mean_peak_dsbp_mmhg"]["value"] == 12.6
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(r["patient"]) for r in rows] == list(range(60))
    peaks = [float(r["peak_sys"]) - float(r["baseline_sys"]) for r in rows]
    assert np.mean(peaks) == pytest.approx(report["measured"]["mean_peak_dsbp_mmhg"], abs=0.01)
    assert {r["hypertension"] for r in rows} <= {"none", "treated", "untreated"}


@pytest.mark.parametrize(
    ("path", "why"),
    [("patients.txt", "written as CSV"), ("no/such/folder/p.csv", "does not exist")],
)
def test_population_cli_refuses_a_bad_patients_file(tmp_path: Path, path: str, why: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "vitalsim.cli", "population", "--n", "5",
         "--patients", str(tmp_path / path)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert why in proc.stderr
    assert "Traceback" not in proc.stderr
