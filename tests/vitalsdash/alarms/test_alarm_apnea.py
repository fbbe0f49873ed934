"""Capnography in the alarm engine: APNEA (no breath for the profile's ``apnea_s``), the
EtCO2 limits and the rise over baseline, with the signal rules of the other alarms.

EtCO2 comes once per breath, at its end (a fractional time): an apnoea is a stretch with
no reading. The engine is stepped once per second, as the runtime does it.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from alarm_helpers import ADULT, NORMAL_VALUES, REPO, make_profile, merge
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.alarms import (
    APNEA,
    AlarmAction,
    AlarmActionError,
    AlarmEngine,
    AlarmEvent,
    AlarmProfile,
    ConditionState,
    Priority,
    condition_labels,
    load_profile,
)
from vitalsdash.errors import ConfigError
from vitalsdash.model import Channel, Phase, Sample

pytestmark = pytest.mark.unit

BREATH_S = 4.0  # 15 breaths a minute
FIRST_BREATH_S = 2.5


def breaths(start: float, stop: float, every: float = BREATH_S) -> list[float]:
    """Breath ends from ``start`` (inclusive) to ``stop`` (exclusive)."""
    return [start + k * every for k in range(math.ceil((stop - start) / every))]


class Capno:
    """An engine stepped second by second with normal HR, SpO2 and RR, and EtCO2 at each
    breath of ``breaths`` (its value from ``etco2``, 40 mmHg by default)."""

    def __init__(self, profile: AlarmProfile | None = None, **over: object):
        self.engine = AlarmEngine(profile or make_profile(over or None))
        self.events: list[AlarmEvent] = list(self.engine.log)

    def run(
        self,
        t0: int,
        t1: int,
        times: list[float],
        etco2: float | dict[float, float] = 40.0,
        others: bool = True,
    ) -> None:
        for sec in range(t0, t1):
            samples = (
                [Sample(float(sec), Channel(ch), v) for ch, v in NORMAL_VALUES.items()]
                if others
                else []
            )
            for b in times:
                if sec <= b < sec + 1:
                    v = etco2 if isinstance(etco2, float) else etco2[b]
                    samples.append(Sample(b, Channel.ETCO2, v))
            now = max([float(sec), *(s.t_s for s in samples)])
            self.events += self.engine.step(samples, [], now_s=now)

    def act(self, action: AlarmAction) -> None:
        self.events += self.engine.act(action)

    def log(self, condition: str) -> list[tuple[float, str]]:
        return [
            (e.t_s, e.event)
            for e in self.events
            if e.condition == condition and e.event != "limit_changed"
        ]

    def state(self, condition: str = APNEA) -> ConditionState:
        return self.engine.states()[condition]

    def signal(self, now: float, condition: str = APNEA):
        return next((a for a in self.engine.signals(now).alarms if a.condition == condition),
                    None)  # fmt: skip


# --- when APNEA starts and ends -------------------------------------------------------------


def test_apnoea_starts_exactly_apnea_s_after_the_last_breath():
    bed = Capno()
    times = breaths(FIRST_BREATH_S, 31.0)  # the last breath at 30.5
    bed.run(0, 60, times)
    active = [e for e in bed.events if e.condition == APNEA and e.event == "active"]
    assert [e.t_s for e in active] == [50.5]  # 30.5 + 20, between two of the engine's steps
    e = active[0]
    assert (e.priority, e.base_priority, e.value, e.limit) == (Priority.HIGH, Priority.HIGH,
                                                               None, 20.0)  # fmt: skip
    assert e.detail["last_breath_s"] == 30.5
    sig = bed.signal(60)
    assert sig.message == "*** Apnoea: no breath for 20 s"
    assert (sig.colour, sig.sounding, sig.technical, sig.group) == ("red", True, False, "ETCO2")
    assert bed.engine.signals(60).audio.priority is Priority.HIGH


def test_a_profile_may_wait_longer_and_says_so():
    bed = Capno(apnea_s=30)
    bed.run(0, 80, breaths(FIRST_BREATH_S, 31.0))
    assert bed.log(APNEA) == [(60.5, "active")]
    assert bed.engine.labels()[APNEA] == "Apnoea: no breath for 30 s"
    assert bed.signal(80).message == "*** Apnoea: no breath for 30 s"


def test_no_apnoea_before_the_first_breath():
    """A capnograph not yet on the patient is silent: nothing to alarm until it has
    delivered one breath; from then on the count starts."""
    bed = Capno()
    bed.run(0, 300, [])
    assert bed.log(APNEA) == []
    bed.run(300, 330, [300.2])
    assert bed.log(APNEA) == [(320.2, "active")]


def test_the_next_breath_ends_it_and_a_high_alarm_latches():
    bed = Capno()
    bed.run(0, 90, [*breaths(FIRST_BREATH_S, 31.0), 77.3, 81.3, 85.3])
    assert bed.log(APNEA) == [(50.5, "active"), (77.3, "latched")]
    assert bed.state() is ConditionState.LATCHED
    latched = bed.signal(90)
    assert latched.message == "*** Apnoea (no breath for 20 s): breathing again, reset to clear"
    bed.act(AlarmAction.reset(90.0, APNEA))
    assert bed.state() is ConditionState.NORMAL


def test_without_latching_the_breath_ends_it_for_good():
    bed = Capno(latch="never")
    bed.run(0, 90, [*breaths(FIRST_BREATH_S, 31.0), 77.3])
    assert bed.log(APNEA) == [(50.5, "active"), (77.3, "normal")]
    assert bed.signal(90) is None


def test_the_deadline_fires_on_time_with_nothing_else_arriving():
    """The engine stepped late, with no sample at all: the apnoea is logged at the time it
    began, not when the engine noticed."""
    bed = Capno()
    bed.run(0, 12, [2.5, 6.5, 10.5], others=False)
    bed.events += bed.engine.step([], [], now_s=100.0)
    assert bed.log(APNEA) == [(30.5, "active")]


def test_an_action_after_the_deadline_comes_after_the_apnoea():
    bed = Capno()
    bed.run(0, 12, [2.5, 6.5, 10.5], others=False)
    bed.act(AlarmAction.pause_audio(40.0))
    mine = [e for e in bed.events if e.condition == APNEA or e.event == "audio_paused"]
    assert [(e.t_s, e.condition or e.event) for e in mine] == [
        (30.5, APNEA),
        (40.0, "audio_paused"),
    ]
    # it began before the pause, so the pause silences it (it did not break through)
    assert not bed.signal(40).sounding


def test_a_breath_exactly_at_the_deadline_is_in_time():
    bed = Capno()
    bed.run(0, 40, [2.5, 22.5], others=False)
    assert bed.log(APNEA) == []
    bed.run(40, 45, [], others=False)
    assert bed.log(APNEA) == [(42.5, "active")]


# --- acknowledge, pause, alarm off ------------------------------------------------------------


def test_acknowledge_silences_the_apnoea_until_the_reminder():
    bed = Capno()
    bed.run(0, 55, breaths(FIRST_BREATH_S, 31.0))
    bed.act(AlarmAction.acknowledge(APNEA, 55.0))
    assert not bed.signal(56).sounding
    bed.run(55, 180, [])
    assert (175.0, "reminder") in bed.log(APNEA)
    with pytest.raises(AlarmActionError, match="already acknowledged"):
        bed.act(AlarmAction.acknowledge(APNEA, 180.0))


def test_the_parameters_row_acknowledges_the_apnoea_with_the_etco2_alarms():
    bed = Capno()
    bed.run(0, 60, breaths(FIRST_BREATH_S, 31.0), etco2=58.0)  # high until the last breath
    sig = {a.condition: a for a in bed.engine.signals(60).alarms}
    assert {"ETCO2_HI", APNEA} <= set(sig)
    assert sig["ETCO2_HI"].unknown  # no breath, no new value
    assert not sig[APNEA].unknown
    bed.act(AlarmAction.acknowledge_all(60.0, channel="ETCO2"))
    acked = {e.condition for e in bed.events if e.event == "acknowledged"}
    assert acked == {"ETCO2_HI", APNEA}


def test_an_apnoea_breaks_through_an_audio_pause_over_lower_alarms_only():
    quiet = Capno()
    quiet.run(0, 40, breaths(FIRST_BREATH_S, 31.0))
    quiet.act(AlarmAction.pause_audio(40.0))
    quiet.run(40, 60, [])
    assert quiet.signal(60).sounding  # HIGH over nothing: it sounds through the pause
    loud = Capno()
    loud.run(0, 40, breaths(FIRST_BREATH_S, 31.0))
    loud.engine.step([Sample(40.0, Channel.SPO2, 80.0)], [], now_s=40.0)  # critical: HIGH
    loud.act(AlarmAction.pause_audio(40.0))
    loud.run(41, 60, [])
    assert not loud.signal(60).sounding  # not higher than the SpO2 alarm present
    assert loud.engine.signals(60).audio_paused


def test_etco2_alarms_off_switches_the_apnoea_off_and_on_again_from_then():
    bed = Capno()
    bed.run(0, 55, breaths(FIRST_BREATH_S, 31.0))
    bed.act(AlarmAction.alarm_off("ETCO2", 55.0))
    assert bed.log(APNEA)[-1] == (55.0, "normal")  # off ends it, never latched
    bed.run(55, 200, [])
    bed.act(AlarmAction.alarm_on("ETCO2", 200.0))
    bed.run(200, 205, [])
    # no breath for long already: it starts when the alarm is on again, not in the past
    assert bed.log(APNEA) == [(50.5, "active"), (55.0, "normal"), (200.0, "active")]


def test_the_apnoea_outlives_phase_changes_and_edits():
    bed = Capno()
    bed.run(0, 40, breaths(FIRST_BREATH_S, 31.0))
    bed.act(AlarmAction.set_phase(Phase.INFUSION, 40.0))
    bed.act(AlarmAction.set_limit("ETCO2", "high", 55, 41.0))
    bed.run(41, 60, [])
    assert bed.log(APNEA) == [(50.5, "active")]
    bed.act(AlarmAction.set_phase(Phase.OBSERVATION, 60.0))
    assert bed.state() is ConditionState.ACTIVE


# --- the EtCO2 limits and the rise over baseline ------------------------------------------------


def test_etco2_high_and_low_in_the_nurses_words():
    bed = Capno()
    high = breaths(FIRST_BREATH_S, 60.0)
    bed.run(0, 60, high, etco2=56.0)
    assert bed.log("ETCO2_HI") == [(2.5, "pending"), (18.5, "active")]  # 15 s delay
    assert bed.signal(60, "ETCO2_HI").message == "** EtCO₂ high 56 > 50"
    low = Capno()
    low.run(0, 60, high, etco2=22.0)
    assert low.signal(60, "ETCO2_LO").message == "** EtCO₂ low 22 < 25"
    assert low.engine.labels()["ETCO2_LO"] == "EtCO₂ low"


def test_shipped_profiles_watch_etco2_and_apnoea():
    for name in ("adult-default", "ketamine-infusion"):
        p = load_profile(name)
        s = p.channel(Channel.ETCO2)
        assert (s["low"], s["high"], s["delay_s"], s["hysteresis"]) == (25, 50, 15, 2)
        assert (s["critical_low"], s["critical_high"]) == (None, None)
        assert p.apnea_s == 20
    rise = {r.name: r for r in load_profile("ketamine-infusion").rules}["ETCO2_RISE"]
    assert (rise.channel, rise.direction, rise.baseline_delta) == ("ETCO2", "high", 9)
    assert rise.priority is Priority.MEDIUM


def _rise_bed(values: dict[float, float]) -> Capno:
    bed = Capno(load_profile("ketamine-infusion"))
    bed.act(AlarmAction.set_baseline({"ETCO2": 38.0}, 0.0))
    bed.act(AlarmAction.set_phase(Phase.INFUSION, 0.0))
    bed.run(0, 60, sorted(values), etco2=values)
    return bed


def test_a_rise_of_ten_over_baseline_alarms_and_says_how_far():
    times = breaths(FIRST_BREATH_S, 60.0)
    nine = _rise_bed(dict.fromkeys(times, 47.0))  # 9 above: no alarm
    assert nine.log("ETCO2_RISE") == []
    ten = _rise_bed(dict.fromkeys(times, 48.0))
    assert ten.log("ETCO2_RISE") == [(2.5, "pending"), (18.5, "active")]
    active = next(e for e in ten.events if e.condition == "ETCO2_RISE" and e.event == "active")
    assert (active.priority, active.value, active.limit) == (Priority.MEDIUM, 48.0, 47.0)
    assert ten.signal(60, "ETCO2_RISE").message == "** EtCO₂ 10 above baseline (≥ 10)"
    assert ten.log("ETCO2_HI") == []  # below the high limit: only the rise tells
    twelve = _rise_bed(dict.fromkeys(times, 50.0))
    assert twelve.signal(60, "ETCO2_RISE").message == "** EtCO₂ 12 above baseline (≥ 10)"
    # the label (review, report, logs) leaves the amount out
    labels = condition_labels(load_profile("ketamine-infusion"))
    assert labels["ETCO2_RISE"] == "EtCO₂ above baseline (≥ 10)"


def test_a_rise_back_inside_says_so_while_it_clears():
    times = breaths(FIRST_BREATH_S, 60.0)
    bed = Capno(load_profile("ketamine-infusion"))
    bed.act(AlarmAction.set_baseline({"ETCO2": 38.0}, 0.0))
    bed.act(AlarmAction.set_phase(Phase.INFUSION, 0.0))
    bed.run(0, 45, times, etco2={t: (50.0 if t < 40 else 44.0) for t in times})
    assert bed.log("ETCO2_RISE")[-1] == (42.5, "clearing")
    assert bed.signal(45, "ETCO2_RISE").message == (
        "** EtCO₂ 6 above baseline (≥ 10), back in range"
    )
    bed.run(45, 60, times, etco2=44.0)
    assert bed.log("ETCO2_RISE")[-1] == (50.5, "normal")  # MEDIUM: does not latch


# --- the profile key and the rule words -------------------------------------------------------


ADULT_TEXT = (REPO / "config" / "alarms" / "adult-default.toml").read_text()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("75", "must be at most 60 (got 75)"),
        ("5", "must be at least 10 (got 5)"),
        ("'twenty'", "must be a number (got 'twenty')"),
    ],
)
def test_a_bad_apnoea_delay_names_file_key_and_reason(tmp_path: Path, value: str, why: str):
    path = tmp_path / "bad.toml"
    path.write_text(ADULT_TEXT.replace("apnea_s = 20", f"apnea_s = {value}", 1))
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    assert dict(err.value.problems)["apnea_s"] == why
    assert str(path) in str(err.value)


def test_a_profile_without_the_key_waits_twenty_seconds():
    without = {k: v for k, v in ADULT.items() if k != "apnea_s"}
    assert AlarmProfile.model_validate(without).apnea_s == 20


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ({"name": "APNEA", "threshold": 60}, "used twice or by a built-in condition"),
        ({"name": "X", "threshold": 60, "message": "EtCO₂ {rise} high"}, "{rise} is for"),
        ({"name": "X", "baseline_delta": 9, "direction": "low", "message": "{rise}"},
         "{rise} is for a high rule"),
    ],
)  # fmt: skip
def test_rules_cannot_take_the_apnoeas_name_or_misuse_the_amount(rule: dict, why: str):
    full = {"channel": "ETCO2", "direction": "high", **rule}
    with pytest.raises(ValueError, match=why.replace("{", r"\{").replace("}", r"\}")):
        AlarmProfile.model_validate(merge(ADULT, {"rules": [full]}))


# --- property: APNEA is the gap ----------------------------------------------------------------

_GAPS = st.lists(st.floats(0.5, 70.0, allow_nan=False).map(lambda g: round(g, 2)),
                 min_size=1, max_size=25)  # fmt: skip


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    first_s=st.floats(0.0, 80.0).map(lambda t: round(t, 2)),
    gaps=_GAPS,
    apnea_s=st.sampled_from([10, 20, 30, 60]),
    latch=st.sampled_from(["high", "never"]),
)
def test_apnoea_is_active_exactly_while_the_gap_since_the_last_breath_reaches_the_delay(
    first_s: float, gaps: list[float], apnea_s: int, latch: str
):
    """Whatever the breathing, stepped each second: APNEA is active at a step exactly when
    a breath came and the time since the last one is at least ``apnea_s``; each episode
    starts ``apnea_s`` after a breath and ends at the next breath."""
    times = [first_s]
    for g in gaps:
        times.append(round(times[-1] + g, 2))
    bed = Capno(apnea_s=apnea_s, latch=latch)
    end = int(times[-1] + apnea_s + 5)
    for sec in range(end):
        bed.run(sec, sec + 1, times, others=False)
        now = bed.engine.state.now
        before = [b for b in times if b <= now]
        gap = bool(before) and now >= before[-1] + apnea_s
        assert (bed.state() is ConditionState.ACTIVE) == gap, (now, before[-1:])
    pairs = list(itertools.pairwise(times))
    late = [(a, b) for a, b in pairs if b > a + apnea_s]  # a breath at the deadline is in time
    log = [(e.t_s, e.event) for e in bed.events if e.condition == APNEA]
    expected = [
        x
        for a, b in late
        for x in ((a + apnea_s, "active"), (b, "latched" if latch == "high" else "normal"))
    ]
    assert log == [*expected, (times[-1] + apnea_s, "active")]
