"""Who the virtual patient is: demographics, resting vitals and drug sensitivity.

Distributions follow clinical.md (NHANES baselines, ~35% hypertension in depression
clinics); numbers marked (est.) there are calibration choices documented here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

import numpy as np

from vitalsim import pd
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

# Pressor sensitivity: a multiple of the median patient's (1/EC50), lognormal and
# right-skewed but bounded, so the strongest responders are a tail, not a second group.
SENSITIVITY_SIGMA = 0.75  # (est.)
SENSITIVITY_RANGE = (0.2, 5.0)  # x the median, risk included (est.)
SBP_EMAX_BETA = (6.0, 3.0)  # largest SBP rise / baseline = ceiling x Beta(a, b) (est.)
HR_EMAX_BETA = (2.0, 6.0)  # largest HR rise / baseline = ceiling x Beta(a, b) (est.)
DBP_RATIO_MEAN, DBP_RATIO_SD = 0.8, 0.12  # DBP rise per SBP rise (est.; see docs)
COUNTER_FRACTION_RANGE = (1.05, 1.15)  # share of Ce the baroreflex takes back (est.)
COUNTER_TAU_MEDIAN_MIN, COUNTER_TAU_SIGMA = 13.0, 0.3  # its lag (est.)
COUNTER_TAU_RANGE_MIN = (6.0, 30.0)
RISK_MULTIPLIER = 1.5  # age >= 50 or hypertension (clinical.md)
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
# The distributions drawn from before the label's condition (below / at or above 140/90)
# is applied, chosen so that the patients kept have the NHANES means above (est.; the
# untreated come out at about 148/85: a cut at 140 cannot leave a mean much lower).
_BP_DRAW_MEANS: dict[str, tuple[float, float]] = {
    "none": (118.5, 70.0),
    "untreated": (132.0, 78.0),
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
    pressor_sensitivity: float  # x the median patient's, risk included
    sbp_emax_mmhg: float  # largest SBP rise ketamine can cause in this patient
    dbp_ratio: float  # DBP rise as a fraction of the SBP rise
    hr_emax_bpm: float  # largest HR rise
    counter_regulation_fraction: float
    counter_regulation_tau_min: float
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
    # Breathing (vitalsim.ventilation), from a stream of its own ("ventilation"): the
    # defaults are the median patient's.
    etco2_mmhg: float = 38.5
    """Resting end-tidal CO2 (35-42 mmHg)."""
    etco2_gradient_mmhg: float = 3.5
    """PaCO2 minus EtCO2 (2-5 mmHg)."""
    co2_tau_min: float = 10.0
    """Time constant of the body's CO2 stores (8-12 min): apnoea raises PaCO2 by
    PaCO2/tau a minute."""
    ventilatory_sensitivity: float = 1.0
    """Multiple of the median patient's sensitivity of breathing to sedatives."""
    circulation_delay_s: float = 12.0
    """Lung to finger: how late the oximeter sees a change (10-15 s)."""
    midazolam_cl_scale: float = 1.0
    midazolam_v_scale: float = 1.0
    fentanyl_cl_scale: float = 1.0
    fentanyl_v_scale: float = 1.0
    """Between-subject multiples of the co-sedatives' clearance and volumes."""

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


BP_SD = (16.0, 10.0)  # SBP, DBP between patients (clinical.md)
BP_TRUNCATION_SD = 2.5  # a clinic's patients: the far tails are referred, not infused (est.)
NORMOTENSIVE_BELOW = (140.0, 90.0)  # the label's definition: below 140/90
SBP_FLOOR_MMHG = 90.0
_BP_TRIES = 64


def _label_allows(hypertension: str, sbp: float, dbp: float) -> bool:
    """Whether a resting BP fits the patient's hypertension label."""
    high = sbp >= NORMOTENSIVE_BELOW[0] or dbp >= NORMOTENSIVE_BELOW[1]
    if hypertension == "none":
        return not high
    return high if hypertension == "untreated" else True


def draw_resting_bp(rng: np.random.Generator, hypertension: str) -> tuple[float, float]:
    """Resting SBP/DBP consistent with the hypertension label, within 2.5 SD.

    Drawn by rejection from the NHANES means and SDs (correlated, rho 0.6, est.): a
    normotensive patient is below 140/90, an untreated hypertensive at or above it.
    """
    sbp_mean, dbp_mean = _BP_DRAW_MEANS[hypertension]
    k = BP_TRUNCATION_SD
    for _ in range(_BP_TRIES):
        z_sbp, z_other = rng.standard_normal(2)
        z_dbp = 0.6 * z_sbp + 0.8 * z_other
        if abs(z_sbp) > k or abs(z_dbp) > k:
            continue
        sbp = max(sbp_mean + BP_SD[0] * z_sbp, SBP_FLOOR_MMHG)
        dbp = min(dbp_mean + BP_SD[1] * z_dbp, sbp - 25.0)
        if _label_allows(hypertension, sbp, dbp):
            return sbp, dbp
    return _BP_MEANS[hypertension]


def _draw_baselines(
    rng: np.random.Generator, d: dict[str, Any], bp_rng: np.random.Generator
) -> dict[str, Any]:
    hr_mean = 74.0 if d["sex"] == "female" else 71.0
    rng.standard_normal(2)  # the draws BP once took here: keep later draws where they were
    sbp, dbp = draw_resting_bp(bp_rng, d["hypertension"])
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


