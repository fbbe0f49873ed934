"""What the virtual patient says about how they feel: cues in the patient's own words.

Dissociation, sedation, nausea and anxiety are hidden scores a nurse can only learn by
asking and watching; a real patient also volunteers some of it ("I feel sick"). This
module turns the model's state into those cues, so the warning signs the clinic pages
name (a racing pulse, chest tightness, headache, nausea, dizziness, feeling "out of the
body") reach the trainee the way they would at the chair.

Steps, each a pure function of arrays shaped (patients, seconds):

- :func:`felt_ce`: the concentration the patient feels, net of acute tolerance (the
  effects of a ketamine infusion fade faster than its concentration falls, est.);
- :func:`hidden_scores`: the sedation score (0-10), and the drug's share of nausea and
  anxiety, added to the truth next to dissociation;
- :func:`cue_levels`: per cue, how strongly the patient feels it relative to the point
  at which they would say so (>= 1: they say it);
- :func:`voiced`: when they say it: at onset, then again only after :data:`REPEAT_S`
  while it lasts.

:func:`step` runs them for the engine. What carries from one stretch of seconds to the
next (:class:`State`: the tolerance, and when each cue was last said) is explicit, so
however time is cut (live ticks, batch blocks, actions) the cues are the same.

Who is susceptible is drawn once per patient (:func:`susceptibility`), keyed by seed,
patient and purpose like every other draw. Frequencies and their sources are in
docs/simulator.md ("Symptoms the trainee can see"); every number here is an estimate
calibrated against them (est.).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vitalsim._effects import drug_scales, reassurance_factor
from vitalsim._rng import generator
from vitalsim.pd import dissociation_score, first_order_lag, score_0_10

__all__ = [
    "CUES",
    "NOTE_KIND",
    "NOTE_SOURCE",
    "REPEAT_S",
    "SCORE_CHANNELS",
    "Cue",
    "State",
    "Susceptibility",
    "cue_levels",
    "felt_ce",
    "hidden_scores",
    "initial_state",
    "session_cues",
    "step",
    "susceptibility",
    "voiced",
]

CUES: tuple[str, ...] = (
    "dissociation", "sedation", "nausea", "dizziness", "anxiety", "racing_heart",
    "chest_tightness", "headache",
)  # fmt: skip
"""What the patient may say something about, in the order said within one second."""
NOTE_KIND = "symptom"
"""The kind of the engine's note for a cue: ``(t_s, "symptom", {"symptom", "words"})``."""
NOTE_SOURCE = "patient"
"""Who a cue comes from, in a log or a recording's sidecar."""
REPEAT_S = 600
"""A cue is said again only after 10 min while the feeling lasts (est.)."""
SCORE_CHANNELS: dict[str, str] = {
    "dissociation": "DISSOCIATION_SCORE",
    "sedation": "SEDATION_SCORE",
    "nausea": "NAUSEA_SCORE",
}
"""The hidden scores a nurse charts (0-10), as the recording's channels every 10 s, so a
debrief can set what was charted against what the patient felt at that time."""

TOLERANCE_TAU_S = 20 * 60.0  # acute tolerance follows Ce with this lag ... (est.)
TOLERANCE_FRACTION = 0.5  # ... and takes back this share of it (est.)
# Drug effects as sigmoid Emax curves on the felt Ce (Hill 2), per-patient EC50 drawn
# lognormal: (median ng/mL, sigma). Calibrated so that, after 0.5 mg/kg over 40 min, the
# share of patients who say so matches the esketamine label's frequencies (est.).
SEDATION_EC50 = (290.0, 0.55)
NAUSEA_EC50 = (330.0, 0.6)
DIZZINESS_EC50 = (260.0, 0.55)
# The dissociation score (vitalsim.pd, on the felt Ce) a patient must feel before
# mentioning it: lognormal (median, sigma).
DISSOCIATION_SAYS = (5.4, 0.3)
SAYS = {"sedation": 4.0, "nausea": 3.0, "dizziness": 4.0, "anxiety": 0.5}
"""The hidden score at which a patient says so (0-10 scores; anxiety on its 0-1 scale)."""
ANXIETY_GAIN = 1.7  # drug anxiety = gain x trait x felt dissociation / 10 (est.)
HYPOTENSION_DIZZY = (25.0, 20.0)  # SBP this far below baseline starts dizziness, this
# much further makes it 10/10: a vasovagal drop of 40 mmHg makes the patient feel faint
RACING_HR = (100.0, 25.0, 5.0)  # says so at HR >= max(100, baseline + 25) + N(0, 5) bpm
# Very high BP: headache and chest tightness mark a hypertensive emergency (Yip 2022).
HEADACHE_SBP, HEADACHE_DBP = (185.0, 215.0), (112.0, 125.0)  # uniform per patient
CHEST_SBP, CHEST_DBP = (195.0, 230.0), (118.0, 135.0)
CHEST_NEVER = 0.3  # a share of patients stay free of chest symptoms however high the BP
DRUG_HEADACHE = 0.03  # label: headache 20% on esketamine, 17% on placebo (est.)
DRUG_HEADACHE_CE = 100.0  # ng/mL felt: the susceptible few feel it near the peak
NERVOUS_CE = 20.0  # ng/mL felt: below it, anxiety is nerves about the session itself

