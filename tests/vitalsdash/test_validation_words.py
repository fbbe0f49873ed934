"""Validation errors in plain words, worded once (tomlconfig.problems_from) for config
files, API answers and toasts: "must be at most 3 (got 5)", never pydantic's "Input
should be less than or equal to 3 (got 5.0)"; a toast names the field by its title."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash.actions import ALL_ACTIONS, ActionError, validate

pytestmark = pytest.mark.unit
PYDANTIC = ("Input should", "should be", "Field required", "valid number", "valid integer")


def _refused(kind: str, params: dict) -> ActionError:
    with pytest.raises(ActionError) as exc:
        validate(kind, params, "trainee")
    return exc.value


def test_the_rate_example_in_plain_words() -> None:
    err = _refused("set_rate", {"rate_mg_per_kg_h": 5.0})
    assert err.message == "set_rate: rate_mg_per_kg_h: must be at most 3 (got 5)"  # the API
    assert err.words == "Rate (mg/kg/h) must be at most 3 (got 5)"  # the toast
    assert err.as_dict() == {"error": "bad_params", "message": err.message}


@pytest.mark.parametrize(
    ("kind", "params", "words"),
    [
        ("set_rate", {"rate_mg_per_kg_h": 0}, "Rate (mg/kg/h) must be more than 0 (got 0)"),
        ("set_rate", {"rate_mg_per_kg_h": "0.5"}, "Rate (mg/kg/h) must be a number (got '0.5')"),
        ("set_rate", {"rate_mg_per_kg_h": True}, "Rate (mg/kg/h) must be a number (got True)"),
        ("oxygen_on", {"flow_l_min": 0.5}, "Oxygen flow (L/min) must be at least 1 (got 0.5)"),
        ("chart", {"kind": "pain", "value": 11}, "Score must be at most 10 (got 11)"),
        ("give_antiemetic", {"dose_mg": 500}, "Dose (mg) must be at most 100 (got 500)"),
        ("set_limit", {"channel": "HR", "which": "high", "value": "x"},
         "Limit must be a number (got 'x')"),
        ("chart", {"kind": "mood"}, "Observation must be 'sedation', 'dissociation', 'nausea', "
         "'pain', 'alertness' or 'note' (got 'mood')"),
        ("set_rate", {}, "Rate (mg/kg/h) is missing"),
        ("set_rate", {"rate": 1}, "Rate (mg/kg/h) is missing; "
         "rate: unknown key (check its spelling and its unit suffix)"),
    ],
)  # fmt: skip
def test_every_refusal_a_toast_shows_is_worded(kind: str, params: dict, words: str) -> None:
    err = _refused(kind, params)
    assert err.words == words
    for phrase in PYDANTIC:
        assert phrase not in err.message
        assert phrase not in err.words


@given(
    st.sampled_from(sorted(ALL_ACTIONS)),
    st.dictionaries(
        st.sampled_from(["rate_mg_per_kg_h", "dose_mg", "flow_l_min", "value", "condition",
                         "channel", "kind", "which", "text", "seed", "nope"]),
        st.one_of(st.floats(allow_nan=True), st.integers(-(10**6), 10**6), st.text(max_size=8),
                  st.booleans(), st.none(), st.lists(st.integers(), max_size=2)),
        max_size=3,
    ),
)  # fmt: skip
def test_no_refusal_speaks_pydantic(kind: str, params: dict) -> None:
    said: list[str] = []
    try:
        validate(kind, params, "instructor")
    except ActionError as err:
        said = [err.message, err.words]
    for text in said:
        for phrase in PYDANTIC:
            assert phrase not in text, text


def test_an_injected_events_magnitudes_are_worded_too() -> None:
    """The instructor's event form: the simulator's models refuse, vitalsdash words it."""
    surge = {"sbp_rise_mmhg": 500, "duration_min": "x"}
    with pytest.raises(ActionError) as exc:
        validate("inject_event", {"kind": "hypertensive_surge", "params": surge}, "instructor")
    err = exc.value
    for phrase in PYDANTIC:
        assert phrase not in err.message
    assert "sbp_rise_mmhg: must be at most 120 (got 500)" in err.message
    assert "duration_min: must be a number (got 'x')" in err.message
