"""Measure a virtual population as a study measures its patients.

Runs the whole engine (drift, anxiety, the cuff's schedule and error) for the protocol of
a scenario, without its scripted events or actions, and reads each patient like the
published studies did: baseline is the mean of the last two NIBP readings before the
infusion, the peak is the highest reading during the infusion and observation, HR is a
1-min median, and the reading nearest 30 min after the start gives the time-point
change (Riva-Posse 2018). These measured figures, not the noise-free response, are what
the calibration targets.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitalsim.engine import Chunk, Cohort, run_batch, scheduled_actions
from vitalsim.patient import PatientProfile, sample_profile
from vitalsim.population import (
    BACK_WITHIN_MMHG,
    CSV_COLUMNS,
    PUBLISHED,
    drug_response,
    population_stats,
)
from vitalsim.scenario import Scenario

HR_WINDOW_S = 60
CHANGE_AT_MIN = 30.0
NEAREST_WITHIN_MIN = 4.0  # a reading counts for a time point this close to it
_CHUNK = 200


@dataclass(frozen=True)
class MeasuredPopulation:
    """One row per patient (columns as :data:`CSV_COLUMNS`), plus what the tails need."""

    columns: dict[str, np.ndarray]
    max_sys_reading: np.ndarray
    max_dia_reading: np.ndarray
    max_true_sys: np.ndarray
    max_true_dia: np.ndarray
    curve_min: np.ndarray  # nominal reading times from the start
    curve_dsys: np.ndarray  # (N, len(curve_min)) change from baseline, NaN if no reading
    curve_ddia: np.ndarray
    infusion_min: float

    @property
    def n(self) -> int:
        return int(self.columns["patient"].size)

    def rows(self) -> list[dict[str, object]]:
        out = []
        for i in range(self.n):
            row: dict[str, object] = {}
            for c in CSV_COLUMNS:
                v = self.columns[c][i]
                row[c] = v if isinstance(v, str) else _plain(float(v))
            row["patient"] = int(self.columns["patient"][i])
            out.append(row)
        return out

    def stats(self) -> dict[str, float]:
        c = self.columns
        dsys = c["peak_sys"] - c["baseline_sys"]
        ddia = c["peak_dia"] - c["baseline_dia"]
        back = c["t_baseline_min"]
        with warnings.catch_warnings():  # a time point nobody reached is NaN, not an error
            warnings.simplefilter("ignore", RuntimeWarning)
            curve_s = np.nanmean(self.curve_dsys, axis=0)
            curve_d = np.nanmean(self.curve_ddia, axis=0)
        return {
            "n": self.n,
            "mean_peak_dsbp_mmhg": _mean(dsys),
            "mean_peak_ddbp_mmhg": _mean(ddia),
            "mean_peak_dhr_bpm": _mean(c["peak_hr"] - c["baseline_hr"]),
            "mean_dsbp_30min_mmhg": _mean(c["sys_30min"] - c["baseline_sys"]),
            "mean_ddbp_30min_mmhg": _mean(c["dia_30min"] - c["baseline_dia"]),
            "frac_rise_40_25": float(np.nanmean((dsys >= 40) | (ddia >= 25))),
            "p99_peak_dsbp_mmhg": float(np.nanpercentile(dsys, 99)),
            "max_peak_dsbp_mmhg": float(np.nanmax(dsys)),
            "max_sys_reading_mmhg": float(np.nanmax(self.max_sys_reading)),
            "max_dia_reading_mmhg": float(np.nanmax(self.max_dia_reading)),
            "max_true_sys_mmhg": float(np.nanmax(self.max_true_sys)),
            "max_true_dia_mmhg": float(np.nanmax(self.max_true_dia)),
            "median_time_to_peak_min": float(np.nanmedian(c["t_peak_min"])),
            "frac_back_by_end": float(np.mean(np.isfinite(back))),
            "frac_baseline_sys_ge_140_none": _frac_high(c, "none"),
            "time_of_largest_mean_change_min": float(self.curve_min[np.nanargmax(curve_s)]),
            **{
                f"mean_dsbp_at_{m:g}min": _plain(float(v))
                for m, v in zip(self.curve_min, curve_s, strict=True)
            },
            **{
                f"mean_ddbp_at_{m:g}min": _plain(float(v))
                for m, v in zip(self.curve_min, curve_d, strict=True)
            },
        }


def _plain(v: float) -> float | None:
    return round(v, 2) if math.isfinite(v) else None


def _mean(a: np.ndarray) -> float:
    return float(np.nanmean(a))


def _frac_high(c: dict[str, np.ndarray], label: str) -> float:
    mask = c["hypertension"] == label
    if not mask.any():
        return float("nan")
    high = (c["baseline_sys"][mask] >= 140) | (c["baseline_dia"][mask] >= 90)
    return float(np.mean(high))


def _nominal_times(scenario: Scenario) -> np.ndarray:
    """The cuff's planned readings from the infusion start: during and after it."""
    proto, nibp = scenario.protocol, scenario.nibp
    inf_every = nibp.interval_s("infusion") / 60.0
    obs_every = nibp.interval_s("observation") / 60.0
    during = np.arange(inf_every, proto.infusion_min + 1e-9, inf_every)
    after = proto.infusion_min + np.arange(obs_every, proto.observation_min - 1e-9, obs_every)
    return np.concatenate([during, after])


