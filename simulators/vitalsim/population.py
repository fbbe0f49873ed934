"""A virtual population measured as the studies measured theirs (clinical.md).

Two views of the same patients. The *measured* one runs the whole engine (drift,
anxiety, the cuff's error and its schedule) and reads it as a study does: baseline is
the mean of the last two NIBP readings before the start, a patient's peak is their
highest reading during the infusion and observation, HR is a 1-min median. That is what
the published figures are, so calibration targets it. The *noise-free* one is the drug
response alone, for the shape of the response (time to peak, return to baseline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from vitalsim import pd
from vitalsim.dosing import Dosing
from vitalsim.engine import Cohort, drug_course
from vitalsim.patient import PatientProfile, pressor_response, stacked_pk
from vitalsim.pk import LinearPK
from vitalsim.scenario import NibpSettings

BASELINE_RISE_MMHG = 5.0  # within-person SBP variation is +-5-8 mmHg (clinical.md)
BACK_WITHIN_MMHG = 10.0  # a reading this close to baseline counts as back (est.)
FOLLOW_UP_MIN = 180.0
_CHUNK = 100  # patients per vectorised pass (bounded memory)

PUBLISHED = {
    "mean_peak_dsbp_mmhg": (12.6, 10.4, 14.8, "Vankawala 2021, 95% CI"),
    "mean_peak_ddbp_mmhg": (8.5, 6.9, 10.1, "Vankawala 2021, 95% CI"),
    "mean_peak_dhr_bpm": (4.1, 0.6, 7.6, "Vankawala 2021, 95% CI"),
    "mean_dsbp_30min_mmhg": (3.3, 1.8, 4.8, "Riva-Posse 2018 (band est. +-1.5)"),
    "mean_ddbp_30min_mmhg": (3.2, 1.7, 4.7, "Riva-Posse 2018 (band est. +-1.5)"),
    "frac_rise_40_25": (None, 0.0, 0.06, "per session: rarer than 8-19% over a course"),
    "p99_peak_dsbp_mmhg": (None, 0.0, 50.0, "tail: 99th centile <= 50 mmHg"),
    "median_time_to_peak_min": (None, 30.0, 40.0, "Riva-Posse 2018; Szarmach 2020"),
    "frac_baseline_within_90min_of_end": (None, 0.95, 1.0, "Szarmach 2020: all within 1.5 h"),
}
"""Figure -> (value, low, high, source); value None where only a range is published."""

CSV_COLUMNS = (
    "patient", "weight_kg", "hypertension", "baseline_sys", "baseline_dia", "baseline_hr",
    "peak_sys", "peak_dia", "peak_hr", "sys_30min", "dia_30min", "t_peak_min",
    "t_baseline_min", "true_peak_dsbp",
)  # fmt: skip


# --------------------------------------------------------------------------- noise-free


@dataclass(frozen=True)
class PopulationStats:
    n: int
    mean_peak_dsbp_mmhg: float
    mean_peak_ddbp_mmhg: float
    mean_peak_dhr_bpm: float
    frac_rise_40_25: float
    p99_peak_dsbp_mmhg: float
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
    r = pressor_response(profiles)
    site, lagged = pd.pressor_drive(ce, np.zeros((len(profiles), 2)), r)
    dsbp, ddbp, dhr = pd.haemodynamic_rise(site, lagged, r)
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
    """When each patient's SBP rise is largest."""
    return resp.t_min[resp.dsbp.argmax(axis=1)]


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
    """The noise-free drug response of a population, ``_CHUNK`` patients at a time
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
        p99_peak_dsbp_mmhg=float(np.percentile(pk_[:, 0], 99)),
        median_time_to_peak_min=float(np.median(np.concatenate(ttp))),
        median_time_to_baseline_min=float(np.median(tb)),
        frac_baseline_within_90min_of_end=float(np.mean(tb <= infusion_min + 90.0)),
    )
