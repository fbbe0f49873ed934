"""PUMP_PAUSED: a paused pump's reminder, technical and LOW, after the profile's delay.

The engine's clock is injected (each step's ``now``), so the delay is exact to the second:
raised at pause + ``pump_paused_after_s``, not a second before; cleared by running again,
stopping or finishing; never raised for a pump that is not paused. A property test checks
it against a plain model for random pump histories.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from alarm_helpers import REPO, Bed
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.alarms import (
    PUMP_PAUSED,
    PUMP_STATES,
    AlarmAction,
    AlarmActionError,
    ConditionState,
    Priority,
    load_profile,
)
from vitalsdash.alarms.replay import action_from_row, pump_actions, replay
from vitalsdash.errors import ConfigError

pytestmark = pytest.mark.unit


def _pump(state: str, t: float) -> AlarmAction:
    return AlarmAction.set_pump(state, t)


def _bed(after_s: float | None = None) -> Bed:
    return Bed(None if after_s is None else {"pump_paused_after_s": after_s})


def _active(bed: Bed) -> bool:
    return bed.state(PUMP_PAUSED) is ConditionState.ACTIVE


def test_raised_after_exactly_the_delay_low_and_technical():
    bed = _bed()
    bed.run(0, 100)
    bed.feed(100.0, [_pump("running", 100.0)])
    bed.run(101, 300)
    bed.feed(300.0, [_pump("paused", 300.0)])
    bed.run(301, 420)
    assert not _active(bed)  # 419 s: 119 s paused
    bed.feed(420.0)
    assert _active(bed)
    [raised] = bed.find(PUMP_PAUSED, "active")
    assert raised.t_s == 420.0
    assert raised.priority is Priority.LOW
    assert raised.detail["paused_since_s"] == 300.0
    [sig] = [a for a in bed.engine.signals(420.0).alarms if a.condition == PUMP_PAUSED]
    assert sig.technical
    assert sig.priority is Priority.LOW
    assert sig.message == "* Pump paused 2 min"  # the nurse's words, not the code name
    assert sig.channel == "PUMP_RATE"
    later = [a for a in bed.engine.signals(500.0).alarms if a.condition == PUMP_PAUSED]
    assert later[0].message == "* Pump paused 3 min"


@pytest.mark.parametrize("how", ["running", "stopped", "finished"])
def test_cleared_when_resumed_or_stopped(how: str):
    bed = _bed()
    bed.feed(10.0, [_pump("running", 10.0)])
    bed.feed(20.0, [_pump("paused", 20.0)])
    bed.run(21, 200)
    assert _active(bed)
    bed.feed(200.0, [_pump(how, 200.0)])
    assert bed.state(PUMP_PAUSED) is ConditionState.NORMAL  # technical: never latches
    [ended] = bed.find(PUMP_PAUSED, "normal")
    assert (ended.t_s, ended.detail["reason"]) == (200.0, how)
    assert ended.detail["duration_s"] == 200.0 - 140.0
    bed.run(201, 1000)
    assert len(bed.find(PUMP_PAUSED, "active")) == 1  # not raised again


def test_a_pause_shorter_than_the_delay_raises_nothing():
    bed = _bed()
    bed.feed(10.0, [_pump("running", 10.0)])
    bed.feed(20.0, [_pump("paused", 20.0)])
    bed.run(21, 139)
    bed.feed(139.0, [_pump("running", 139.0)])
    bed.run(140, 600)
    assert bed.find(PUMP_PAUSED, "active") == []


@pytest.mark.parametrize("state", ["not_started", "running", "stopped", "finished"])
def test_not_raised_unless_paused(state: str):
    bed = _bed()
    bed.feed(10.0, [_pump(state, 10.0)])
    bed.run(11, 2000)
    assert bed.find(PUMP_PAUSED, "active") == []


def test_stopping_a_paused_pump_before_the_delay_raises_nothing():
    bed = _bed()
    bed.feed(10.0, [_pump("paused", 10.0)])
    bed.feed(60.0, [_pump("stopped", 60.0)])
    bed.run(61, 1000)
    assert bed.find(PUMP_PAUSED, "active") == []


def test_the_delay_is_the_profiles():
    bed = _bed(after_s=30)
    bed.feed(10.0, [_pump("paused", 10.0)])
    bed.run(11, 40)
    assert not _active(bed)
    bed.feed(40.0)
    assert _active(bed)
    [sig] = [a for a in bed.engine.signals(40.0).alarms if a.condition == PUMP_PAUSED]
    assert sig.message == "* Pump paused 30 s"  # under a minute: in seconds


def test_a_second_paused_report_keeps_the_first_pause_time():
    """A rate set while paused is reported as paused again: the delay is not restarted."""
    bed = _bed()
    bed.feed(10.0, [_pump("paused", 10.0)])
    bed.feed(100.0, [_pump("paused", 100.0)])
    bed.run(101, 131)
    assert _active(bed)
    assert bed.find(PUMP_PAUSED, "active")[0].t_s == 130.0


def test_acknowledge_silences_the_reminder():
    bed = _bed()
    bed.feed(0.0, [_pump("paused", 0.0)])
    bed.run(1, 121)
    [sig] = [a for a in bed.engine.signals(121.0).alarms if a.condition == PUMP_PAUSED]
    assert sig.sounding
    bed.act(AlarmAction.acknowledge(PUMP_PAUSED, 121.0))
    [sig] = [a for a in bed.engine.signals(122.0).alarms if a.condition == PUMP_PAUSED]
    assert sig.acknowledged
    assert not sig.sounding


def test_an_unknown_pump_state_is_refused_and_changes_nothing():
    bed = _bed()
    before = bed.engine.state.pump_state
    with pytest.raises(AlarmActionError) as err:
        bed.act(AlarmAction.set_pump("jammed", 5.0))
    assert err.value.code == "unknown_pump_state"
    assert "paused" in str(err.value)
    assert bed.engine.state.pump_state == before


# --- the profile key --------------------------------------------------------------------


ADULT_TEXT = (REPO / "config" / "alarms" / "adult-default.toml").read_text()


def test_shipped_profiles_remind_after_two_minutes():
    for name in ("adult-default", "ketamine-infusion"):
        assert load_profile(name).pump_paused_after_s == 120


@pytest.mark.parametrize("value", ["0", "-5", "3601", "inf", "nan", "'two minutes'"])
def test_a_bad_delay_names_file_key_and_reason(tmp_path: Path, value: str):
    path = tmp_path / "bad.toml"
    path.write_text(
        ADULT_TEXT.replace("pump_paused_after_s = 120", f"pump_paused_after_s = {value}", 1)
    )
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    problems = dict(err.value.problems)
    assert "pump_paused_after_s" in problems, str(err.value)
    assert str(path) in str(err.value)
    why = problems["pump_paused_after_s"]
    assert "number" in why or "at most 3600 seconds" in why, why


def test_a_profile_without_the_key_takes_two_minutes(tmp_path: Path):
    path = tmp_path / "old.toml"
    path.write_text(re.sub(r"^pump_paused_after_s.*\n", "", ADULT_TEXT, flags=re.M))
    assert "pump_paused_after_s" not in path.read_text()
    assert load_profile(path).pump_paused_after_s == 120


# --- replay -----------------------------------------------------------------------------


def test_replay_takes_the_pumps_reports_from_the_sidecar():
    events = pd.DataFrame(
        [
            (50.0, "phase", "device", json.dumps({"phase": "infusion"})),
            (50.0, "pump", "device", json.dumps({"state": "running"})),
            (300.0, "pump", "device", json.dumps({"state": "paused"})),
            (330.0, "pump", "device", json.dumps({"state": "paused", "rate_mg_per_kg_h": 0.4})),
            (500.0, "pump", "device", json.dumps({"state": "running"})),
            (510.0, "pump", "device", "not json"),
        ],
        columns=["t", "kind", "source", "detail"],
    )
    acts = pump_actions(events)
    assert [(a.t_s, a.pump) for a in acts] == [(50.0, "running"), (300.0, "paused"),
                                               (500.0, "running")]  # fmt: skip
    rec = pd.DataFrame(
        [(float(t), "HR", 75.0, "ok", 75.0) for t in range(0, 600)],
        columns=["t", "channel", "value", "quality", "true_value"],
    )
    log, _ = replay(rec, load_profile("adult-default"), acts)
    pumped = [(e.t_s, e.event) for e in log if e.condition == PUMP_PAUSED]
    assert pumped == [(420.0, "active"), (500.0, "normal")]


def test_an_actions_file_may_set_the_pump():
    a = action_from_row({"t": "12", "action": "set_pump", "target": "Paused"})
    assert (a.t_s, a.pump) == (12.0, "paused")
    with pytest.raises(ValueError, match="pump state must be one of"):
        action_from_row({"t": "12", "action": "set_pump", "target": "jammed"})


# --- property ---------------------------------------------------------------------------

_HISTORY = st.lists(
    st.tuples(st.integers(1, 400), st.sampled_from(PUMP_STATES)), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(history=_HISTORY, after_s=st.sampled_from([1, 30, 120, 300]))
def test_raised_exactly_when_paused_for_the_delay(history: list[tuple[int, str]], after_s: int):
    """Whatever the pump reports and when, PUMP_PAUSED shows at second t exactly when the
    pump has been paused without a break for at least the delay."""
    bed = _bed(after_s=after_s)
    t, since, last = 0, None, "not_started"
    plan: dict[int, str] = {}
    for gap, state in history:
        t += gap
        plan[t] = state
    for sec in range(0, t + after_s + 5):
        state = plan.get(sec)
        bed.feed(float(sec), [_pump(state, float(sec))] if state is not None else None)
        if state is not None:
            if state == "paused" and last != "paused":
                since = sec
            elif state != "paused":
                since = None
            last = state
        expected = since is not None and sec - since >= after_s
        assert _active(bed) == expected, (sec, since, plan)