WORDS: dict[str, tuple[str, ...]] = {
    "dissociation": ("I feel like I'm floating", "Everything looks far away",
                     "My body doesn't feel like mine"),
    "sedation": ("I'm so sleepy", "I can hardly keep my eyes open"),
    "nausea": ("I feel sick", "I think I'm going to be sick"),
    "dizziness": ("I feel dizzy", "The room is spinning"),
    "faint": ("I feel faint", "I feel light-headed"),
    "anxiety": ("I feel panicky", "Something's wrong, I'm scared"),
    "nervous": ("I'm really nervous about this", "I'm a bit on edge"),
    "racing_heart": ("My heart is racing", "I can feel my heart pounding"),
    "chest_tightness": ("My chest feels tight", "There's a pressure in my chest"),
    "headache": ("I have a really bad headache", "My head is pounding"),
    "mild_headache": ("I've got a bit of a headache",),
}  # fmt: skip
"""What the patient says, by cue (and by what drives it: "faint" is dizziness from low
BP, "nervous" anxiety before the drug, "mild_headache" the drug's own)."""


@dataclass(frozen=True)
class Cue:
    """Something the patient said at ``t_s``: the cue (one of :data:`CUES`) and the words."""

    t_s: float
    symptom: str
    words: str

    def note(self) -> tuple[float, str, dict[str, str]]:
        """The engine's note for it."""
        return (self.t_s, NOTE_KIND, {"symptom": self.symptom, "words": self.words})


@dataclass(frozen=True)
class Susceptibility:
    """Per patient (arrays shaped (N,)): how easily each cue comes, fixed for the session."""

    seed: int
    patient_ids: tuple[int, ...]
    dissociation_ec50: np.ndarray  # the profile's (vitalsim.pd)
    sedation_ec50: np.ndarray
    nausea_ec50: np.ndarray
    dizziness_ec50: np.ndarray
    dissociation_says: np.ndarray
    anxiety_trait: np.ndarray
    baseline_sbp: np.ndarray
    racing_hr: np.ndarray
    headache_sbp: np.ndarray
    headache_dbp: np.ndarray
    chest_sbp: np.ndarray
    chest_dbp: np.ndarray
    drug_headache: np.ndarray  # bool


def susceptibility(
    seed: int, patient_ids: Sequence[int], profiles: Sequence[Any]
) -> Susceptibility:
    """Each patient's susceptibility, drawn with its own keyed stream ("symptoms"): the
    same patient gets the same values whoever else is in the cohort. ``profiles`` give
    the resting SBP and HR and the anxiety trait (``PatientProfile``)."""
    z, u = [], []
    for pid in patient_ids:
        rng = generator(seed, pid, "symptoms")
        z.append(rng.standard_normal(5))
        u.append(rng.random(6))
    zs, us = np.array(z).reshape(-1, 5), np.array(u).reshape(-1, 6)

    def lognormal(spec: tuple[float, float], col: int) -> np.ndarray:
        return spec[0] * np.exp(spec[1] * zs[:, col])

    def between(lo_hi: tuple[float, float], col: int) -> np.ndarray:
        return lo_hi[0] + (lo_hi[1] - lo_hi[0]) * us[:, col]

    hr0 = np.array([float(p.hr_bpm) for p in profiles])
    never_chest = us[:, 4] < CHEST_NEVER
    return Susceptibility(
        seed=int(seed),
        patient_ids=tuple(int(p) for p in patient_ids),
        dissociation_ec50=np.array([float(p.dissociation_ec50_ng_ml) for p in profiles]),
        sedation_ec50=lognormal(SEDATION_EC50, 0),
        nausea_ec50=lognormal(NAUSEA_EC50, 1),
        dizziness_ec50=lognormal(DIZZINESS_EC50, 2),
        dissociation_says=lognormal(DISSOCIATION_SAYS, 3),
        anxiety_trait=np.array([float(p.anxiety) for p in profiles]),
        baseline_sbp=np.array([float(p.sbp_mmhg) for p in profiles]),
        racing_hr=np.maximum(RACING_HR[0], hr0 + RACING_HR[1]) + RACING_HR[2] * zs[:, 4],
        headache_sbp=between(HEADACHE_SBP, 0),
        headache_dbp=between(HEADACHE_DBP, 1),
        chest_sbp=np.where(never_chest, np.inf, between(CHEST_SBP, 2)),
        chest_dbp=np.where(never_chest, np.inf, between(CHEST_DBP, 3)),
        drug_headache=us[:, 5] < DRUG_HEADACHE,
    )


