"""Property tests: random sample streams and actions never crash the engine, replay
identically (also from a snapshot), never raise a condition without a violating sample,
and every episode that starts either ends or is still running at the end."""

from __future__ import annotations

import contextlib
import math

import pytest
from alarm_helpers import make_profile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vitalsdash.alarms import AlarmAction, AlarmActionError, AlarmEngine, AlarmEvent, load_profile
from vitalsdash.model import Channel, Phase, Quality, Sample

pytestmark = pytest.mark.unit

PROFILES = {
    "adult": make_profile(),
    "sat": make_profile({"channels": {"SPO2": {"sat_seconds": 10}}, "clear_delay_s": 0}),
    "ketamine": load_profile("ketamine-infusion"),
}
CONDITIONS = [
    "HR_HI",
    "HR_LO",
    "SPO2_LO",
    "RR_HI",
    "RR_LO",
    "ETCO2_HI",
    "APNEA",
    "SYS_HI",
    "SYS_LO",
    "DIA_HI",
    "MAP_LO",
    "NO_DATA_HR",
    "SENSOR_OFF",
    "CUFF_FAIL",
    "SYS_RISE",
    "ETCO2_RISE",
    "NOPE",
]
CHANNELS = ["HR", "SPO2", "RR", "ETCO2", "NIBP_SYS", "NIBP_DIA", "NIBP_MAP"]


def _value(lo: float, hi: float):
    return st.one_of(
        st.none(),  # no sample this second
        st.just(math.nan),  # invalid sample
        st.integers(int(lo), int(hi)).map(float),
        st.floats(lo, hi, allow_nan=False),
    )


nibp = st.one_of(
    st.none(),
    st.just((math.nan, math.nan, math.nan)),
    st.tuples(st.integers(50, 230), st.integers(30, 130), st.integers(40, 150)),
)
action = st.one_of(
    st.builds(lambda c: ("acknowledge", c), st.sampled_from(CONDITIONS)),
    st.just(("pause_audio",)),
    st.just(("resume_audio",)),
    st.builds(lambda c: ("reset", c), st.one_of(st.none(), st.sampled_from(CONDITIONS))),
    st.builds(
        lambda ch, w, v: ("set_limit", ch, w, v),
        st.sampled_from(CHANNELS),
        st.sampled_from(["low", "high", "critical_low", "critical_high"]),
        st.integers(0, 320),
    ),
    st.builds(lambda ch: ("alarm_off", ch), st.sampled_from(CHANNELS)),
    st.builds(lambda ch: ("alarm_on", ch), st.sampled_from(CHANNELS)),
    st.just(("auto_limits",)),
    st.builds(lambda p: ("set_phase", p), st.sampled_from(list(Phase))),
    st.builds(lambda v: ("set_baseline", v), st.integers(60, 180)),
)
second = st.tuples(
    st.integers(1, 4),  # seconds since the previous step
    _value(20, 200),  # HR
    _value(70, 100),  # SPO2
    _value(0, 50),  # RR
    _value(10, 70),  # EtCO2: a breath this second, or none (long runs of none: apnoea)
    nibp,
    st.lists(action, max_size=2),
)
scripts = st.tuples(st.sampled_from(sorted(PROFILES)), st.lists(second, min_size=1, max_size=120))


def _build(t: float, a: tuple) -> AlarmAction:
    kind = a[0]
    if kind == "acknowledge":
        return AlarmAction.acknowledge(a[1], t)
    if kind == "pause_audio":
        return AlarmAction.pause_audio(t)
    if kind == "resume_audio":
        return AlarmAction.resume_audio(t)
    if kind == "reset":
        return AlarmAction.reset(t, a[1])
    if kind == "set_limit":
        return AlarmAction.set_limit(a[1], a[2], a[3], t)
    if kind == "alarm_off":
        return AlarmAction.alarm_off(a[1], t)
    if kind == "alarm_on":
        return AlarmAction.alarm_on(a[1], t)
    if kind == "auto_limits":
        return AlarmAction.auto_limits(t)
    if kind == "set_phase":
        return AlarmAction.set_phase(a[1], t)
    return AlarmAction.set_baseline(
        {"HR": a[1], "NIBP_SYS": a[1] + 40, "NIBP_DIA": a[1], "ETCO2": a[1] / 3}, t
    )