def measure_population(
    scenario: Scenario,
    n: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> MeasuredPopulation:
    """``n`` population patients (not the scenario's own) under the scenario's protocol."""
    proto = scenario.protocol
    start_s = scenario.timeline.infusion_start_s
    end_s = math.ceil(scenario.timeline.end_s)
    plan = scheduled_actions(scenario, follow_script=False)
    nominal = _nominal_times(scenario)
    parts: list[dict[str, np.ndarray]] = []
    for i0 in range(0, n, _CHUNK):
        ids = list(range(i0, min(n, i0 + _CHUNK)))
        profiles = [sample_profile(seed, i, None, proto.pk_model) for i in ids]
        cohort = Cohort.build(profiles, seed, scenario.nibp, patient_ids=ids, dosing=proto.dosing)
        chunk = run_batch(cohort, end_s, plan)
        part = _read_chunk(chunk, ids, profiles, start_s, nominal)
        true_peak = drug_response(
            profiles,
            proto.infusion_rate_mg_per_kg_h,
            proto.infusion_min,
            proto.observation_min,
            dosing=proto.dosing,
        )
        part["true_peak_dsbp"] = true_peak.dsbp.max(axis=1)
        parts.append(part)
        if progress:
            progress(len(ids))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return MeasuredPopulation(
        columns={c: cols[c] for c in CSV_COLUMNS},
        max_sys_reading=cols["_max_sys"],
        max_dia_reading=cols["_max_dia"],
        max_true_sys=cols["_max_true_sys"],
        max_true_dia=cols["_max_true_dia"],
        curve_min=nominal,
        curve_dsys=cols["_curve_dsys"],
        curve_ddia=cols["_curve_ddia"],
        infusion_min=proto.infusion_min,
    )


def _read_chunk(
    chunk: Chunk,
    ids: list[int],
    profiles: list[PatientProfile],
    start_s: float,
    nominal: np.ndarray,
) -> dict[str, np.ndarray]:
    out: dict[str, list] = {}

    def put(key: str, value: object) -> None:
        out.setdefault(key, []).append(value)

    for j, pid in enumerate(ids):
        m = chunk.measured[j]
        ok = [r for r in m.nibp if r.ok]
        before = [r for r in ok if r.t_s < start_s][-2:]
        after = [r for r in ok if r.t_s >= start_s]
        b_sys = np.mean([r.sys for r in before]) if len(before) == 2 else np.nan
        b_dia = np.mean([r.dia for r in before]) if len(before) == 2 else np.nan
        t_after = np.array([(r.t_s - start_s) / 60.0 for r in after])
        sys_after = np.array([r.sys for r in after], dtype=float)
        dia_after = np.array([r.dia for r in after], dtype=float)
        hr_min = _minute_medians(m.hr)
        first = int(start_s // HR_WINDOW_S)
        b_hr = float(np.mean(hr_min[first - 2 : first])) if first >= 2 else np.nan
        if after:
            k = int(np.argmax(sys_after))
            peak_sys, peak_dia, t_peak = sys_after[k], dia_after.max(), t_after[k]
            later = (t_after > t_peak) & (sys_after <= b_sys + BACK_WITHIN_MMHG)
            t_back = t_after[np.argmax(later)] if later.any() else np.nan
        else:
            peak_sys = peak_dia = t_peak = t_back = np.nan
        curve_s, curve_d = (
            _at_times(t_after, sys_after, nominal),
            _at_times(t_after, dia_after, nominal),
        )
        p = profiles[j]
        put("patient", pid)
        put("weight_kg", p.weight_kg)
        put("hypertension", p.hypertension)
        put("baseline_sys", b_sys)
        put("baseline_dia", b_dia)
        put("baseline_hr", b_hr)
        put("peak_sys", peak_sys)
        put("peak_dia", peak_dia)
        put("peak_hr", float(np.max(hr_min[first:])) if hr_min.size > first else np.nan)
        i30 = int(np.argmin(np.abs(nominal - CHANGE_AT_MIN)))
        put("sys_30min", curve_s[i30])
        put("dia_30min", curve_d[i30])
        put("t_peak_min", t_peak)
        put("t_baseline_min", t_back)
        put("_max_sys", max((r.sys for r in ok), default=np.nan))
        put("_max_dia", max((r.dia for r in ok), default=np.nan))
        put("_max_true_sys", float(chunk.truth["sbp"][j].max()))
        put("_max_true_dia", float(chunk.truth["dbp"][j].max()))
        put("_curve_dsys", curve_s - b_sys)
        put("_curve_ddia", curve_d - b_dia)
    return {k: np.array(v) for k, v in out.items()}


def _minute_medians(hr: np.ndarray) -> np.ndarray:
    """HR as 1-min medians on the session clock (what a study charts), NaN-free."""
    whole = (hr.size // HR_WINDOW_S) * HR_WINDOW_S
    return np.nanmedian(hr[:whole].reshape(-1, HR_WINDOW_S), axis=1)


def _at_times(t_min: np.ndarray, values: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """The reading nearest each nominal time (NaN when none is close enough)."""
    if t_min.size == 0:
        return np.full(nominal.size, np.nan)
    idx = np.abs(t_min[None, :] - nominal[:, None]).argmin(axis=1)
    near = np.abs(t_min[idx] - nominal) <= NEAREST_WITHIN_MIN
    return np.where(near, values[idx], np.nan)


def noise_free_stats(scenario: Scenario, n: int, seed: int) -> dict[str, float]:
    """The drug response alone for the same patients, beside the measured figures."""
    proto = scenario.protocol
    profiles = [sample_profile(seed, i, None, proto.pk_model) for i in range(n)]
    return population_stats(
        profiles, proto.infusion_rate_mg_per_kg_h, proto.infusion_min, dosing=proto.dosing
    ).as_dict()


def write_patients_csv(measured: MeasuredPopulation, path: Path) -> None:
    """One row per patient, the columns of :data:`CSV_COLUMNS`; empty where not measured."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        for row in measured.rows():
            w.writerow({k: "" if v is None else v for k, v in row.items()})


__all__ = [
    "CSV_COLUMNS",
    "PUBLISHED",
    "MeasuredPopulation",
    "measure_population",
    "noise_free_stats",
    "write_patients_csv",
]