@dataclass(frozen=True)
class State:
    """What carries from one stretch of seconds to the next, for N patients."""

    tolerance: np.ndarray
    """(N,) the lagged Ce of acute tolerance at the last second before, ng/mL."""
    said: np.ndarray
    """(N, len(CUES)) when each cue was last said (-inf: never)."""


def initial_state(n_patients: int) -> State:
    """Before the session: no tolerance, nothing said."""
    return State(np.zeros(n_patients), np.full((n_patients, len(CUES)), -np.inf))


def felt_ce(ce: np.ndarray, tolerance0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Ce the patient feels, (N, T), and the tolerance's lagged Ce (N, T) whose last
    column carries on. Tolerance follows Ce with a first-order lag (one step a second,
    from ``tolerance0`` the second before) and takes back a share of it: the felt
    effects peak with Ce and fade faster than it falls, so a patient who clears the drug
    slowly is not still "floating" hours later (est.)."""
    lagged = first_order_lag(ce, tolerance0, TOLERANCE_TAU_S)
    return np.maximum(ce - TOLERANCE_FRACTION * lagged, 0.0), lagged


def hidden_scores(
    sus: Susceptibility,
    t_s: np.ndarray,
    felt: np.ndarray,
    nausea: np.ndarray,
    anxiety: np.ndarray,
    interventions: Sequence[Any] = (),
) -> dict[str, np.ndarray]:
    """The felt scores the truth shows, (N, T) each, from the felt Ce (:func:`felt_ce`):
    ``sedation`` (0-10, new), ``nausea`` (scripted nausea plus the drug's own, 0-10) and
    ``anxiety`` (the scripted and white-coat anxiety plus what the drug's strange
    feelings provoke in an anxious patient).

    The drug's share of anxiety is left out of HR and BP on purpose: the calibrated
    haemodynamic response (vitalsim.pd) already holds whatever it contributes."""
    # the antiemetic eases the drug's own nausea as it eases scripted nausea
    eased = drug_scales(t_s, list(interventions))["nausea"]
    drug_nausea = score_0_10(felt, sus.nausea_ec50) * eased
    strange = dissociation_score(felt, sus.dissociation_ec50) / 10.0
    drug_anxiety = ANXIETY_GAIN * sus.anxiety_trait[:, None] * strange
    return {
        "sedation": score_0_10(felt, sus.sedation_ec50),
        "nausea": np.minimum(nausea + drug_nausea, 10.0),
        "anxiety": anxiety + drug_anxiety * reassurance_factor(t_s, list(interventions))[None, :],
    }


def cue_levels(
    sus: Susceptibility, felt: np.ndarray, truth: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Per cue, (N, T): the feeling relative to the point where the patient says so (>= 1:
    they say it). ``felt`` is the felt Ce; ``truth`` holds ``sedation``, ``nausea``,
    ``anxiety``, ``hr``, ``sbp`` and ``dbp`` as the engine computes them. Dissociation is
    volunteered from the felt Ce (the hidden score follows Ce itself)."""
    sbp, dbp = truth["sbp"], truth["dbp"]
    low_sbp = sus.baseline_sbp[:, None] - sbp - HYPOTENSION_DIZZY[0]
    faint = 10.0 * np.clip(low_sbp / HYPOTENSION_DIZZY[1], 0.0, 1.0)
    dizzy = np.maximum(score_0_10(felt, sus.dizziness_ec50), faint)
    bp_headache = np.maximum(sbp / sus.headache_sbp[:, None], dbp / sus.headache_dbp[:, None])
    drug_headache = np.where(sus.drug_headache[:, None], felt / DRUG_HEADACHE_CE, 0.0)
    strange = dissociation_score(felt, sus.dissociation_ec50)
    return {
        "dissociation": strange / sus.dissociation_says[:, None],
        "sedation": truth["sedation"] / SAYS["sedation"],
        "nausea": truth["nausea"] / SAYS["nausea"],
        "dizziness": dizzy / SAYS["dizziness"],
        "anxiety": truth["anxiety"] / SAYS["anxiety"],
        "racing_heart": truth["hr"] / sus.racing_hr[:, None],
        "chest_tightness": np.maximum(sbp / sus.chest_sbp[:, None], dbp / sus.chest_dbp[:, None]),
        "headache": np.maximum(bp_headache, drug_headache),
    }


def _words(
    sus: Susceptibility, j: int, cue: str, t: float, felt: np.ndarray,
    truth: Mapping[str, np.ndarray], i: int,
) -> str:  # fmt: skip
    """The words for a cue: which set by what drives it, which phrase by a keyed draw."""
    key = cue
    sbp, dbp = float(truth["sbp"][j, i]), float(truth["dbp"][j, i])
    if cue == "dizziness" and sus.baseline_sbp[j] - sbp > HYPOTENSION_DIZZY[0]:
        key = "faint"
    elif cue == "anxiety" and felt[j, i] < NERVOUS_CE:
        key = "nervous"  # before the drug (white-coat): nerves, not panic
    elif cue == "headache" and max(sbp / sus.headache_sbp[j], dbp / sus.headache_dbp[j]) < 1.0:
        key = "mild_headache"
    phrases = WORDS[key]
    pick = generator(sus.seed, sus.patient_ids[j], f"cue:{cue}", int(t)).integers(len(phrases))
    return phrases[int(pick)]


def voiced(
    sus: Susceptibility,
    t_s: np.ndarray,
    felt: np.ndarray,
    truth: Mapping[str, np.ndarray],
    said: np.ndarray,
) -> tuple[list[list[Cue]], np.ndarray]:
    """What each patient says in the seconds ``t_s`` (T,), and when each cue was last said
    after them. ``said`` (N, len(CUES)) is when each was last said before. A cue is said
    at the first second its level (:func:`cue_levels`) reaches 1, then again at the first
    second it is still there :data:`REPEAT_S` after it was last said."""
    levels = cue_levels(sus, felt, truth)
    last = said.copy()
    out: list[list[Cue]] = [[] for _ in range(last.shape[0])]
    for j in range(last.shape[0]):
        for k, cue in enumerate(CUES):
            idx = np.flatnonzero(levels[cue][j] >= 1.0)
            while idx.size:
                first = int(np.searchsorted(t_s[idx], last[j, k] + REPEAT_S))
                if first >= idx.size:
                    break
                i = int(idx[first])
                t = float(t_s[i])
                out[j].append(Cue(t, cue, _words(sus, j, cue, t, felt, truth, i)))
                last[j, k] = t
                idx = idx[first + 1 :]
    for cues in out:
        cues.sort(key=lambda c: c.t_s)  # stable: the order of CUES within a second
    return out, last


def step(
    sus: Susceptibility,
    t_s: np.ndarray,
    truth: Mapping[str, np.ndarray],
    interventions: Sequence[Any],
    state: State,
) -> tuple[dict[str, np.ndarray], list[list[Cue]], State]:
    """The engine's one call for the seconds ``t_s``: the felt scores for the truth
    (:func:`hidden_scores`), what each patient says, and the state after. ``truth`` holds
    ``ce``, ``hr``, ``sbp``, ``dbp`` and the scripted ``nausea`` and ``anxiety``."""
    felt, lagged = felt_ce(truth["ce"], state.tolerance)
    scores = hidden_scores(sus, t_s, felt, truth["nausea"], truth["anxiety"], interventions)
    cues, said = voiced(sus, t_s, felt, {**truth, **scores}, state.said)
    return scores, cues, State(lagged[:, -1].copy(), said)


def session_cues(
    sus: Susceptibility, t_s: np.ndarray, truth: Mapping[str, np.ndarray]
) -> list[list[Cue]]:
    """Every cue of every patient of a whole run from its start (``truth`` as a batch run
    returns it, felt scores included): what the engine's notes hold for patient 0, for
    all of them (population statistics)."""
    felt, _ = felt_ce(truth["ce"], np.zeros(len(sus.patient_ids)))
    return voiced(sus, t_s, felt, truth, initial_state(len(sus.patient_ids)).said)[0]
