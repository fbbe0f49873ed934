"""Acknowledge all, banner rows and the words of an alarm message.

- ``acknowledge_all``: after it no shown alarm is unacknowledged, and nothing else changed
  (hypothesis over the alarms a random stream of vital signs and actions leaves active);
  it is the same as acknowledging each of them on its own, logged per condition with the
  group it was pressed for; with nothing waiting it is refused and changes nothing.
- Banner rows: one per parameter, ordered by their head; the head is the row's highest
  priority alarm (``runtime._views.group_alarms``, hypothesis over any alarm list).
- Messages compare the value with the limit the engine used ("Systolic high 242 > 200",
  not the high limit in force), say a rule in its own words and never a code name.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import pytest
from alarm_helpers import Bed, make_profile
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from vitalsdash.alarms import AlarmAction, AlarmActionError, AlarmEngine, load_profile
from vitalsdash.alarms._state import ACTIVE, Cond
from vitalsdash.model import Channel, Phase, Quality, Sample
from vitalsdash.runtime._views import group_alarms

pytestmark = pytest.mark.unit

KETAMINE = load_profile("ketamine-infusion")
PROFILES = {"adult": make_profile(), "ketamine": KETAMINE}
ACK_SLOTS = {"acked", "escalate_at", "breakthrough", "next_reminder_t"}
"""What acknowledging a condition may change (alarms.md, "Acknowledge")."""


def _shown(c: Cond) -> bool:
    return c.state >= ACTIVE or c.latched


def _slots(c: Cond) -> dict:
    return {k: getattr(c, k) for k in Cond.__slots__}


def _value(lo: int, hi: int):
    return st.one_of(st.none(), st.just(math.nan), st.integers(lo, hi).map(float))


second = st.tuples(
    st.integers(1, 20),  # seconds since the previous step
    _value(20, 200),  # HR
    _value(70, 100),  # SpO2
    _value(0, 50),  # RR
    st.one_of(
        st.none(), st.tuples(st.integers(50, 260), st.integers(30, 140), st.integers(40, 170))
    ),
    st.lists(st.sampled_from(["ack_some", "pause", "reset", "infusion", "baseline"]), max_size=2),
)
streams = st.tuples(st.sampled_from(sorted(PROFILES)), st.lists(second, min_size=1, max_size=80))


def _drive(name: str, seconds: list) -> AlarmEngine:
    """An engine after a random stream: some alarms active, latched, acknowledged..."""
    engine = AlarmEngine(PROFILES[name])
    t = 0.0
    for dt, hr, spo2, rr, bp, acts in seconds:
        t += dt
        samples = [
            Sample(t, ch, v, Quality.INVALID if math.isnan(v) else Quality.OK)
            for ch, v in ((Channel.HR, hr), (Channel.SPO2, spo2), (Channel.RR, rr))
            if v is not None
        ]
        if bp is not None:
            chs = (Channel.NIBP_SYS, Channel.NIBP_DIA, Channel.NIBP_MAP)
            samples += [Sample(t, ch, float(v), Quality.OK) for ch, v in zip(chs, bp, strict=True)]
        for a in acts:
            shown = [c.name for c in engine.state.conds.values() if _shown(c) and not c.acked]
            action = {
                "ack_some": AlarmAction.acknowledge(shown[0], t) if shown else None,
                "pause": AlarmAction.pause_audio(t),
                "reset": AlarmAction.reset(t),
                "infusion": AlarmAction.set_phase(Phase.INFUSION, t),
                "baseline": AlarmAction.set_baseline({"NIBP_SYS": 130.0, "NIBP_DIA": 80.0}, t),
            }[a]
            if action is not None:
                with contextlib.suppress(AlarmActionError):
                    engine.act(action, now_s=t)
        engine.step(samples, [], now_s=t)
    return engine


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams)
def test_acknowledge_all_leaves_nothing_unacknowledged_and_changes_nothing_else(stream):
    name, seconds = stream
    engine = _drive(name, seconds)
    st_ = engine.state
    t = st_.now
    waiting = [c.name for c in st_.conds.values() if _shown(c) and not c.acked]
    before = {n: _slots(c) for n, c in st_.conds.items()}
    shown_before = engine.signals(t)
    acked = sum(c.acked for c in st_.conds.values())
    event(f"waiting: {min(len(waiting), 3)}, acknowledged: {min(acked, 3)}")
    if not waiting:
        with pytest.raises(AlarmActionError) as refused:
            engine.act(AlarmAction.acknowledge_all(t))
        assert refused.value.code == "nothing_to_acknowledge"
        assert {n: _slots(c) for n, c in st_.conds.items()} == before
        return
    one_by_one = engine.snapshot()
    events = engine.act(AlarmAction.acknowledge_all(t))
    # no shown alarm is left unacknowledged
    assert not [c.name for c in st_.conds.values() if _shown(c) and not c.acked]
    # one log line per alarm it acknowledged, saying which action did it
    assert sorted(e.condition for e in events) == sorted(waiting)
    assert {(e.event, e.detail["group"], e.detail["of"]) for e in events} == {
        ("acknowledged", "all", len(waiting))
    }
    # nothing else changed: the others untouched, the acknowledged ones only as acknowledging
    for n, c in st_.conds.items():
        changed = {k for k, v in _slots(c).items() if v != before[n][k]}
        assert changed <= (ACK_SLOTS if n in waiting else set()), (n, changed)
    after = engine.signals(t)
    assert [(a.condition, a.priority, a.message, a.state) for a in after.alarms] == [
        (a.condition, a.priority, a.message, a.state) for a in shown_before.alarms
    ]
    assert after.audio_paused == shown_before.audio_paused
    # the same as acknowledging each one on its own
    for n in waiting:
        one_by_one.act(AlarmAction.acknowledge(n, t))
    assert {n: _slots(c) for n, c in one_by_one.state.conds.items()} == {
        n: _slots(c) for n, c in st_.conds.items()
    }


def _surge(bed: Bed, t: int = 0) -> None:
    """The ketamine profile during the infusion, baseline 130/80: one reading of 242/120
    crosses the critical systolic and diastolic limits, MAP and the rises over baseline."""
    bed.act(AlarmAction.set_baseline({"NIBP_SYS": 130.0, "NIBP_DIA": 80.0}, t))
    bed.act(AlarmAction.set_phase(Phase.INFUSION, t))
    bed.feed(t + 1, NIBP=(242, 120, 161))


def test_one_reading_gives_one_row_per_parameter_headed_by_its_highest_alarm():
    bed = Bed(profile=KETAMINE)
    _surge(bed)
    sig = bed.engine.signals(1)
    raised = {a.condition for a in sig.alarms}
    assert {"SYS_HI", "SYS_RISE", "DIA_HI", "DIA_RISE", "MAP_HI"} <= raised
    rows = group_alarms(sig.alarms)
    heads = [a for a, folded in rows if not folded]
    assert sorted(a.group for a in heads) == ["NIBP_DIA", "NIBP_MAP", "NIBP_SYS"]
    by_group = {a.group: [x.condition for x, _ in rows if x.group == a.group] for a in heads}
    assert by_group["NIBP_SYS"][0] == "SYS_HI"  # HIGH (critical) over the MEDIUM rise
    assert set(by_group["NIBP_SYS"]) == {"SYS_HI", "SYS_RISE"}
    assert by_group["NIBP_DIA"][0] == "DIA_HI"


def test_acknowledging_a_parameter_row_leaves_the_other_rows_sounding():
    bed = Bed(profile=KETAMINE)
    _surge(bed)
    events = bed.act(AlarmAction.acknowledge_all(2, channel="NIBP_SYS"))
    assert {e.condition for e in events} == {"SYS_HI", "SYS_RISE"}
    assert {e.detail["group"] for e in events} == {"NIBP_SYS"}
    sig = {a.condition: a for a in bed.engine.signals(2).alarms}
    assert (sig["SYS_HI"].acknowledged, sig["SYS_RISE"].acknowledged) == (True, True)
    assert (sig["DIA_HI"].acknowledged, sig["DIA_HI"].sounding) == (False, True)
    with pytest.raises(AlarmActionError, match="no Systolic alarm is waiting") as again:
        bed.act(AlarmAction.acknowledge_all(3, channel="NIBP_SYS"))
    assert again.value.code == "nothing_to_acknowledge"
    bed.act(AlarmAction.acknowledge_all(4))
    assert all(a.acknowledged and not a.sounding for a in bed.engine.signals(4).alarms)


def test_the_banner_shows_the_limit_the_engine_used():
    """242 crossed the critical limit 200 (the log's limit), not only the high limit 179."""
    bed = Bed(profile=KETAMINE)
    _surge(bed)
    [active] = bed.find("SYS_HI", "active")
    assert (active.value, active.limit, active.detail["reason"]) == (242, 200, "critical")
    sig = {a.condition: a for a in bed.engine.signals(1).alarms}
    assert sig["SYS_HI"].message == "*** Systolic high 242 > 200"
    assert sig["SYS_HI"].limit == active.limit
    assert sig["DIA_HI"].message == "*** Diastolic high 120 ≥ 120"  # critical is inclusive
    assert sig["SYS_RISE"].message == "** Systolic ≥ 40 above baseline"
    bed.feed(600, NIBP=(185, 100, 128))  # still above 179, no longer critical
    sig = {a.condition: a for a in bed.engine.signals(600).alarms}
    assert sig["SYS_HI"].message == "*** Systolic high 185 > 179"
    for a in sig.values():
        assert "_" not in a.message, a.message
        assert "NIBP" not in a.message, a.message


def test_a_limit_moved_by_the_phase_keeps_the_one_the_alarm_was_raised_against():
    bed = Bed(profile=KETAMINE)  # baseline phase: systolic high 160
    bed.feed(0, NIBP=(170, 90, 117))
    [active] = bed.find("SYS_HI", "active")
    assert active.limit == 160
    bed.act(AlarmAction.set_phase(Phase.INFUSION, 1))  # the high limit is now 179
    sig = {a.condition: a for a in bed.engine.signals(1).alarms}
    assert sig["SYS_HI"].message == "** Systolic high 170 > 160"


def test_escalation_by_a_critical_value_logs_the_critical_limit():
    bed = Bed()  # adult-default: HR high 120, critical 150
    bed.run(0, 11, HR=125)
    bed.feed(11, HR=155)
    [esc] = bed.find("HR_HI", "escalated")
    assert (esc.value, esc.limit, esc.detail["reason"]) == (155, 150, "critical")
    assert bed.engine.signals(11).alarms[0].message == "*** HR high 155 > 150"


def test_technical_and_rule_alarms_are_worded_for_the_nurse():
    bed = Bed(profile=KETAMINE)
    bed.run(0, 25, RR=..., SPO2=None)
    messages = {a.condition: a.message for a in bed.engine.signals(25).alarms}
    assert messages["NO_DATA_RR"] == "* RR no data"
    assert messages["SENSOR_OFF"] == "* SpO₂ probe off"
    labels = {n: c.label for n, c in bed.engine.state.conds.items()}
    assert labels["SYS_SUST"] == "Systolic ≥ 160 for 5 min"
    assert labels["CUFF_FAIL"] == "NIBP cuff failure"
    assert labels["MAP_LO"] == "MAP low"


@dataclass(frozen=True)
class _A:
    condition: str
    group: str
    priority: int


alarm_lists = st.lists(
    st.builds(
        _A,
        st.sampled_from(["A", "B", "C", "D", "E", "F"]),
        st.sampled_from(["HR", "NIBP_SYS", "NIBP_DIA", ""]),
        st.integers(1, 3),
    ),
    max_size=12,
    unique_by=lambda a: a.condition,
).map(lambda xs: sorted(xs, key=lambda a: -a.priority))  # the engine's order: priority first


@given(alarm_lists)
def test_group_alarms_makes_contiguous_rows_in_the_order_of_their_heads(alarms):
    rows = group_alarms(alarms)
    assert sorted(a.condition for a, _ in rows) == sorted(a.condition for a in alarms)
    keys = [a.group or a.condition for a, _ in rows]
    heads = [k for k, (_, folded) in zip(keys, rows, strict=True) if not folded]
    assert len(heads) == len(set(heads)) == len(set(keys))  # one head per row
    assert [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k] == heads  # contiguous
    first_seen = list(dict.fromkeys(a.group or a.condition for a in alarms))
    assert heads == first_seen  # rows stand where their heads do
    for a, folded in rows:
        if folded:  # a row's head is its highest priority alarm
            head = next(h for h, f in rows if not f and (h.group or h.condition) == a.group)
            assert head.priority >= a.priority
