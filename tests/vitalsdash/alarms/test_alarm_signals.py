"""Signal rules of alarms.md: visual, audio, acknowledge, pause, alarm off, escalation, order."""

from __future__ import annotations

import pytest
from alarm_helpers import Bed

from vitalsdash.alarms import AlarmAction, AlarmActionError, ConditionState, Priority
from vitalsdash.model import Channel

pytestmark = pytest.mark.unit


def _sig(bed: Bed, now: float) -> dict:
    return {a.condition: a for a in bed.engine.signals(now).alarms}


def _hr_medium(bed: Bed, t0: int = 0) -> None:
    """HR_HI active (MEDIUM) at t0 + 10."""
    bed.run(t0, t0 + 11, HR=125)


# Visual signal per priority.


def test_visual_signal_per_priority():
    bed = Bed()
    bed.feed(0, HR=155, NIBP=(165, 80, 95), RR=...)
    bed.run(1, 25, HR=155, RR=...)
    sig = _sig(bed, 25)
    high, med, low = sig["HR_HI"], sig["SYS_HI"], sig["NO_DATA_RR"]
    assert (high.colour, high.marker) == ("red", "***")
    assert 1.4 <= high.flash_hz <= 2.8
    assert 0.2 <= high.duty <= 0.6
    assert (med.colour, med.marker) == ("yellow", "**")
    assert 0.4 <= med.flash_hz <= 0.8
    assert (low.colour, low.marker, low.flash_hz) == ("cyan", "*", 0.0)
    assert high.message == "*** HR high 155 > 150"  # the critical limit that raised it
    assert med.priority is Priority.MEDIUM
    assert med.message == "** Systolic high 165 > 160"


def test_nothing_hides_the_visual_signal_of_an_active_condition():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.acknowledge("HR_HI", 11))
    bed.act(AlarmAction.pause_audio(12))
    sig = _sig(bed, 13)
    assert sig["HR_HI"].state is ConditionState.ACTIVE
    assert not sig["HR_HI"].sounding


# Audio by the highest priority.


def test_audio_pattern_follows_the_highest_sounding_priority():
    bed = Bed()
    _hr_medium(bed)
    audio = bed.engine.signals(11).audio
    assert audio is not None
    assert audio.priority is Priority.MEDIUM
    assert audio.pulses == 3
    assert 2.5 <= audio.repeat_s <= 30
    bed.feed(11, SPO2=80)
    audio = bed.engine.signals(11).audio
    assert audio.priority is Priority.HIGH
    assert audio.pulses == 10
    assert 2.5 <= audio.repeat_s <= 15


def test_low_priority_audio_repeats_slowly():
    bed = Bed()
    bed.run(0, 30, RR=...)
    audio = bed.engine.signals(30).audio
    assert audio.priority is Priority.LOW
    assert audio.pulses <= 2
    assert audio.repeat_s > 15


def test_a_short_high_episode_still_plays_half_a_burst():
    bed = Bed({"latch": "never", "clear_delay_s": 0})
    bed.feed(0, HR=155)
    bed.feed(1, HR=80)
    assert bed.state("HR_HI") is ConditionState.NORMAL
    sig = bed.engine.signals(1.5)
    assert sig.alarms == ()
    assert sig.audio is not None
    assert sig.audio.priority is Priority.HIGH
    assert bed.engine.signals(2.5).audio is None


# Acknowledge.


def test_acknowledging_one_condition_leaves_the_others_sounding():
    bed = Bed()
    bed.feed(0, NIBP=(165, 80, 95))
    _hr_medium(bed, 1)
    bed.act(AlarmAction.acknowledge("HR_HI", 12))
    sig = _sig(bed, 13)
    assert sig["HR_HI"].acknowledged
    assert not sig["HR_HI"].sounding
    assert sig["SYS_HI"].sounding
    assert not sig["SYS_HI"].acknowledged
    assert bed.engine.signals(13).audio.priority is Priority.MEDIUM
    (ack,) = bed.find("HR_HI", "acknowledged")
    assert ack.actor == "trainee"
    assert ack.detail["after_s"] == 1


def test_reminder_resounds_after_120_s_while_still_active():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.acknowledge("HR_HI", 20))
    bed.run(11, 140, HR=125)
    assert not _sig(bed, 139)["HR_HI"].sounding
    bed.feed(140, HR=125)
    assert bed.log("HR_HI", "reminder") == [(140, "reminder")]
    assert _sig(bed, 140)["HR_HI"].sounding
    assert not _sig(bed, 165)["HR_HI"].sounding  # one burst period later it is quiet again
    assert _sig(bed, 165)["HR_HI"].acknowledged


def test_a_new_episode_sounds_again_after_acknowledge():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.acknowledge("HR_HI", 11))
    bed.run(11, 20, HR=80)
    assert bed.state("HR_HI") is ConditionState.NORMAL
    _hr_medium(bed, 20)
    sig = _sig(bed, 31)["HR_HI"]
    assert sig.sounding
    assert not sig.acknowledged


# Audio pause.


def test_audio_pause_silences_everything_present_and_counts_down():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.pause_audio(20))
    sig = bed.engine.signals(20)
    assert sig.audio_paused
    assert sig.audio is None
    assert sig.pause_remaining_s == 120
    assert bed.engine.signals(80).pause_remaining_s == 60
    assert not _sig(bed, 80)["HR_HI"].sounding


