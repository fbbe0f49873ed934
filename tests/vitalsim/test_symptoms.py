"""What the virtual patient says: how often, when, and driven by what (vitalsim.symptoms).

Frequencies are checked over a drawn population run through the engine (0.5 mg/kg over
40 min after a 10-min baseline, as the shipped scenarios give it) against the esketamine
label's figures (docs/simulator.md, "Symptoms the trainee can see"), with bands wide
enough for a few hundred patients. Headache and chest tightness are checked with blood
pressures held where they are wanted.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsim import symptoms
from vitalsim.cli import main
from vitalsim.engine import (
    TRUTH_KEYS,
    Chunk,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    run_batch,
    samples_of,
)
from vitalsim.patient import PatientProfile, sample_profile
from vitalsim.scenario import NibpSettings, Timeline, load_scenario, make_event
from vitalsim.symptoms import CUES, NOTE_KIND, REPEAT_S, SCORE_CHANNELS, Cue

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "config" / "scenarios"
START_S = 600  # the infusion starts after a 10-min baseline
HOUR = 3600
RUN_S = 3 * HOUR
START = ScheduledAction(START_S, "start_infusion",
                        {"rate_mg_per_kg_h": 0.75, "dose_mg_per_kg": 0.5}, "system")  # fmt: skip
LABEL = {"dissociation": 0.41, "dizziness": 0.29, "nausea": 0.28, "sedation": 0.23,
         "anxiety": 0.13}  # fmt: skip
"""The esketamine label's frequencies (TRD, short-term studies) the drug's cues follow."""
CE_DRIVEN = frozenset(LABEL)
SEED, N_PATIENTS, PER_RUN = 20261121, 400, 100


@cache
def population() -> tuple[tuple[np.ndarray, ...], tuple[list[Cue], ...]]:
    """Per patient: its peak true SBP and DBP, and everything it said (engine runs of
    ``PER_RUN`` patients, concatenated)."""
    peaks_sbp, peaks_dbp, said = [], [], []
    for first in range(0, N_PATIENTS, PER_RUN):
        ids = list(range(first, first + PER_RUN))
        cohort = Cohort.build([sample_profile(SEED, i) for i in ids], SEED, NibpSettings(), ids)
        chunk = run_batch(cohort, RUN_S, [START])
        peaks_sbp.append(chunk.truth["sbp"].max(axis=1))
        peaks_dbp.append(chunk.truth["dbp"].max(axis=1))
        said += symptoms.session_cues(cohort.symptoms, chunk.t_s, chunk.truth)
    return (np.concatenate(peaks_sbp), np.concatenate(peaks_dbp)), tuple(said)


def share_saying(cue: str, patients: list[list[Cue]] | tuple[list[Cue], ...]) -> float:
    return float(np.mean([any(c.symptom == cue and c.t_s >= START_S for c in p) for p in patients]))


# --------------------------------------------------------------------------- frequencies


@pytest.mark.parametrize("cue", sorted(LABEL))
def test_the_drugs_cues_come_as_often_as_the_label_reports(cue: str) -> None:
    _, said = population()
    share = share_saying(cue, said)
    assert abs(share - LABEL[cue]) <= 0.08, f"{cue}: {share:.2f} of patients, label {LABEL[cue]}"


def test_a_racing_heart_and_chest_tightness_are_rare_after_an_ordinary_infusion() -> None:
    _, said = population()
    assert share_saying("racing_heart", said) <= 0.05  # label: tachycardia 4%
    assert share_saying("chest_tightness", said) <= 0.03


def test_headache_and_chest_tightness_are_rare_without_very_high_bp() -> None:
    (sbp, dbp), said = population()
    calm = [p for p, s, d in zip(said, sbp, dbp, strict=True) if s < 180 and d < 110]
    assert len(calm) > 0.8 * N_PATIENTS
    assert share_saying("headache", calm) <= 0.05  # the drug's own headache: a few percent
    assert share_saying("chest_tightness", calm) == 0.0


@cache
def _profiles(n: int) -> tuple[PatientProfile, ...]:
    return tuple(sample_profile(SEED, i) for i in range(n))


def _held_bp(sbp: float, dbp: float, n: int = 400) -> list[list[Cue]]:
    """What a population says with no drug on board and BP held at ``sbp``/``dbp`` for
    20 minutes."""
    ids = list(range(n))
    sus = symptoms.susceptibility(SEED, ids, _profiles(n))
    t = np.arange(0.0, 1200.0)
    zero = np.zeros((n, t.size))
    truth = {"ce": zero, "sedation": zero, "nausea": zero, "anxiety": zero,
             "hr": np.full((n, t.size), 80.0), "sbp": np.full((n, t.size), sbp),
             "dbp": np.full((n, t.size), dbp)}  # fmt: skip
    return symptoms.session_cues(sus, t, truth)


def _share(cue: str, said: list[list[Cue]]) -> float:
    return float(np.mean([any(c.symptom == cue for c in p) for p in said]))


def test_very_high_bp_brings_headache_and_chest_tightness() -> None:
    said = _held_bp(225.0, 130.0)
    assert _share("headache", said) >= 0.9
    assert 0.5 <= _share("chest_tightness", said) <= 0.85  # some stay free of chest symptoms
    words = {c.words for p in said for c in p if c.symptom == "headache"}
    assert words <= set(symptoms.WORDS["headache"])  # the severe words, not the mild ones


def test_a_high_but_not_extreme_bp_gives_neither() -> None:
    said = _held_bp(170.0, 100.0)
    assert _share("headache", said) == 0.0
    assert _share("chest_tightness", said) == 0.0


@settings(max_examples=40, deadline=None, derandomize=True)
@given(sbp=st.floats(90.0, 260.0), rise=st.floats(0.0, 30.0))
def test_the_higher_the_bp_the_more_patients_mention_it(sbp: float, rise: float) -> None:
    lower, higher = _held_bp(sbp, sbp * 0.55, 60), _held_bp(sbp + rise, (sbp + rise) * 0.55, 60)
    for cue in ("headache", "chest_tightness"):
        assert _share(cue, higher) >= _share(cue, lower)


# --------------------------------------------------------------------------- timing


def test_the_drugs_cues_come_within_the_first_hour_and_stop_within_two() -> None:
    _, said = population()
    firsts, lasts = [], []
    for p in said:
        for cue in CE_DRIVEN:
            times = [c.t_s for c in p if c.symptom == cue and c.t_s >= START_S]
            if times:
                firsts.append(times[0] - START_S)
                lasts.append(times[-1] - START_S)
    assert len(firsts) > 0.5 * N_PATIENTS
    assert np.mean(np.array(firsts) <= HOUR) >= 0.95  # side effects peak within the hour
    assert max(lasts) < 2 * HOUR  # ... and resolve within about 2 h


def test_before_the_infusion_only_nerves_and_a_very_high_bp_are_mentioned() -> None:
    _, said = population()
    before = [c for p in said for c in p if c.t_s < START_S]
    assert {c.symptom for c in before} <= {"anxiety", "racing_heart", "headache", "chest_tightness"}
    for c in before:  # white-coat nerves; a headache only from the BP, not from the drug
        if c.symptom == "anxiety":
            assert c.words in symptoms.WORDS["nervous"]
        if c.symptom == "headache":
            assert c.words in symptoms.WORDS["headache"]


def test_a_cue_repeats_only_after_ten_minutes_while_it_lasts() -> None:
    _, said = population()
    repeats = 0
    for p in said:
        for cue in CUES:
            times = [c.t_s for c in p if c.symptom == cue]
            gaps = np.diff(times)
            assert (gaps >= REPEAT_S).all()
            repeats += gaps.size
    assert repeats > 0  # some feelings last long enough to be mentioned again


# --------------------------------------------------------------------------- the engine


def _run(ids: list[int], seed: int = 3, run_s: int = 2 * HOUR) -> tuple[Cohort, Chunk]:
    cohort = Cohort.build([sample_profile(seed, i) for i in ids], seed, NibpSettings(), ids)
    return cohort, run_batch(cohort, run_s, [START])


def test_the_same_seed_gives_the_same_words_at_the_same_seconds() -> None:
    a = [n for n in _run([0, 1, 2])[1].notes if n[1] == NOTE_KIND]
    b = [n for n in _run([0, 1, 2])[1].notes if n[1] == NOTE_KIND]
    assert a == b


def test_a_patients_susceptibility_does_not_depend_on_who_else_is_drawn() -> None:
    alone, _ = _run([7], run_s=60)
    among, _ = _run([3, 7, 11], run_s=60)
    for field in ("sedation_ec50", "nausea_ec50", "dissociation_says", "headache_sbp",
                  "chest_sbp", "racing_hr"):  # fmt: skip
        assert getattr(alone.symptoms, field)[0] == getattr(among.symptoms, field)[1]


def test_the_engines_notes_are_patient_zeros_cues() -> None:
    cohort, chunk = _run([0, 1, 2, 3])
    notes = [n for n in chunk.notes if n[1] == NOTE_KIND]
    cues = symptoms.session_cues(cohort.symptoms, chunk.t_s, chunk.truth)
    assert notes == [c.note() for c in cues[0]]


def test_the_truth_has_a_sedation_score_and_the_recording_the_scores_nurses_chart() -> None:
    assert TRUTH_KEYS.index("sedation") == TRUTH_KEYS.index("dissociation") + 1
    _, chunk = _run([0])
    sedation = chunk.truth["sedation"][0]
    assert sedation.min() >= 0
    assert sedation.max() <= 10
    assert sedation[:START_S].max() == 0.0 < sedation.max()  # the drug's, not before it
    rows = [r for r in samples_of(chunk) if r.channel in SCORE_CHANNELS.values()]
    assert {r.t_s % 10 for r in rows} == {0.0}
    by = {(r.t_s, r.channel): r.value for r in rows}
    for score, channel in SCORE_CHANNELS.items():
        assert by[(3000.0, channel)] == chunk.truth[score][0, 3000]


def _drug_anxiety_case(reassure_at: int | None) -> np.ndarray:
    """An anxious patient's anxiety after the infusion started, reassured or not."""
    profile = sample_profile(5, 0, SimpleNamespace(anxiety=0.9))
    cohort = Cohort.build([profile], 5, NibpSettings())
    acts = [START] + ([] if reassure_at is None else [ScheduledAction(reassure_at, "reassure", {})])
    return run_batch(cohort, 3600, acts).truth["anxiety"][0]


