"""The condition state table of alarms.md, one test (or more) per row."""

from __future__ import annotations

import pytest
from alarm_helpers import Bed

from vitalsdash.alarms import AlarmAction, ConditionState, Priority

pytestmark = pytest.mark.unit
S = ConditionState


# NORMAL -> PENDING: value strictly beyond the limit; equal is not a violation.


def test_value_equal_to_the_limit_is_no_violation():
    bed = Bed()
    bed.run(0, 60, HR=120, SPO2=90, RR=30)
    assert bed.log("HR_HI") == []
    assert bed.log("SPO2_LO") == []
    assert bed.log("RR_HI") == []
    bed.feed(60, NIBP=(160, 100, 120))
    assert bed.state("SYS_HI") is S.NORMAL
    assert bed.state("DIA_HI") is S.NORMAL


def test_value_beyond_the_limit_starts_pending():
    bed = Bed()
    bed.feed(0, HR=121)
    assert bed.log("HR_HI") == [(0, "pending")]
    assert bed.state("HR_HI") is S.PENDING
    bed.feed(1, SPO2=89)
    assert bed.state("SPO2_LO") is S.PENDING


# NORMAL, PENDING -> ACTIVE: beyond the critical limit (inclusive, no delay).


def test_critical_limit_goes_straight_to_high():
    bed = Bed()
    events = bed.feed(0, HR=150)
    active = [e for e in events if e.condition == "HR_HI" and e.event == "active"]
    assert len(active) == 1
    assert active[0].priority is Priority.HIGH
    assert active[0].base_priority is Priority.MEDIUM
    assert active[0].limit == 150
    assert active[0].detail["reason"] == "critical"


def test_critical_limit_during_pending_activates_at_once():
    bed = Bed()
    bed.feed(0, SPO2=88)
    bed.feed(1, SPO2=85)
    assert bed.log("SPO2_LO") == [(0, "pending"), (1, "active")]
    assert bed.find("SPO2_LO", "active")[0].priority is Priority.HIGH


def test_critical_limit_during_a_medium_episode_escalates_it():
    bed = Bed()
    bed.run(0, 11, HR=130)
    assert bed.state("HR_HI") is S.ACTIVE
    bed.feed(11, HR=151)
    (esc,) = bed.find("HR_HI", "escalated")
    assert esc.priority is Priority.HIGH
    assert esc.detail["reason"] == "critical"


def test_nibp_reading_beyond_a_limit_is_active_at_once_and_holds():
    bed = Bed()
    bed.feed(0, NIBP=(161, 80, 95))
    assert bed.log("SYS_HI") == [(0, "active")]
    bed.run(1, 400)  # no reading: the condition holds, nothing is re-evaluated
    assert bed.log("SYS_HI") == [(0, "active"), (60, "escalated")]
    assert bed.state("SYS_HI") is S.ACTIVE
    bed.feed(400, NIBP=(130, 80, 95))
    bed.run(401, 410)
    assert bed.log("SYS_HI")[2:] == [(400, "clearing"), (405, "latched")]


def test_nibp_evaluated_once_per_reading():
    bed = Bed()
    bed.feed(0, NIBP=(91, 60, 70))
    n = len(bed.events)
    bed.run(1, 300)
    assert [e for e in bed.events[n:] if e.condition.startswith(("SYS", "DIA", "MAP"))] == []


# PENDING -> NORMAL: back inside before the delay ends, logged as suppressed.


def test_short_excursion_is_suppressed_and_raises_nothing():
    bed = Bed()
    bed.run(0, 5)
    bed.run(5, 14, HR=130)  # 9 s < 10 s delay
    bed.run(14, 40)
    assert bed.log("HR_HI") == [(5, "pending"), (14, "suppressed")]
    (sup,) = bed.find("HR_HI", "suppressed")
    assert sup.detail["duration_s"] == 9
    assert sup.value == 130
    assert not bed.engine.signals(20).alarms


# PENDING -> ACTIVE: the delay elapsed.


