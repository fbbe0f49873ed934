"""OBSERVATION_OVERDUE: the runtime tells the engine when observation has lasted the
protocol's maximum; the engine raises a LOW technical reminder in the nurse's words, never
latched or escalated, cleared when observation ends (discharge, end of session, a phase
after observation). Replay reads the same actions from a file."""

from __future__ import annotations

import pytest

from vitalsdash.alarms import AlarmAction, AlarmActionError, AlarmEngine, Priority, load_profile
from vitalsdash.alarms.replay import action_from_row
from vitalsdash.model import Phase

pytestmark = pytest.mark.unit

REMINDER = "OBSERVATION_OVERDUE"


def _observing(end: float = 3000.0) -> AlarmEngine:
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    eng.act(AlarmAction.set_phase(Phase.INFUSION, 600.0))
    eng.act(AlarmAction.set_phase(Phase.OBSERVATION, end))
    return eng


def _reminder(eng: AlarmEngine, now: float):
    return [a for a in eng.signals(now).alarms if a.condition == REMINDER]


def test_the_reminder_is_low_technical_and_in_the_nurses_words():
    eng = _observing()
    assert eng.states()[REMINDER].value == "normal"
    events = eng.act(AlarmAction.observation_overdue(120, 10200.0))
    assert [(e.condition, e.event, e.actor) for e in events[:2]] == [
        (REMINDER, "observation_overdue", "system"), (REMINDER, "active", "")]  # fmt: skip
    assert (events[1].priority, events[1].detail["max_minutes"]) == (Priority.LOW, 120.0)
    [sig] = _reminder(eng, 10201.0)
    assert (sig.priority, sig.technical, sig.marker) == (Priority.LOW, True, "*")
    assert sig.message == "* Observation over 2 h: assess for discharge"
    # never escalated, not raised twice, and it does not latch when it ends
    eng.step((), (), 10200.0 + 600)
    assert _reminder(eng, 10800.0)[0].priority == Priority.LOW
    assert [e.event for e in eng.act(AlarmAction.observation_overdue(120, 10900.0))] == [
        "observation_overdue"]  # fmt: skip
    events = eng.act(AlarmAction.end_observation(11000.0))
    assert [(e.event, e.detail.get("reason")) for e in events] == [
        ("end_observation", None), ("normal", "observation ended")]  # fmt: skip
    assert _reminder(eng, 11001.0) == []
    assert eng.states()[REMINDER].value == "normal"


@pytest.mark.parametrize(("minutes", "words"), [(90, "90 min"), (150, "150 min"),
                                                (240, "4 h"), (45.5, "45.5 min")])  # fmt: skip
def test_the_message_says_the_protocols_maximum(minutes, words):
    eng = _observing()
    eng.act(AlarmAction.observation_overdue(minutes, 9000.0))
    assert _reminder(eng, 9000.0)[0].message == f"* Observation over {words}: assess for discharge"


def test_a_phase_after_observation_clears_it_and_ready_keeps_it():
    eng = _observing()
    eng.act(AlarmAction.observation_overdue(120, 10200.0))
    eng.act(AlarmAction.set_phase(Phase.READY, 10300.0))
    assert _reminder(eng, 10300.0)
    events = eng.act(AlarmAction.set_phase(Phase.ENDED, 10400.0))
    assert (REMINDER, "normal") in [(e.condition, e.event) for e in events]
    assert _reminder(eng, 10400.0) == []


def test_it_is_refused_outside_observation_and_changes_nothing():
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    before = (eng.states(), len(eng.log))
    with pytest.raises(AlarmActionError) as err:
        eng.act(AlarmAction.observation_overdue(120, 100.0))
    assert err.value.code == "not_in_observation"
    assert (eng.states(), len(eng.log)) == before
    eng = _observing()
    with pytest.raises(AlarmActionError, match="maximum"):
        eng.act(AlarmAction(AlarmAction.observation_overdue(120, 1).kind, 3100.0, value=None))


def test_replay_reads_the_reminder_actions():
    a = action_from_row({"t": "10200", "action": "observation_overdue", "actor": "system",
                         "value": "120.0"})  # fmt: skip
    assert a == AlarmAction.observation_overdue(120.0, 10200.0)
    b = action_from_row({"t": "10300", "action": "end_observation", "actor": "system"})
    assert b == AlarmAction.end_observation(10300.0)
    with pytest.raises(ValueError, match="not a number"):
        action_from_row({"t": "1", "action": "observation_overdue", "value": "two hours"})