def test_reassurance_calms_the_anxiety_the_drug_brings() -> None:
    left, calmed = _drug_anxiety_case(None), _drug_anxiety_case(2400)
    assert left[2399] == calmed[2399]
    assert left[2400 + 300] > 0.3  # dissociation unsettles an anxious patient ...
    assert calmed[2400 + 300] < 0.6 * left[2400 + 300]  # ... and reassurance helps


def test_an_antiemetic_eases_the_drugs_nausea() -> None:
    profile = sample_profile(2, 4)
    cohort = Cohort.build([profile], 2, NibpSettings())
    antiemetic = ScheduledAction(2000, "give_antiemetic", {"dose_mg": 4.0})
    base = run_batch(cohort, 3600, [START]).truth["nausea"][0]
    eased = run_batch(cohort, 3600, [START, antiemetic]).truth["nausea"][0]
    assert base[2600] > 0
    assert eased[1999] == base[1999]
    assert eased[2600] < 0.5 * base[2600]


def test_a_vasovagal_drop_makes_the_patient_feel_faint() -> None:
    timeline = Timeline(600.0, 3000.0, 6600.0)
    event = make_event("vasovagal", 4000, timeline, hr_drop_bpm=30, sbp_drop_mmhg=45,
                       duration_min=3)  # fmt: skip
    cohort = Cohort.build([sample_profile(8, 0)], 8, NibpSettings())
    chunk = run_batch(cohort, 4600, [START], [event])
    said = [(t, d) for t, kind, d in chunk.notes if kind == NOTE_KIND and t >= 4000]
    assert any(d["symptom"] == "dizziness" and d["words"] in symptoms.WORDS["faint"]
               for _, d in said)  # fmt: skip


def test_the_hypertensive_responder_complains_of_headache_and_chest_tightness() -> None:
    sc = load_scenario(SCENARIOS / "hypertensive-responder.toml")
    sim = LiveSimulation.from_scenario(sc, sc.seed or 0)
    sim.advance(int(sc.timeline.end_s))
    said = {d["symptom"]: (t, who) for t, kind, who, d in sim.log if kind == NOTE_KIND}
    assert {"headache", "chest_tightness"} <= set(said)
    assert {who for _, who in said.values()} == {"patient"}


def test_vitalsim_run_writes_the_cues_in_the_sidecar(tmp_path: Path) -> None:
    out = tmp_path / "run.csv"
    assert main(["run", "hypertensive-responder", "--seed", "7", "--out", str(out)]) == 0
    events = pd.read_csv(tmp_path / "run.events.csv")
    cues = events[events["kind"] == NOTE_KIND]
    assert len(cues) > 0
    assert set(cues["source"]) == {"patient"}
    details = [json.loads(d) for d in cues["detail"]]
    assert all(set(d) == {"symptom", "words"} and d["symptom"] in CUES for d in details)
    samples = pd.read_csv(out)
    assert set(SCORE_CHANNELS.values()) <= set(samples["channel"])
