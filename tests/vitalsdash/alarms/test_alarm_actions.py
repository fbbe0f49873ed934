"""Actions: validation (AlarmActionError, nothing changed), logging, limits and phases."""

from __future__ import annotations

import pytest
from alarm_helpers import Bed

from vitalsdash.alarms import (
    AlarmAction,
    AlarmActionError,
    AlarmEngine,
    ConditionState,
    load_profile,
)
from vitalsdash.model import Channel, Phase, Sample

pytestmark = pytest.mark.unit


def _fingerprint(bed: Bed):
    eng = bed.engine
    return (eng.states(), eng.limits(), eng.signals(eng.state.now), len(eng.log))


@pytest.mark.parametrize(
    ("action", "code"),
    [
        (AlarmAction.acknowledge("SPO2_LO", 12), "not_active"),
        (AlarmAction.acknowledge("HR_HI_X", 12), "unknown_condition"),
        (AlarmAction.reset(12, "HR_HI"), "not_latched"),
        (AlarmAction.set_limit("HR", "high", 400, 12), "limit_out_of_range"),
        (AlarmAction.set_limit("HR", "high", 45, 12), "limit_out_of_range"),
        (AlarmAction.set_limit("HR", "low", 130, 12), "limit_out_of_range"),
        (AlarmAction.set_limit("HR", "critical_high", 100, 12), "limit_out_of_range"),
        (AlarmAction.set_limit("HR", "middle", 100, 12), "unknown_limit"),
        (AlarmAction.set_limit("KET_CE", "high", 100, 12), "unknown_channel"),
        (AlarmAction.auto_limits(12), "no_baseline"),
        (AlarmAction.alarm_on("HR", 12), "already_on"),
        (AlarmAction.resume_audio(12), "not_paused"),
    ],
)
def test_invalid_actions_raise_and_change_nothing(action, code):
    bed = Bed()
    bed.run(0, 11, HR=125)  # HR_HI active
    before = _fingerprint(bed)
    with pytest.raises(AlarmActionError) as err:
        bed.act(action)
    assert err.value.code == code
    assert _fingerprint(bed) == before


def test_unknown_channel_is_rejected_when_the_action_is_built():
    with pytest.raises(AlarmActionError) as err:
        AlarmAction.set_limit("HX", "high", 100, 0)
    assert err.value.code == "unknown_channel"


def test_double_acknowledge_is_rejected():
    bed = Bed()
    bed.run(0, 11, HR=125)
    bed.act(AlarmAction.acknowledge("HR_HI", 11))
    with pytest.raises(AlarmActionError):
        bed.act(AlarmAction.acknowledge("HR_HI", 12))


def test_a_step_with_an_invalid_action_changes_nothing_at_all():
    bed = Bed()
    bed.run(0, 11, HR=125)
    before = _fingerprint(bed)
    good = AlarmAction.acknowledge("HR_HI", 11)
    bad = AlarmAction.acknowledge("SPO2_LO", 11)
    with pytest.raises(AlarmActionError):
        bed.engine.step([Sample(11, Channel.HR, 125.0)], [good, bad], now_s=11)
    assert _fingerprint(bed) == before
    assert not bed.engine.state.conds["HR_HI"].acked


def test_limit_edit_is_logged_with_old_and_new_values_and_applies_at_the_next_sample():
    bed = Bed()
    bed.run(0, 5, HR=125)
    events = bed.act(AlarmAction.set_limit("HR", "high", 130, 5, actor="instructor"))
    action = next(e for e in events if e.event == "set_limit")
    assert action.actor == "instructor"
    assert action.condition == "HR"
    assert action.detail == {"before": {"HR.high": 120.0}, "after": {"HR.high": 130.0}}
    change = next(e for e in events if e.event == "limit_changed")
    assert change.condition == "HR_HI"
    assert change.limit == 130
    assert change.detail["before"]["limit"] == 120
    assert change.detail["after"]["limit"] == 130
    assert bed.state("HR_HI") is ConditionState.PENDING  # takes effect at the next sample
    bed.feed(5, HR=125)
    assert bed.log("HR_HI")[-1] == (5, "suppressed")
    assert bed.engine.limits()["HR_HI"] == 130


def test_auto_limits_use_the_mindray_formulas_and_are_logged():
    bed = Bed()
    bed.act(AlarmAction.set_baseline({"HR": 70, "NIBP_SYS": 120, "NIBP_DIA": 70}, 0))
    events = bed.act(AlarmAction.auto_limits(1))
    limits = bed.engine.limits()
    assert (limits["HR_LO"], limits["HR_HI"]) == (56, 88)  # 0.8 x 70, 1.25 x 70
    assert (limits["SYS_LO"], limits["SYS_HI"]) == (92, 141)  # 0.68 S + 10, 0.86 S + 38
    assert (limits["DIA_LO"], limits["DIA_HI"]) == (54, 92)
    action = next(e for e in events if e.event == "auto_limits")
    assert action.detail["before"]["HR.high"] == 120
    assert action.detail["after"]["HR.high"] == 88
    assert {e.condition for e in events if e.event == "limit_changed"} >= {"HR_HI", "SYS_LO"}


