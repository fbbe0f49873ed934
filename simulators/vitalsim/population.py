"""Statistics of a virtual population beside the published figures (clinical.md).

Computed on noise-free values: the drug response alone (PK, PD and counter-regulation),
without physiological drift, anxiety or measurement error, from the infusion start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from vitalsim import pd
from vitalsim.dosing import Dosing
from vitalsim.engine import Cohort, drug_course
from vitalsim.patient import PatientProfile, stacked_pk
from vitalsim.pk import LinearPK
from vitalsim.scenario import NibpSettings

BASELINE_RISE_MMHG = 5.0  # within-person SBP variation is +-5-8 mmHg (clinical.md)
PLATEAU_FRACTION = 0.95
FOLLOW_UP_MIN = 180.0
_CHUNK = 100  # patients per vectorised pass (bounded memory)

PUBLISHED = {
    "mean_peak_dsbp_mmhg": (12.6, 10.4, 14.8, "Vankawala 2021, 95% CI"),
    "mean_peak_ddbp_mmhg": (8.5, 6.9, 10.1, "Vankawala 2021, 95% CI"),
    "mean_peak_dhr_bpm": (4.1, 0.6, 7.6, "Vankawala 2021, 95% CI"),
    "frac_rise_40_25": (None, 0.08, 0.19, "esketamine label, >= 40/25 mmHg"),
    "median_time_to_peak_min": (None, 30.0, 40.0, "Riva-Posse 2018; Szarmach 2020"),
}


@dataclass(frozen=True)
class PopulationStats:
    n: int
    mean_peak_dsbp_mmhg: float
    mean_peak_ddbp_mmhg: float
    mean_peak_dhr_bpm: float
    frac_rise_40_25: float
    median_time_to_peak_min: float
    median_time_to_baseline_min: float
    frac_baseline_within_90min_of_end: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class DrugResponse:
    """Noise-free rises, (N, T), on a 1 s grid from the infusion start."""

    t_min: np.ndarray
    dsbp: np.ndarray
    ddbp: np.ndarray
    dhr: np.ndarray


def drug_response(
    profiles: Sequence[PatientProfile],
    rate_mg_per_kg_h: float,
    infusion_min: float,
    follow_up_min: float = FOLLOW_UP_MIN,
    *,
    dosing: Dosing | None = None,
) -> DrugResponse:
    """The rise in SBP, DBP and HR that the drug alone causes in each patient.

    Without ``dosing``: racemic ketamine at ``rate_mg_per_kg_h`` per kg of actual weight
    for ``infusion_min``. With it (a scenario's ``protocol.dosing``): as the engine gives
    it (the dosing weight, a nasal spray's devices, esketamine's potency); the times then
    count from the start of dosing and ``infusion_min`` is its planned length."""
    t_s = np.arange(0, int((infusion_min + follow_up_min) * 60))
    if dosing is not None:
        cohort = Cohort.build(list(profiles), 0, NibpSettings(), dosing=dosing)
        ce = drug_course(cohort, t_s.size)[1] * dosing.potency
    else:
        ce = _infused_ce(profiles, rate_mg_per_kg_h, infusion_min, t_s)
    eff = pd.effective_ce(ce, pd.counter_regulation(ce, np.zeros(len(profiles))))

    def arr(name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in profiles])

    dsbp, ddbp, dhr = pd.haemodynamic_rise(
        eff, arr("sbp_slope_mmhg_per_ng_ml"), arr("dbp_ratio"), arr("hr_slope_bpm_per_ng_ml")
    )
    return DrugResponse(t_s / 60.0, dsbp, ddbp, dhr)


def _infused_ce(
    profiles: Sequence[PatientProfile], rate_mg_per_kg_h: float, infusion_min: float,
    t_s: np.ndarray,
) -> np.ndarray:  # fmt: skip
    pk = LinearPK(stacked_pk(profiles))
    weight = np.array([p.weight_kg for p in profiles])
    rate = rate_mg_per_kg_h * weight / 60.0
    during = t_s < infusion_min * 60
    x0 = np.zeros((len(profiles), 4))
    x_end = pk.evolve(x0, rate, np.array([infusion_min]))[:, 0]
    x = np.concatenate(
        [pk.evolve(x0, rate, t_s[during] / 60.0),
         pk.evolve(x_end, 0.0, t_s[~during] / 60.0 - infusion_min)], axis=1)  # fmt: skip
    return pk.ce_ng_ml(x)


def time_to_peak_min(resp: DrugResponse) -> np.ndarray:
    """When the SBP rise first reaches 95% of its maximum.

    The rise is flat-topped near the end of the infusion; readings every 5-10 min cannot
    tell its last half mmHg, so the published "peak" is where the plateau is reached.
    """
    peak = resp.dsbp.max(axis=1)
    return resp.t_min[np.argmax(resp.dsbp >= PLATEAU_FRACTION * peak[:, None], axis=1)]


def time_to_baseline_min(resp: DrugResponse) -> np.ndarray:
    """First time after the peak the SBP rise is back within 5 mmHg (inf if never)."""
    i_peak = resp.dsbp.argmax(axis=1)
    after = np.arange(resp.t_min.size)[None, :] >= i_peak[:, None]
    back = after & (resp.dsbp <= BASELINE_RISE_MMHG)
    idx = np.argmax(back, axis=1)
    return np.where(back.any(axis=1), resp.t_min[idx], np.inf)


def population_stats(
    profiles: Sequence[PatientProfile],
    rate_mg_per_kg_h: float,
    infusion_min: float,
    progress: Callable[[int], None] | None = None,
    *,
    dosing: Dosing | None = None,
) -> PopulationStats:
    """Compare a population with the published figures, ``_CHUNK`` patients at a time
    (``dosing``: as :func:`drug_response`)."""
    peaks, ttp, ttb = [], [], []
    for i in range(0, len(profiles), _CHUNK):
        part = profiles[i : i + _CHUNK]
        r = drug_response(part, rate_mg_per_kg_h, infusion_min, dosing=dosing)
        peaks.append(np.stack([r.dsbp.max(1), r.ddbp.max(1), r.dhr.max(1)], axis=1))
        ttp.append(time_to_peak_min(r))
        ttb.append(time_to_baseline_min(r))
        if progress:
            progress(len(part))
    pk_ = np.concatenate(peaks)
    tb = np.concatenate(ttb)
    return PopulationStats(
        n=len(profiles),
        mean_peak_dsbp_mmhg=float(pk_[:, 0].mean()),
        mean_peak_ddbp_mmhg=float(pk_[:, 1].mean()),
        mean_peak_dhr_bpm=float(pk_[:, 2].mean()),
        frac_rise_40_25=float(np.mean((pk_[:, 0] >= 40) | (pk_[:, 1] >= 25))),
        median_time_to_peak_min=float(np.median(np.concatenate(ttp))),
        median_time_to_baseline_min=float(np.median(tb)),
        frac_baseline_within_90min_of_end=float(np.mean(tb <= infusion_min + 90.0)),
    )