def test_delay_elapsed_activates_exactly_at_the_delay():
    bed = Bed()
    bed.run(100, 110, HR=125)
    assert bed.state("HR_HI") is S.PENDING
    bed.feed(110, HR=125)
    assert bed.log("HR_HI") == [(100, "pending"), (110, "active")]
    assert bed.find("HR_HI", "active")[0].detail == {"reason": "delay", "pending_s": 10}


def test_rr_delay_counts_time_not_samples():
    bed = Bed()
    for t in range(0, 30, 5):
        bed.feed(t, RR=32)
    assert bed.log("RR_HI") == [(0, "pending"), (15, "active")]


# PENDING -> ACTIVE: SatSeconds.


SAT = {"channels": {"SPO2": {"sat_seconds": 25, "critical_low": 80}}}


def test_sat_seconds_fire_in_the_exact_second_the_integral_reaches_the_setting():
    bed = Bed(SAT)
    bed.run(0, 10)
    bed.run(10, 14, SPO2=85)  # 5 per second: 5, 10, 15, 20
    assert bed.state("SPO2_LO") is S.PENDING
    bed.feed(14, SPO2=85)  # 25
    assert bed.log("SPO2_LO") == [(10, "pending"), (14, "active")]
    assert bed.find("SPO2_LO", "active")[0].detail["reason"] == "sat_seconds"


def test_sat_seconds_ignore_the_delay_for_a_shallow_dip():
    bed = Bed(SAT)
    bed.run(0, 24, SPO2=89)  # 1 per second: 24 after 24 s, beyond the 15 s delay
    assert bed.state("SPO2_LO") is S.PENDING
    bed.feed(24, SPO2=89)
    assert bed.state("SPO2_LO") is S.ACTIVE


def test_sat_seconds_decay_on_recovery_instead_of_resetting():
    bed = Bed(SAT)
    bed.run(0, 4, SPO2=85)  # 20
    bed.feed(4, SPO2=91)  # inside: suppressed, decays by max(91 - 90, 1) = 1 -> 19
    bed.feed(5, SPO2=85)  # 24
    assert bed.state("SPO2_LO") is S.PENDING
    bed.feed(6, SPO2=85)  # 29 >= 25
    assert bed.state("SPO2_LO") is S.ACTIVE


def test_sat_seconds_fully_decayed_start_again():
    bed = Bed(SAT)
    bed.run(0, 4, SPO2=85)  # 20
    bed.run(4, 10, SPO2=95)  # decays 5 per second -> 0
    bed.run(10, 14, SPO2=85)  # 20 again
    assert bed.state("SPO2_LO") is S.PENDING


# PENDING -> ACTIVE: three excursions within 60 s.


def _excursions(bed: Bed, starts: list[int]) -> None:
    t = 0
    for s in starts:
        bed.run(t, s)
        bed.run(s, s + 3, HR=125)
        t = s + 3
    bed.run(t, t + 5)


def test_three_excursions_within_60_s_activate():
    bed = Bed()
    _excursions(bed, [0, 20, 40])
    assert bed.log("HR_HI", "suppressed") == [(3, "suppressed"), (23, "suppressed")]
    (active,) = bed.find("HR_HI", "active")
    assert active.t_s == 40
    assert active.detail["reason"] == "excursions"


def test_three_excursions_spread_over_more_than_60_s_do_not():
    bed = Bed()
    _excursions(bed, [0, 40, 61])
    assert bed.find("HR_HI", "active") == []
    assert len(bed.find("HR_HI", "suppressed")) == 3


# ACTIVE -> CLEARING -> NORMAL, hysteresis and reactivation.


def _active_hr(bed: Bed) -> None:
    bed.run(0, 11, HR=125)
    assert bed.state("HR_HI") is S.ACTIVE