ETCO2_MEAN_SD_RANGE = (38.5, 2.0, (35.0, 42.0))  # resting EtCO2, mmHg (est., normal 35-45)
ETCO2_GRADIENT_RANGE_MMHG = (2.0, 5.0)
CO2_TAU_RANGE_MIN = (8.0, 12.0)
VENTILATORY_SENSITIVITY_SIGMA = 0.3  # lognormal, median 1 (est.)
VENTILATORY_SENSITIVITY_RANGE = (0.4, 2.5)
CIRCULATION_DELAY_RANGE_S = (10, 15)
CO_SEDATIVE_PK_CV = 0.3  # on clearance and volumes (est.)


def _draw_ventilation(seed: int, index: int) -> dict[str, float]:
    """Breathing and the co-sedatives' PK, from a stream of their own ("ventilation"):
    adding them changed no other draw."""
    rng = generator(seed, index, "ventilation")
    mean, sd, (low, high) = ETCO2_MEAN_SD_RANGE
    z = rng.standard_normal(6)
    u = rng.random(3)
    omega = float(np.sqrt(np.log1p(CO_SEDATIVE_PK_CV**2)))
    lo_d, hi_d = CIRCULATION_DELAY_RANGE_S
    return {
        "etco2_mmhg": round(float(np.clip(mean + sd * z[0], low, high)), 1),
        "etco2_gradient_mmhg": float(np.interp(u[0], (0, 1), ETCO2_GRADIENT_RANGE_MMHG)),
        "co2_tau_min": float(np.interp(u[1], (0, 1), CO2_TAU_RANGE_MIN)),
        "ventilatory_sensitivity": float(
            np.clip(np.exp(VENTILATORY_SENSITIVITY_SIGMA * z[1]), *VENTILATORY_SENSITIVITY_RANGE)
        ),
        "circulation_delay_s": float(lo_d + min(int(u[2] * (hi_d - lo_d + 1)), hi_d - lo_d)),
        "midazolam_cl_scale": float(np.exp(omega * z[2])),
        "midazolam_v_scale": float(np.exp(omega * z[3])),
        "fentanyl_cl_scale": float(np.exp(omega * z[4])),
        "fentanyl_v_scale": float(np.exp(omega * z[5])),
    }


def risk_factor(age_years: float, hypertension: str) -> float:
    """x1.5 for age >= 50 or hypertension (clinical.md)."""
    return RISK_MULTIPLIER if age_years >= 50 or hypertension != "none" else 1.0


def _draw_sensitivity(
    rng: np.random.Generator,
    risk: float,
    scale: float | None,
    rest: tuple[float, float, float],
) -> dict:
    """The pressor response: sensitivity (x the median), its ceilings and its timing.

    ``rest`` is the resting SBP, DBP and HR the ceilings are fractions of."""
    sbp, dbp, hr = rest
    z = rng.standard_normal()
    lo, hi = SENSITIVITY_RANGE
    sens = float(np.exp(SENSITIVITY_SIGMA * z)) if scale is None else scale
    tau = float(np.exp(np.log(COUNTER_TAU_MEDIAN_MIN) + COUNTER_TAU_SIGMA * rng.standard_normal()))
    sbp_emax = pd.SBP_EMAX_CEILING * float(rng.beta(*SBP_EMAX_BETA)) * sbp
    ratio = float(np.clip(rng.normal(DBP_RATIO_MEAN, DBP_RATIO_SD), 0.5, 0.95))
    return {
        "pressor_sensitivity": float(np.clip(sens * risk, lo, hi)),
        "sbp_emax_mmhg": sbp_emax,
        "dbp_ratio": min(ratio, pd.DBP_EMAX_CEILING * dbp / sbp_emax),
        "hr_emax_bpm": pd.HR_EMAX_CEILING * float(rng.beta(*HR_EMAX_BETA)) * hr,
        "counter_regulation_fraction": float(rng.uniform(*COUNTER_FRACTION_RANGE)),
        "counter_regulation_tau_min": float(np.clip(tau, *COUNTER_TAU_RANGE_MIN)),
    }


def _draw_other_sensitivity(rng: np.random.Generator) -> dict:
    rng.standard_normal(3)  # the draws the pressor slopes once took here: keep later ones
    rng.random()
    return {
        "rr_slope_per_min_per_ng_ml": float(rng.uniform(0.0, 0.01)),
        "dissociation_ec50_ng_ml": 150.0 * float(np.exp(0.35 * rng.standard_normal())),
    }


def pressor_response(profiles: Sequence[PatientProfile]) -> pd.PressorResponse:
    """The cohort's haemodynamic sensitivities as arrays, for the vectorised model."""

    def arr(name: str) -> np.ndarray:
        return np.array([float(getattr(p, name)) for p in profiles])

    return pd.PressorResponse(
        sbp_emax_mmhg=arr("sbp_emax_mmhg"),
        dbp_ratio=arr("dbp_ratio"),
        hr_emax_bpm=arr("hr_emax_bpm"),
        ec50_ng_ml=pd.PRESSOR_EC50_NG_ML / arr("pressor_sensitivity"),
        counter_fraction=arr("counter_regulation_fraction"),
        counter_tau_s=60.0 * arr("counter_regulation_tau_min"),
    )


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
    "etco2_mmhg",
    "ventilatory_sensitivity",
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
    base = _draw_baselines(rng, demo, generator(seed, index, "resting_bp")) | {
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
    sens = _draw_sensitivity(
        generator(seed, index, "pressor"),
        risk,
        getattr(spec, "sbp_sensitivity", None),
        (base["sbp_mmhg"], base["dbp_mmhg"], base["hr_bpm"]),
    ) | _draw_other_sensitivity(rng)
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
    breathing = _draw_ventilation(seed, index) | {
        k: float(v) for k, v in given.items() if k in ("etco2_mmhg", "ventilatory_sensitivity")
    }
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
        **breathing,
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
