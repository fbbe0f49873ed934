"""Who the virtual patient is: demographics, resting vitals and drug sensitivity.

Distributions follow clinical.md (NHANES baselines, ~35% hypertension in depression
clinics); numbers marked (est.) there are calibration choices documented here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

import numpy as np

from vitalsim._rng import generator
from vitalsim.pk import (
    ESKETAMINE_BIOAVAILABILITY,
    ESKETAMINE_BIOAVAILABILITY_SD_LOGIT,
    ESKETAMINE_NASAL_KA_CV,
    ESKETAMINE_NASAL_KA_PER_MIN,
    PKParameters,
    sample_pk_parameters,
)

Sex = Literal["female", "male"]
Hypertension = Literal["none", "treated", "untreated"]

SBP_SLOPE_MEDIAN = 0.022  # mmHg per ng/mL of effect-site ketamine, ordinary responders (est.)
SBP_SLOPE_SIGMA = 0.6  # lognormal sigma (est.); with the strong responders the CV is ~150%
DBP_RATIO_MEAN, DBP_RATIO_SD = 0.66, 0.14  # DBP rise per SBP rise; 8.5/12.6 published
HR_SLOPE_MEDIAN = 0.015  # bpm per ng/mL (est.)
HR_SLOPE_SIGMA = 0.6
RISK_MULTIPLIER = 1.5  # age >= 50 or hypertension (clinical.md)
# A lognormal alone cannot give both the published mean rise (+12.6 mmHg) and the 8-19%
# with a rise >= 40/25 mmHg: a minority of strong responders supplies that tail (est.).
STRONG_RESPONDER_FRACTION = 0.13
STRONG_SLOPE_MEDIAN = 0.24  # mmHg per ng/mL (est.)
STRONG_SLOPE_SIGMA = 0.4
PK_CV = 0.4  # between-subject variability on clearances and volumes (est., clinical.md)

# Adult height by sex, cm: mean (NHANES 2015-2018, Fryar et al. 2021) and SD (est.).
HEIGHT_CM: dict[str, tuple[float, float]] = {"female": (161.7, 7.1), "male": (175.4, 7.6)}
HEIGHT_RANGE_CM: dict[str, tuple[float, float]] = {"female": (140.0, 190.0), "male": (150.0, 205.0)}

# NHANES-based baselines (clinical.md): SBP/DBP by hypertension status.
_BP_MEANS: dict[str, tuple[float, float]] = {
    "none": (116.0, 69.0),
    "untreated": (146.0, 85.0),
    "treated": (130.0, 75.0),
}


@dataclass(frozen=True)
class PatientProfile:
    """A complete virtual patient; every field is fixed for the session."""

    age_years: float
    sex: Sex
    weight_kg: float
    hypertension: Hypertension
    anxiety: float  # white-coat anxiety at baseline, 0..1
    hr_bpm: float
    sbp_mmhg: float
    dbp_mmhg: float
    spo2_pct: float
    rr_per_min: float
    sbp_slope_mmhg_per_ng_ml: float
    dbp_ratio: float  # DBP rise as a fraction of the SBP rise
    hr_slope_bpm_per_ng_ml: float
    rr_slope_per_min_per_ng_ml: float
    dissociation_ec50_ng_ml: float
    motion_artefacts_per_h: float
    pk_model: str
    pk: PKParameters
    height_cm: float
    """Drawn with its own random stream (see :func:`_draw_height`): it sets the ideal body
    weight a dose may be per (vitalsim.dosing), nothing else."""
    nasal_ka_per_min: float
    """How fast this patient absorbs a nasal spray, and how much of it (esketamine)."""
    nasal_bioavailability: float

    @property
    def at_risk(self) -> bool:
        """Age >= 50 or hypertension: larger BP rises (clinical.md)."""
        return self.age_years >= 50 or self.hypertension != "none"

    @property
    def map_mmhg(self) -> float:
        return self.dbp_mmhg + (self.sbp_mmhg - self.dbp_mmhg) / 3.0


def _draw_demographics(rng: np.random.Generator) -> dict[str, Any]:
    sex: Sex = "female" if rng.random() < 0.6 else "male"
    age = float(np.clip(rng.normal(45.0, 14.0), 18.0, 85.0))
    weight = float(np.clip(rng.normal(75.0 if sex == "female" else 88.0, 16.0), 45.0, 160.0))
    u = rng.random()
    hypertension: Hypertension = "none" if u >= 0.35 else ("treated" if u < 0.21 else "untreated")
    return {
        "sex": sex,
        "age_years": round(age, 1),
        "weight_kg": round(weight, 1),
        "hypertension": hypertension,
    }


def _draw_baselines(rng: np.random.Generator, d: dict[str, Any]) -> dict[str, Any]:
    hr_mean = 74.0 if d["sex"] == "female" else 71.0
    sbp_mean, dbp_mean = _BP_MEANS[d["hypertension"]]
    z_sbp, z_other = rng.standard_normal(2)
    z_dbp = 0.6 * z_sbp + 0.8 * z_other  # SBP and DBP correlate (est. rho 0.6)
    sbp = float(np.clip(sbp_mean + 16.0 * z_sbp, 90.0, 200.0))
    dbp = float(np.clip(dbp_mean + 10.0 * z_dbp, 45.0, sbp - 25.0))
    # SpO2 falls with age: 98.0% at 18-24 to 95.8% at >= 65 (BTS).
    spo2_mean = 98.0 - 2.2 * np.clip((d["age_years"] - 21.0) / 44.0, 0.0, 1.0)
    return {
        "hr_bpm": round(float(np.clip(rng.normal(hr_mean, 11.0), 48.0, 115.0)), 1),
        "sbp_mmhg": round(sbp, 1),
        "dbp_mmhg": round(dbp, 1),
        "spo2_pct": round(float(np.clip(rng.normal(spo2_mean, 1.0), 93.0, 100.0)), 1),
        "rr_per_min": round(float(np.clip(rng.normal(15.0, 3.0), 11.0, 22.0)), 1),
    }


def _draw_height(seed: int, index: int, sex: str) -> float:
    """Height by sex, from a stream of its own ("height"): adding it changed no other draw,
    so every seed gives the patients it gave before, now with a height."""
    mean, sd = HEIGHT_CM[sex]
    low, high = HEIGHT_RANGE_CM[sex]
    z = generator(seed, index, "height").standard_normal()
    return round(float(np.clip(mean + sd * z, low, high)), 1)


def _draw_absorption(seed: int, index: int) -> dict[str, float]:
    """Nasal absorption rate and bioavailability (Perez-Ruixo 2021 spread, label mean),
    from a stream of their own ("absorption")."""
    z_ka, z_f = generator(seed, index, "absorption").standard_normal(2)
    omega = float(np.sqrt(np.log1p(ESKETAMINE_NASAL_KA_CV**2)))
    logit = float(np.log(ESKETAMINE_BIOAVAILABILITY / (1.0 - ESKETAMINE_BIOAVAILABILITY)))
    return {
        "nasal_ka_per_min": ESKETAMINE_NASAL_KA_PER_MIN * float(np.exp(omega * z_ka)),
        "nasal_bioavailability": 1.0
        / (1.0 + float(np.exp(-(logit + ESKETAMINE_BIOAVAILABILITY_SD_LOGIT * z_f)))),
    }


def risk_factor(age_years: float, hypertension: str) -> float:
    """x1.5 for age >= 50 or hypertension (clinical.md)."""
    return RISK_MULTIPLIER if age_years >= 50 or hypertension != "none" else 1.0


def _draw_sensitivity(rng: np.random.Generator, risk: float, scale: float | None) -> dict:
    z_bp, z_hr_own = rng.standard_normal(2)
    strong = rng.random() < STRONG_RESPONDER_FRACTION
    z_hr = 0.5 * z_bp + 0.866 * z_hr_own  # responders tend to respond in HR too (est.)
    if scale is None:
        median, sigma = (
            (STRONG_SLOPE_MEDIAN, STRONG_SLOPE_SIGMA)
            if strong
            else (SBP_SLOPE_MEDIAN, SBP_SLOPE_SIGMA)
        )
        sbp_slope = median * float(np.exp(sigma * z_bp)) * risk
    else:
        sbp_slope = SBP_SLOPE_MEDIAN * scale * risk
    return {
        "sbp_slope_mmhg_per_ng_ml": sbp_slope,
        "dbp_ratio": float(np.clip(rng.normal(DBP_RATIO_MEAN, DBP_RATIO_SD), 0.4, 1.0)),
        "hr_slope_bpm_per_ng_ml": HR_SLOPE_MEDIAN * float(np.exp(HR_SLOPE_SIGMA * z_hr)) * risk,
        "rr_slope_per_min_per_ng_ml": float(rng.uniform(0.0, 0.01)),
        "dissociation_ec50_ng_ml": 150.0 * float(np.exp(0.35 * rng.standard_normal())),
    }


_SPEC_FIELDS = (
    "age_years",
    "sex",
    "weight_kg",
    "hypertension",
    "anxiety",
    "hr_bpm",
    "sbp_mmhg",
    "dbp_mmhg",
    "spo2_pct",
    "rr_per_min",
    "motion_artefacts_per_h",
    "height_cm",
)


def sample_profile(
    seed: int, index: int = 0, spec: Any = None, pk_model: str = "kamp"
) -> PatientProfile:
    """Draw patient ``index`` of the population for ``seed``; fields given in ``spec`` win.

    ``spec`` is any object with optional attributes named like the profile fields (the
    scenario's [patient] table), plus ``sbp_sensitivity`` as a multiple of the median.
    Demographics given explicitly change what is drawn after them (baselines follow the
    given hypertension status), so a partial spec still yields a coherent patient.
    """
    given = {f: getattr(spec, f) for f in _SPEC_FIELDS if getattr(spec, f, None) is not None}
    rng = generator(seed, index, "profile")
    demo = _draw_demographics(rng) | {
        k: v for k, v in given.items() if k in ("age_years", "sex", "weight_kg", "hypertension")
    }
    base = _draw_baselines(rng, demo) | {
        k: v
        for k, v in given.items()
        if k in ("hr_bpm", "sbp_mmhg", "dbp_mmhg", "spo2_pct", "rr_per_min")
    }
    # One pressure given, the other drawn: keep the drawn one on its side of the given one
    # with the pulse pressure drawn pairs have (>= 25 mmHg), or DBP could exceed SBP.
    if "sbp_mmhg" in given and "dbp_mmhg" not in given:
        base["dbp_mmhg"] = min(base["dbp_mmhg"], base["sbp_mmhg"] - 25.0)
    elif "dbp_mmhg" in given and "sbp_mmhg" not in given:
        base["sbp_mmhg"] = max(base["sbp_mmhg"], base["dbp_mmhg"] + 25.0)
    risk = risk_factor(demo["age_years"], demo["hypertension"])
    sens = _draw_sensitivity(rng, risk, getattr(spec, "sbp_sensitivity", None))
    anxiety = given.get("anxiety", float(rng.beta(2.0, 4.0)))
    motion = given.get("motion_artefacts_per_h", float(np.exp(rng.normal(np.log(2.0), 0.5))))
    pk = sample_pk_parameters(
        pk_model, np.array([float(demo["weight_kg"])]), generator(seed, index, "pk"), cv=PK_CV
    )
    pk = PKParameters(
        **{
            f.name: float(np.asarray(getattr(pk, f.name)).reshape(-1)[0])
            for f in fields(PKParameters)
        }
    )
    height = given.get("height_cm", _draw_height(seed, index, demo["sex"]))
    return PatientProfile(
        **demo,
        **base,
        **sens,
        anxiety=float(anxiety),
        motion_artefacts_per_h=float(motion),
        pk_model=pk_model,
        pk=pk,
        height_cm=float(height),
        **_draw_absorption(seed, index),
    )


def sample_population(n: int, seed: int, pk_model: str = "kamp") -> list[PatientProfile]:
    """``n`` independent patients; patient ``i`` is the same whatever ``n`` is."""
    return [sample_profile(seed, i, None, pk_model) for i in range(n)]


def with_overrides(profile: PatientProfile, **changes: Any) -> PatientProfile:
    return replace(profile, **changes)


def stacked_pk(profiles: Sequence[PatientProfile]) -> PKParameters:
    """One PKParameters whose fields hold every patient's value, for batched solving."""
    return PKParameters(**{
        f.name: np.array([getattr(p.pk, f.name) for p in profiles]) for f in fields(PKParameters)
    })  # fmt: skip
