"""Charted scores against the patient's own (docs/debrief.md, "Charted scores").

The nurse's sedation, dissociation and nausea scores are set against the simulated
patient's score at the moment they were charted (the last recorded at or before it, at
most 30 s old, in whole points): "Charted 2, patient's actual 6 — under-scored".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash import channels
from vitalsdash.cli import main as vitalsdash
from vitalsdash.debrief import (
    CLOSE_POINTS,
    Observation,
    ScoreCheck,
    compute_debrief,
    score_checks,
    score_summary,
    session_from_recording,
)
from vitalsim.cli import main as vitalsim

pytestmark = pytest.mark.unit

TRUTH = channels.charted_truth()


def _samples(rows: list[tuple[float, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(t, ch, v, "ok", v) for t, ch, v in rows],
        columns=["t_s", "channel", "value", "quality", "true_value"],
    )


SAMPLES = _samples([
    (600.0, TRUTH["sedation"], 0.0), (1800.0, TRUTH["sedation"], 5.6),
    (1810.0, TRUTH["sedation"], 6.4), (1800.0, TRUTH["nausea"], 1.5),
    (1810.0, TRUTH["dissociation"], 7.2), (1805.0, "HR", 80.0),
])  # fmt: skip


def test_each_score_meets_the_patients_own_at_that_moment_in_whole_points() -> None:
    obs = [
        Observation(1805.0, "sedation", 2.0),  # the score at 1800: 5.6 -> 6
        Observation(1815.0, "sedation", 6.0),  # at 1810: 6.4 -> 6
        Observation(1801.0, "nausea", 4.0),  # 1.5 -> 2
        Observation(1810.0, "dissociation", 7.0),  # the very second: 7.2 -> 7
        Observation(1820.0, "pain", 5.0),  # no truth for pain
        Observation(1830.0, "note", None, "calm"),
    ]
    checks = score_checks(obs, SAMPLES)
    assert [(c.kind, c.charted, c.actual, c.verdict) for c in checks] == [
        ("sedation", 2.0, 6.0, "under-scored"),
        ("sedation", 6.0, 6.0, "about right"),
        ("nausea", 4.0, 2.0, "about right"),
        ("dissociation", 7.0, 7.0, "about right"),
    ]
    assert checks[0].words() == "Charted 2, patient's actual 6 — under-scored"


def test_a_score_without_a_recent_record_of_the_patient_is_not_compared() -> None:
    obs = [
        Observation(599.0, "sedation", 0.0),  # before the first record
        Observation(1841.0, "sedation", 3.0),  # 31 s after the last one: the record stopped
        Observation(1840.0, "sedation", 3.0),  # 30 s: still compared
    ]
    assert [c.t_s for c in score_checks(obs, SAMPLES)] == [1840.0]
    assert score_checks(obs, SAMPLES.iloc[0:0]) == ()
    assert score_checks(obs, None) == ()


def test_the_summary_counts_close_scores_and_the_mean_difference() -> None:
    checks = [ScoreCheck(0.0, "sedation", 2.0, 6.0), ScoreCheck(1.0, "nausea", 3.0, 2.0),
              ScoreCheck(2.0, "dissociation", 9.0, 5.0)]  # fmt: skip
    s = score_summary(checks)
    assert (s.compared, s.close, s.under, s.over) == (3, 1, 1, 1)
    assert s.mean_abs_difference == pytest.approx(3.0)
    assert s.words() == (
        "3 scores compared: 1 within ±2 points of the patient's own (mean difference 3.0 "
        "points); 1 under-scored, 1 over-scored."
    )
    assert score_summary([]).words() == ""


@given(charted=st.integers(0, 10), actual=st.integers(0, 10))
def test_the_verdict_follows_the_difference(charted: int, actual: int) -> None:
    c = ScoreCheck(10.0, "sedation", float(charted), float(actual))
    assert c.close == (abs(charted - actual) <= CLOSE_POINTS)
    if c.close:
        assert c.verdict == "about right"
    else:
        assert c.verdict == ("under-scored" if charted < actual else "over-scored")
    assert c.words().startswith(f"Charted {charted}, patient's actual {actual} — ")


def test_a_recordings_report_sets_the_charted_scores_against_the_patient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "vaso.csv"
    assert vitalsim(["run", "vasovagal-observation", "--out", str(rec)]) == 0
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "t,action,actor,target,value\n"
        "2700,chart,trainee,sedation,1\n"
        "2710,chart,trainee,dissociation,5\n"
        "2720,chart,trainee,nausea,0\n"
    )
    data = session_from_recording(rec, actions=actions, scenario="vasovagal-observation")
    db = compute_debrief(data)
    recorded = pd.read_csv(rec)
    for check in db.scores:
        own = recorded[(recorded["channel"] == TRUTH[check.kind]) & (recorded["t"] <= check.t_s)]
        assert check.actual == float(int(own["true_value"].iloc[-1] + 0.5))
    assert [c.kind for c in db.scores] == ["sedation", "dissociation", "nausea"]
    sedation = db.scores[0]
    assert sedation.verdict == "under-scored"  # this patient is very drowsy by then

    out = tmp_path / "vaso.html"
    assert vitalsdash(["report", str(rec), "--scenario", "vasovagal-observation",
                       "--actions", str(actions), "--out", str(out)]) == 0  # fmt: skip
    capsys.readouterr()
    html = out.read_text(encoding="utf-8")
    assert "Charted scores against the patient&#x27;s own" in html
    assert f"Charted 1, patient&#x27;s actual {sedation.actual:g} — under-scored" in html
    assert "patient said" in html  # the patient's words, in the events and on the timeline