def test_back_inside_by_the_hysteresis_margin_starts_clearing():
    bed = Bed()
    _active_hr(bed)
    bed.run(11, 20, HR=119)  # inside, but by less than 2 bpm: still active
    assert bed.state("HR_HI") is S.ACTIVE
    bed.feed(20, HR=118)
    assert bed.state("HR_HI") is S.CLEARING


def test_hysteresis_keeps_an_oscillation_around_the_limit_to_one_episode():
    bed = Bed()
    _active_hr(bed)
    for t in range(11, 200):
        bed.feed(t, HR=121 if t % 2 else 119)
    bed.run(200, 210, HR=80)
    assert len(bed.find("HR_HI", "active")) == 1
    assert [e for _, e in bed.log("HR_HI")] == [
        "pending",
        "active",
        "escalated",
        "clearing",
        "latched",
    ]


def test_oscillation_before_activation_is_also_one_episode():
    bed = Bed()
    for t in range(0, 300):
        bed.feed(t, HR=121 if t % 2 else 119)
    assert len(bed.find("HR_HI", "active")) == 1


def test_clearing_returns_to_active_in_the_same_episode():
    bed = Bed()
    _active_hr(bed)
    bed.run(11, 13, HR=110)
    bed.feed(13, HR=125)
    assert bed.log("HR_HI")[-3:] == [(10, "active"), (11, "clearing"), (13, "reactivated")]
    assert bed.engine.state.conds["HR_HI"].episode == 1


def test_inside_for_the_clear_delay_returns_to_normal():
    bed = Bed()
    _active_hr(bed)
    bed.run(11, 15, HR=100)
    assert bed.state("HR_HI") is S.CLEARING
    bed.feed(16, HR=100)
    assert bed.log("HR_HI")[-2:] == [(11, "clearing"), (16, "normal")]
    assert bed.state("HR_HI") is S.NORMAL


# CLEARING -> LATCHED; LATCHED -> NORMAL on reset.


def test_high_conditions_latch_until_reset():
    bed = Bed()
    bed.feed(0, HR=155)
    bed.run(1, 10, HR=80)
    assert bed.state("HR_HI") is S.LATCHED
    assert [a.condition for a in bed.engine.signals(10).alarms] == ["HR_HI"]
    bed.act(AlarmAction.reset(10.5, "HR_HI"))
    assert bed.state("HR_HI") is S.NORMAL
    (reset,) = bed.find("HR_HI", "reset")
    assert reset.t_s == 10.5
    assert reset.actor == "trainee"
    assert bed.engine.signals(11).alarms == ()


def test_medium_conditions_do_not_latch():
    bed = Bed()
    _active_hr(bed)
    bed.run(11, 20, HR=80)
    assert bed.state("HR_HI") is S.NORMAL


def test_reset_all_resets_every_latched_condition():
    bed = Bed()
    bed.feed(0, HR=155, SPO2=80)
    bed.run(1, 10)
    assert bed.state("HR_HI") is S.LATCHED
    assert bed.state("SPO2_LO") is S.LATCHED
    bed.act(AlarmAction.reset(10))
    assert bed.state("HR_HI") is S.NORMAL
    assert bed.state("SPO2_LO") is S.NORMAL


def test_a_new_episode_replaces_a_latched_one():
    bed = Bed()
    bed.feed(0, HR=155)
    bed.run(1, 10, HR=80)
    bed.run(10, 21, HR=125)
    assert bed.state("HR_HI") is S.ACTIVE
    assert bed.find("HR_HI", "active")[-1].priority is Priority.MEDIUM


# any -> NO_DATA: state kept, flagged unknown; a missing value never counts as recovery.


def test_no_data_never_clears_an_active_condition():
    bed = Bed()
    _active_hr(bed)
    bed.run(11, 100, HR=...)
    assert bed.state("HR_HI") is S.ACTIVE
    assert bed.log("NO_DATA_HR") == [(20, "active")]
    sig = {a.condition: a for a in bed.engine.signals(100).alarms}
    assert sig["HR_HI"].unknown
    assert sig["NO_DATA_HR"].technical
    assert sig["NO_DATA_HR"].priority is Priority.LOW