def test_during_a_pause_only_a_new_condition_of_higher_priority_sounds():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.pause_audio(11))
    bed.feed(12, NIBP=(165, 80, 95))  # new, but MEDIUM like HR_HI: stays silent
    bed.run(13, 40, HR=125, RR=...)  # NO_DATA_RR, LOW: silent
    assert bed.state("NO_DATA_RR") is ConditionState.ACTIVE
    assert bed.engine.signals(40).audio is None
    bed.feed(40, HR=125, SPO2=80)  # HIGH: breaks through
    sig = _sig(bed, 41)
    assert sig["SPO2_LO"].sounding
    assert not sig["HR_HI"].sounding
    assert not sig["SYS_HI"].sounding
    assert bed.engine.signals(41).audio.priority is Priority.HIGH
    assert bed.find("SPO2_LO", "active")[0].detail["breakthrough"] is True


def test_every_active_condition_sounds_again_when_the_pause_ends():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.pause_audio(11))
    bed.feed(12, NIBP=(165, 80, 95))
    bed.run(13, 131, HR=125)
    assert bed.engine.signals(130).audio is None
    bed.feed(131, HR=125)
    assert bed.log("", "audio_resumed") == [(131, "audio_resumed")]
    sig = _sig(bed, 131)
    assert sig["HR_HI"].sounding
    assert sig["SYS_HI"].sounding
    assert not bed.engine.signals(131).audio_paused


def test_pause_length_comes_from_the_profile():
    bed = Bed({"audio_pause_s": 60})
    bed.act(AlarmAction.pause_audio(0))
    assert bed.engine.signals(0).pause_remaining_s == 60


def test_resume_audio_ends_the_pause():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.pause_audio(11))
    bed.act(AlarmAction.resume_audio(12))
    assert _sig(bed, 12)["HR_HI"].sounding
    with pytest.raises(AlarmActionError):
        bed.act(AlarmAction.resume_audio(13))


# Alarm off per parameter.


def test_alarm_off_is_per_parameter_and_shown_with_a_reminder():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.alarm_off(Channel.HR, 11))
    assert bed.state("HR_HI") is ConditionState.NORMAL
    n = len(bed.events)
    bed.run(12, 300, HR=130, SPO2=80)
    assert [e for e in bed.events[n:] if e.condition.startswith("HR_")] == []
    assert bed.state("SPO2_LO") is ConditionState.ACTIVE  # other parameters still alarm
    (notice,) = bed.engine.signals(300).alarms_off
    assert notice.channel is Channel.HR
    assert notice.since_s == 11
    assert not notice.reminding
    assert notice.next_reminder_s == 11
    bed.run(300, 312, HR=130)
    assert bed.log("HR", "alarm_off_reminder") == [(311, "alarm_off_reminder")]
    assert bed.engine.signals(311).alarms_off[0].reminding
    bed.run(312, 400, HR=130)
    assert not bed.engine.signals(399).alarms_off[0].reminding
    bed.act(AlarmAction.alarm_on(Channel.HR, 400))
    bed.run(400, 411, HR=130)
    assert bed.state("HR_HI") is ConditionState.ACTIVE
    assert bed.engine.signals(411).alarms_off == ()


@pytest.mark.parametrize("channel", ["ALL", "PUMP_RATE", "*", ""])
def test_there_is_no_global_alarm_off(channel):
    bed = Bed()
    with pytest.raises(AlarmActionError):
        bed.act(AlarmAction.alarm_off(channel, 0))


# Escalation.


def test_unacknowledged_medium_escalates_to_high_for_its_episode_only():
    bed = Bed({"latch": "never"})
    _hr_medium(bed)  # active at 10
    bed.run(11, 70, HR=125)
    assert _sig(bed, 69)["HR_HI"].priority is Priority.MEDIUM
    bed.feed(70, HR=125)
    (esc,) = bed.find("HR_HI", "escalated")
    assert esc.t_s == 70
    assert esc.detail["reason"] == "unacknowledged"
    assert _sig(bed, 70)["HR_HI"].priority is Priority.HIGH
    assert _sig(bed, 70)["HR_HI"].base_priority is Priority.MEDIUM
    bed.run(71, 80, HR=80)
    _hr_medium(bed, 80)
    assert _sig(bed, 91)["HR_HI"].priority is Priority.MEDIUM


def test_acknowledged_medium_does_not_escalate():
    bed = Bed()
    _hr_medium(bed)
    bed.act(AlarmAction.acknowledge("HR_HI", 30))
    bed.run(11, 200, HR=125)
    assert bed.find("HR_HI", "escalated") == []


def test_escalated_episode_latches_as_high():
    bed = Bed()
    _hr_medium(bed)
    bed.run(11, 80, HR=125)
    bed.run(80, 90, HR=80)
    assert bed.state("HR_HI") is ConditionState.LATCHED


# Order.


def test_active_alarms_are_ordered_by_priority_then_newest_first():
    bed = Bed()
    bed.feed(0, NIBP=(165, 80, 95), RR=...)
    bed.run(1, 25, RR=...)  # NO_DATA_RR (LOW) at 20
    bed.act(AlarmAction.acknowledge("SYS_HI", 25))  # acknowledged: no escalation
    bed.run(25, 36, HR=125, RR=...)  # HR_HI (MEDIUM) at 35
    bed.feed(36, HR=125, SPO2=80, RR=...)  # SPO2_LO (HIGH) at 36
    order = [a.condition for a in bed.engine.signals(36).alarms]
    assert order == ["SPO2_LO", "HR_HI", "SYS_HI", "NO_DATA_RR"]
    assert bed.engine.signals(36).highest is Priority.HIGH


def test_latched_condition_keeps_sounding_until_acknowledged():
    bed = Bed()
    bed.feed(0, HR=155)
    bed.run(1, 10)
    sig = _sig(bed, 10)["HR_HI"]
    assert sig.state is ConditionState.LATCHED
    assert sig.sounding
    bed.act(AlarmAction.acknowledge("HR_HI", 10))
    assert not _sig(bed, 10)["HR_HI"].sounding