def test_auto_limits_stay_inside_the_critical_limits():
    bed = Bed()
    bed.act(AlarmAction.set_baseline({"HR": 140}, 0))
    bed.act(AlarmAction.auto_limits(1))
    assert bed.engine.limits()["HR_HI"] == 150  # 1.25 x 140 = 175 > critical 150


def test_phase_changes_apply_the_phase_limits_and_log_them():
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    assert eng.limits()["SYS_HI"] == 160  # baseline: do not start above 160/100
    events = eng.act(AlarmAction.set_phase(Phase.INFUSION, 600))
    assert eng.limits()["SYS_HI"] == 179
    assert eng.limits()["HR_HI"] == 109
    changed = {e.condition: e for e in events if e.event == "limit_changed"}
    assert changed["HR_HI"].actor == "system"
    assert changed["HR_HI"].detail["cause"] == "set_phase"
    assert changed["HR_HI"].detail["before"]["limit"] == 120
    phase = next(e for e in events if e.event == "set_phase")
    assert phase.detail == {"before": "baseline", "after": "infusion"}


def test_user_limit_edits_survive_a_phase_change():
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    eng.act(AlarmAction.set_limit("HR", "high", 115, 10))
    eng.act(AlarmAction.set_phase("infusion", 600))
    assert eng.limits()["HR_HI"] == 115


def test_baseline_relative_rule_follows_the_baseline():
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    assert eng.limits()["SYS_RISE"] is None  # no baseline, not infusing
    eng.act(AlarmAction.set_baseline({"NIBP_SYS": 125, "NIBP_DIA": 80}, 590))
    eng.act(AlarmAction.set_phase("infusion", 600))
    assert eng.limits()["SYS_RISE"] == 164
    assert eng.limits()["DIA_RISE"] == 104
    eng.step(
        [
            Sample(900, Channel.NIBP_SYS, 165.0),
            Sample(900, Channel.NIBP_DIA, 85.0),
            Sample(900, Channel.NIBP_MAP, 110.0),
        ],
        now_s=900,
    )
    assert eng.states()["SYS_RISE"] is ConditionState.ACTIVE
    assert eng.states()["SYS_HI"] is ConditionState.NORMAL


def _reading(eng: AlarmEngine, t: float, sys: float) -> None:
    eng.step(
        [
            Sample(t, Channel.NIBP_SYS, sys),
            Sample(t, Channel.NIBP_DIA, 80.0),
            Sample(t, Channel.NIBP_MAP, 100.0),
        ],
        now_s=t,
    )


def test_sustained_rule_needs_readings_spanning_its_duration():
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    eng.act(AlarmAction.set_phase("infusion", 0))
    _reading(eng, 100, 165)
    assert eng.states()["SYS_SUST"] is ConditionState.PENDING
    _reading(eng, 300, 166)  # two readings, but only 200 s apart
    assert eng.states()["SYS_SUST"] is ConditionState.PENDING
    _reading(eng, 400, 166)
    assert eng.states()["SYS_SUST"] is ConditionState.ACTIVE


def test_repeated_reading_rule_is_high():
    eng = AlarmEngine(load_profile("ketamine-infusion"))
    eng.act(AlarmAction.set_phase("infusion", 0))
    _reading(eng, 100, 185)
    assert eng.states()["SYS_HI"] is ConditionState.ACTIVE
    assert eng.states()["SYS_REPEAT"] is ConditionState.PENDING
    _reading(eng, 400, 182)
    sig = {a.condition: a for a in eng.signals(400).alarms}
    assert sig["SYS_REPEAT"].priority.name == "HIGH"


def test_every_action_is_logged_with_its_actor():
    bed = Bed()
    bed.run(0, 11, HR=125)
    bed.act(AlarmAction.acknowledge("HR_HI", 11, actor="trainee"))
    bed.act(AlarmAction.pause_audio(12, actor="instructor"))
    bed.act(AlarmAction.set_phase("infusion", 13))
    bed.act(AlarmAction.set_baseline({"HR": 70}, 14))
    actors = [(e.event, e.actor) for e in bed.events if e.actor and e.event != "limit_changed"]
    assert actors == [
        ("acknowledged", "trainee"),
        ("audio_paused", "instructor"),
        ("set_phase", "system"),
        ("set_baseline", "system"),
    ]