def test_no_data_keeps_a_pending_condition_pending():
    bed = Bed()
    bed.run(0, 5, HR=125)
    bed.run(5, 60, HR=...)
    assert bed.state("HR_HI") is S.PENDING
    bed.feed(60, HR=80)
    assert bed.log("HR_HI")[-1] == (60, "suppressed")
    assert bed.log("NO_DATA_HR") == [(14, "active"), (60, "normal")]


def test_invalid_samples_are_no_data_too():
    bed = Bed()
    _active_hr(bed)
    bed.run(11, 30, HR=None)
    assert bed.state("HR_HI") is S.ACTIVE
    assert bed.state("NO_DATA_HR") is S.ACTIVE


def test_clearing_needs_data_to_complete():
    bed = Bed()
    _active_hr(bed)
    bed.feed(11, HR=100)
    bed.run(12, 40, HR=...)
    assert bed.state("HR_HI") is S.CLEARING
    bed.feed(40, HR=100)
    assert bed.state("HR_HI") is S.NORMAL


# any -> inhibited: SENSOR_OFF inhibits SPO2_LO, CUFF_FAIL inhibits NIBP limits.


def test_sensor_off_inhibits_spo2_limits_and_logs_why():
    bed = Bed()
    bed.run(0, 5, SPO2=88)
    bed.run(5, 60, SPO2=None)
    assert bed.state("SENSOR_OFF") is S.ACTIVE
    assert bed.state("SPO2_LO") is S.PENDING  # not evaluated: neither active nor suppressed
    (inh,) = bed.find("SPO2_LO", "inhibited")
    assert inh.t_s == 5
    assert inh.detail["reason"] == "SENSOR_OFF"
    assert bed.find("NO_DATA_SPO2", "active") == []  # SENSOR_OFF explains it
    bed.feed(60, SPO2=97)
    assert bed.state("SENSOR_OFF") is S.NORMAL
    assert bed.log("SPO2_LO")[-2:] == [(60, "uninhibited"), (60, "suppressed")]


def test_cuff_fail_inhibits_nibp_limits():
    bed = Bed()
    bed.feed(0, NIBP=(165, 80, 95))
    bed.feed(300, NIBP=(None, None, None))
    assert bed.state("CUFF_FAIL") is S.ACTIVE
    inhibited = {e.condition for e in bed.events if e.event == "inhibited"}
    assert {"SYS_HI", "SYS_LO", "DIA_HI", "MAP_LO"} <= inhibited
    assert bed.find("CUFF_FAIL", "active")[0].priority is Priority.LOW
    bed.feed(600, NIBP=(120, 80, 95))
    assert bed.state("CUFF_FAIL") is S.NORMAL
    assert bed.log("SYS_HI")[-2:] == [(600, "uninhibited"), (600, "clearing")]


def test_nibp_overdue_after_interval_plus_grace():
    bed = Bed({"nibp_interval_s": 300})
    bed.feed(0, NIBP=(120, 80, 95))
    bed.run(1, 360)
    assert bed.state("NIBP_OVERDUE") is S.NORMAL
    bed.feed(360)
    assert bed.state("NIBP_OVERDUE") is S.ACTIVE
    assert bed.engine.signals(361).nibp_overdue
    bed.feed(400, NIBP=(120, 80, 95))
    assert bed.state("NIBP_OVERDUE") is S.NORMAL


def test_technical_conditions_never_latch():
    bed = Bed()
    bed.run(0, 30, HR=...)
    bed.run(30, 40)
    assert bed.state("NO_DATA_HR") is S.NORMAL


def test_artefact_quality_is_evaluated_like_ok():
    from vitalsdash.model import Channel, Quality, Sample

    bed = Bed()
    for t in range(0, 11):
        bed.events += bed.engine.step([Sample(t, Channel.HR, 130.0, Quality.ARTEFACT)], now_s=t)
    assert bed.state("HR_HI") is S.ACTIVE
