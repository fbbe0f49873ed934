"""The debrief counts what the trainee did about a banner row once.

One hypertensive NIBP reading raises several alarms (the systolic, diastolic and MAP
limits, the rises over baseline); the bedside shows one row per parameter. A trainee who
pressed Acknowledge all, paused the audio and paused the pump within 26 s acknowledged
every one of them: the debrief must not report them as never acknowledged, and counts
one acknowledgement (and one time to acknowledge) per row, not one per condition.
"""

from __future__ import annotations

from typing import Any

import pytest
from infusion_start import start_infusion

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import (
    ConditionInfo,
    alarm_episodes,
    alarm_groups,
    compute_debrief,
    session_from_store,
)
from vitalsdash.feed import Feed
from vitalsdash.report import table_bytes
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration


def _ev(t: float, cond: str, event: str, prio: str = "MEDIUM", **detail: Any) -> dict:
    actor = detail.pop("actor", "")
    return {"t_s": t, "condition": cond, "event": event, "priority": prio,
            "priority_base": prio, "value": None, "limit_value": None, "actor": actor,
            "detail": detail}  # fmt: skip


def test_episodes_on_screen_together_make_one_row_per_parameter() -> None:
    log = [
        _ev(100, "SYS_HI", "active", "HIGH", reason="critical"),
        _ev(100, "SYS_RISE", "active"),
        _ev(100, "DIA_HI", "active"),
        _ev(120, "SYS_HI", "acknowledged", "HIGH", actor="trainee", episode=1, group="all"),
        _ev(120, "SYS_RISE", "acknowledged", actor="trainee", episode=1, group="all"),
        _ev(120, "DIA_HI", "acknowledged", actor="trainee", episode=1, group="all"),
        _ev(400, "SYS_SUST", "active"),  # folded under the systolic row, still showing
        _ev(700, "SYS_HI", "latched", "HIGH"),
        _ev(700, "SYS_RISE", "normal"),
        _ev(700, "SYS_SUST", "normal"),
        _ev(700, "DIA_HI", "normal"),
        _ev(750, "SYS_HI", "reset", "HIGH"),
        _ev(900, "SYS_RISE", "active"),  # a new row: nothing systolic was showing
    ]
    rules = {"SYS_RISE": ("NIBP_SYS", "high"), "SYS_SUST": ("NIBP_SYS", "high")}
    eps = alarm_episodes(log, 1000.0, conditions={k: ConditionInfo(*v) for k, v in rules.items()})
    rows = alarm_groups(eps)
    got = [(r.group, r.start_t_s, r.conditions, r.ack_t_s, r.priority) for r in rows]
    assert got == [
        ("NIBP_DIA", 100.0, ("DIA_HI",), 120.0, "MEDIUM"),
        ("NIBP_SYS", 100.0, ("SYS_HI", "SYS_RISE", "SYS_SUST"), 120.0, "HIGH"),
        ("NIBP_SYS", 900.0, ("SYS_RISE",), None, "MEDIUM"),
    ]
    systolic = rows[1]
    assert [e.condition for e in systolic.never_acknowledged] == ["SYS_SUST"]  # it sounded anew
    assert {e.first_action_kind for e in systolic.episodes if e.ack_t_s} == {"acknowledge_all"}


@pytest.fixture(scope="module")
def surge(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A hypertensive surge in the infusion; within 26 s of its alarms the trainee presses
    Acknowledge all, pauses the audio and pauses the pump; the session then ends."""
    db = tmp_path_factory.mktemp("groups") / "store.sqlite"
    store = Store(db)
    bed = BedConfig(id="b1", scenario="hypertensive-responder", seed=12)
    clinic = ClinicConfig(clinic=ClinicSection(speed=60), beds=[bed])
    rt = Runtime(clinic, store, Feed(store), clock=ManualClock())
    rt.start()
    rt.advance(600)  # the end of the baseline: the nurse (or the instructor) starts it
    start_infusion(rt, "b1")
    rt.advance(300)  # five minutes into the infusion
    # a surge that is at its height by the next cuff reading: one reading, several alarms
    rt.submit("b1", "inject_event", {"kind": "hypertensive_surge", "params": {
        "sbp_rise_mmhg": 90, "duration_min": 20, "onset_min": 0.5}}, "instructor")  # fmt: skip
    for _ in range(60):
        rt.advance(10)
        if len(rt.view("b1").signals.alarms) >= 5:
            break
    view = rt.view("b1")
    raised = [a.condition for a in view.signals.alarms]
    assert len(raised) >= 5, raised
    start = min(a.since_s for a in view.signals.alarms)
    rt.advance(int(start + 12 - view.t_s))
    pressed = rt.submit("b1", "acknowledge_all", {}, "trainee")["t_s"]
    rt.advance(6)
    rt.submit("b1", "pause_audio", {}, "trainee")
    rt.advance(6)
    rt.submit("b1", "pause_pump", {}, "trainee")
    assert rt.view("b1").t_s - start <= 26
    rt.advance(600)
    rt.submit("b1", "end_session", {}, "instructor")
    sid = rt.beds["b1"].session.session_id
    data = session_from_store(store, sid)
    out = {"data": data, "debrief": compute_debrief(data), "raised": raised,
           "start": start, "pressed": pressed}  # fmt: skip
    store.close()
    return out


def test_acknowledge_all_is_no_never_acknowledged(surge: dict[str, Any]) -> None:
    d = surge["debrief"]
    at_press = [e for e in d.episodes if e.start_t_s <= surge["pressed"] <= e.visible_until_s]
    assert sorted(e.condition for e in at_press) == sorted(surge["raised"])  # five or six
    assert all(e.ack_t_s == surge["pressed"] for e in at_press)
    assert not set(d.never_acknowledged) & set(at_press)
    assert {e.first_action_kind for e in at_press} == {"acknowledge_all"}


def test_one_press_is_one_acknowledgement_per_row(surge: dict[str, Any]) -> None:
    d = surge["debrief"]
    rows = [g for g in d.groups if g.start_t_s <= surge["pressed"] <= g.visible_until_s]
    assert len(rows) < len(surge["raised"])  # several alarms, fewer rows
    assert {g.group for g in rows} >= {"NIBP_SYS", "NIBP_DIA"}
    s = d.summary()
    assert s["alarms"] == len(d.groups)
    assert s["acknowledged"] == sum(g.ack_t_s is not None for g in d.groups)
    assert s["acknowledged"] < s["episodes"]
    times = {g.time_to_ack_s for g in rows}
    assert times == {surge["pressed"] - surge["start"]}  # the same press, timed once a row


def test_the_exported_alarm_actions_replay_the_press(surge: dict[str, Any]) -> None:
    text = table_bytes(surge["data"], "alarm_actions", "csv").decode()
    assert f"{surge['pressed']!r},acknowledge_all,trainee,," in text
