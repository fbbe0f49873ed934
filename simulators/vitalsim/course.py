"""A course of sessions: one virtual patient over several infusions.

Clinics give ketamine as a course of 4-6 sessions over a few weeks (clinical.md). The
patient who comes back is the same person: the same demographics, hypertension, drug
sensitivity and pharmacokinetics; the same cuff bias (the arm's, not the day's). What
differs from one session to the next:

- the resting values, a little: a day-to-day deviation drawn per session number
  (``DAY_TO_DAY_SD``), keyed by (seed, patient, session), never by draw order;
- dissociation, which fades with repeated sessions: the dissociation EC50 rises by
  ``DISSOCIATION_EC50_RISE`` per session (est.; the esketamine trials and repeated-
  infusion studies report smaller dissociation scores on later doses);
- the noise and the artefacts of the session (physiological drift, measurement error,
  motion artefacts, NIBP retries), drawn from a per-session stream seed.

The haemodynamic sensitivity is left as it is: the BP response does not fade (no
tolerance from the 1st to the 6th infusion, Riva-Posse 2018). Every field of the profile
that this module does not name by hand is carried over unchanged, whatever the
haemodynamic model's fields are.

Session 1 is the patient as drawn (its numbers are those of a single session), so a
course starts where a one-off session is.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import replace
from numbers import Integral

import numpy as np

from vitalsim import pd
from vitalsim._rng import generator
from vitalsim.patient import PatientProfile

__all__ = [
    "DAY_TO_DAY_SD",
    "DISSOCIATION_EC50_RISE",
    "EFFECT_SITE_CHANNEL",
    "MAX_SESSIONS",
    "check_session_number",
    "dissociation_ec50",
    "dissociation_peak",
    "session_profile",
    "session_seed",
]

MAX_SESSIONS = 12
"""The longest course the simulator takes (clinics give 4-6 sessions; 12 leaves room for
a second course or a maintenance session)."""

DAY_TO_DAY_SD: dict[str, float] = {
    "sbp_mmhg": 5.0,  # visit-to-visit SBP varies by about 5-8 mmHg (est.)
    "dbp_mmhg": 3.0,
    "hr_bpm": 4.0,
    "spo2_pct": 0.3,
    "rr_per_min": 1.0,
}
"""Standard deviation of one session's resting value around the patient's own (est.)."""
DAY_TO_DAY_LIMIT_SD = 2.0
"""A day's deviation is cut at this many standard deviations: a little, never a new patient."""
_SBP_DBP_RHO = 0.6  # SBP and DBP move together from day to day (est., as between patients)
_RESTING_RANGE: dict[str, tuple[float, float]] = {
    "sbp_mmhg": (85.0, 210.0),
    "dbp_mmhg": (40.0, 130.0),
    "hr_bpm": (40.0, 125.0),
    "spo2_pct": (90.0, 100.0),
    "rr_per_min": (8.0, 26.0),
}
MIN_PULSE_PRESSURE = 20.0  # mmHg; a day's DBP stays this far below its SBP

EFFECT_SITE_CHANNEL = "KET_CE"
"""The recording's channel of the effect-site concentration, from which
:func:`dissociation_peak` tells what a stored session's patient felt."""

DISSOCIATION_EC50_RISE = 0.10
"""The dissociation EC50 rises by this fraction per session after the first,
compounded (est.): session 6 needs 1.6 times the concentration for the same score, so the
peak score at 0.5 mg/kg over 40 min falls by about a third from the 1st to the 6th."""


def check_session_number(session_number: object) -> int:
    """``session_number`` as an int from 1 to :data:`MAX_SESSIONS`; ValueError saying why."""
    if isinstance(session_number, bool) or not isinstance(session_number, Integral):
        raise ValueError(f"session_number must be a whole number, got {session_number!r}")
    n = int(session_number)
    if not 1 <= n <= MAX_SESSIONS:
        raise ValueError(f"session_number must be from 1 to {MAX_SESSIONS}, got {n}")
    return n


def session_seed(seed: int, session_number: int) -> int:
    """The seed of the session's own noise and artefacts: ``seed`` itself for session 1
    (a single session's numbers), another stream for each later session."""
    n = check_session_number(session_number)
    if n == 1:
        return int(seed)
    key = zlib.crc32(b"course:session")
    seq = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, n, key])
    return int(seq.generate_state(1, np.uint32)[0])


def dissociation_ec50(ec50_session_1: float, session_number: int) -> float:
    """The dissociation EC50 in session ``session_number`` (ng/mL): it rises per session."""
    n = check_session_number(session_number)
    return float(ec50_session_1) * (1.0 + DISSOCIATION_EC50_RISE) ** (n - 1)


def _day_deviation(seed: int, patient: int, session_number: int) -> dict[str, float]:
    """The session's resting values minus the patient's own, keyed by the session number."""
    rng = generator(seed, patient, "course:day", session_number)
    z_sbp, z_other, z_hr, z_spo2, z_rr = rng.standard_normal(5)
    z_dbp = _SBP_DBP_RHO * z_sbp + math.sqrt(1.0 - _SBP_DBP_RHO**2) * z_other
    zs = {"sbp_mmhg": z_sbp, "dbp_mmhg": z_dbp, "hr_bpm": z_hr, "spo2_pct": z_spo2,
          "rr_per_min": z_rr}  # fmt: skip
    cut = DAY_TO_DAY_LIMIT_SD
    return {k: DAY_TO_DAY_SD[k] * float(np.clip(z, -cut, cut)) for k, z in zs.items()}


def session_profile(
    profile: PatientProfile, seed: int, patient: int, session_number: int
) -> PatientProfile:
    """The patient ``profile`` (as in session 1) on the day of session ``session_number``.

    Only the resting values and the dissociation EC50 change; everything else (who the
    patient is, the haemodynamic sensitivity, the pharmacokinetics) is the same object's.
    """
    n = check_session_number(session_number)
    if n == 1:
        return profile
    dev = _day_deviation(seed, patient, n)
    day = {}
    for name, d in dev.items():
        lo, hi = _RESTING_RANGE[name]
        day[name] = round(float(np.clip(getattr(profile, name) + d, lo, hi)), 1)
    day["dbp_mmhg"] = min(day["dbp_mmhg"], day["sbp_mmhg"] - MIN_PULSE_PRESSURE)
    ec50 = dissociation_ec50(profile.dissociation_ec50_ng_ml, n)
    return replace(profile, **day, dissociation_ec50_ng_ml=ec50)


def dissociation_peak(profile: PatientProfile, ce_ng_ml: np.ndarray) -> float:
    """The highest dissociation score (0-10) the patient of ``profile`` (the session's,
    from :func:`session_profile`) felt at the effect-site concentrations ``ce_ng_ml``."""
    ce = np.asarray(ce_ng_ml, dtype=float).reshape(1, -1)
    if ce.size == 0:
        return 0.0
    score = pd.dissociation_score(ce, np.array([profile.dissociation_ec50_ng_ml]))
    return float(np.nanmax(score))
