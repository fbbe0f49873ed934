"""``[patient.screening]``: the answers to the questions a clinic asks before each session."""

from __future__ import annotations

import pytest

from vitalsim import ConfigError
from vitalsim.scenario import SCREENING_QUESTIONS, Scenario

pytestmark = pytest.mark.unit


def scenario(patient: dict) -> Scenario:
    return Scenario.from_dict({
        "scenario": {"name": "screening"}, "patient": patient,
        "protocol": {"dose_mg_per_kg": 0.5, "over_min": 40},
    })  # fmt: skip


def test_every_answer_defaults_to_no() -> None:
    answers = scenario({}).patient.screening.answers()
    assert answers == dict.fromkeys(SCREENING_QUESTIONS, "no")
    assert list(answers) == [
        "uncontrolled_hypertension", "heart_disease", "psychosis", "pregnancy",
        "substance_misuse", "severe_liver_disease",
    ]  # fmt: skip


def test_untreated_hypertension_answers_the_first_question_unless_it_is_written() -> None:
    spec = scenario({"hypertension": "untreated"}).patient
    assert spec.screening.answers("untreated")["uncontrolled_hypertension"] == "untreated"
    assert spec.screening.answers("treated")["uncontrolled_hypertension"] == "no"
    written = scenario(
        {
            "hypertension": "untreated",
            "screening": {"uncontrolled_hypertension": "yes", "pregnancy": "yes"},
        }
    )
    answers = written.patient.screening.answers("untreated")
    assert answers["uncontrolled_hypertension"] == "yes"
    assert answers["pregnancy"] == "yes"
    told_no = scenario({"screening": {"uncontrolled_hypertension": "no"}}).patient.screening
    assert told_no.answers("untreated")["uncontrolled_hypertension"] == "no"


@pytest.mark.parametrize(
    ("screening", "key", "why"),
    [
        ({"pregnant": "no"}, "patient.screening.pregnant", "did you mean 'pregnancy'?"),
        ({"psychosis": True}, "patient.screening.psychosis", "'yes' or 'no'"),
        ({"psychosis": "maybe"}, "patient.screening.psychosis", "'yes' or 'no'"),
    ],
)
def test_mistakes_name_the_key(screening, key, why) -> None:
    with pytest.raises(ConfigError) as err:
        scenario({"screening": screening})
    assert key in str(err.value)
    assert why in str(err.value)