def _inputs(script) -> list[tuple[float, list[Sample], list[AlarmAction]]]:
    out = []
    t = 0.0
    for dt, hr, spo2, rr, etco2, bp, acts in script:
        t += dt
        samples = []
        continuous = (
            (Channel.HR, hr), (Channel.SPO2, spo2), (Channel.RR, rr), (Channel.ETCO2, etco2),
        )  # fmt: skip
        for ch, v in continuous:
            if v is not None:
                samples.append(Sample(t, ch, v, Quality.INVALID if math.isnan(v) else Quality.OK))
        if bp is not None:
            for ch, v in zip(
                (Channel.NIBP_SYS, Channel.NIBP_DIA, Channel.NIBP_MAP), bp, strict=True
            ):
                samples.append(
                    Sample(t, ch, float(v), Quality.INVALID if math.isnan(v) else Quality.OK)
                )
        out.append((t, samples, [_build(t, a) for a in acts]))
    return out


def _run(engine: AlarmEngine, inputs) -> list[AlarmEvent]:
    events: list[AlarmEvent] = []
    for t, samples, actions in inputs:
        for a in actions:  # one at a time: an invalid one is rejected, the rest go on
            with contextlib.suppress(AlarmActionError):
                events += engine.act(a, now_s=t)
        events += engine.step(samples, [], now_s=t)
    return events


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scripts)
def test_engine_never_crashes_and_replays_identically(script):
    name, seconds = script
    inputs = _inputs(seconds)
    a = AlarmEngine(PROFILES[name])
    b = AlarmEngine(PROFILES[name])
    assert _run(a, inputs) == _run(b, inputs)
    assert a.signals(inputs[-1][0]) == b.signals(inputs[-1][0])


@SETTINGS
@given(scripts, st.integers(0, 120))
def test_a_snapshot_continues_exactly_like_the_original(script, cut):
    name, seconds = script
    inputs = _inputs(seconds)
    cut = min(cut, len(inputs))
    engine = AlarmEngine(PROFILES[name])
    _run(engine, inputs[:cut])
    copy = engine.snapshot()
    assert _run(engine, inputs[cut:]) == _run(copy, inputs[cut:])
    assert engine.log == copy.log


@SETTINGS
@given(scripts)
def test_no_condition_becomes_active_without_a_violating_sample(script):
    name, seconds = script
    inputs = _inputs(seconds)
    engine = AlarmEngine(PROFILES[name])
    events = _run(engine, inputs)
    seen = {
        (s.t_s, s.channel.value, s.value)
        for _, samples, _ in inputs
        for s in samples
        if s.quality is not Quality.INVALID
    }
    for e in events:
        if e.event != "active" or e.value is None:
            continue
        cond = engine.state.conds[e.condition]
        assert (e.t_s, cond.channel.value, e.value) in seen, e
        if e.detail["reason"] == "critical":
            assert e.value >= e.limit if cond.hi else e.value <= e.limit
        else:
            assert e.value > e.limit if cond.hi else e.value < e.limit


@SETTINGS
@given(scripts)
def test_every_episode_ends_or_is_still_active_at_the_end(script):
    name, seconds = script
    engine = AlarmEngine(PROFILES[name])
    events = _run(engine, _inputs(seconds))
    open_: dict[str, bool] = {}
    for e in events:
        if e.event == "active":
            assert not open_.get(e.condition), f"{e.condition} started twice: {e}"
            open_[e.condition] = True
        elif e.event in ("normal", "latched") and open_.get(e.condition):
            open_[e.condition] = False
        elif e.event in ("clearing", "reactivated", "escalated", "reminder"):
            assert open_.get(e.condition), f"{e.event} outside an episode: {e}"
    for name_, running in open_.items():
        assert running == engine.state.conds[name_].in_episode, name_
