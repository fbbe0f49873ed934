"""Debrief metrics: exact answers from logs built by hand, from recordings built row by row
and evaluated by the real alarm engine, and from `vitalsim run` with scripted actions."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsdash.debrief import (
    Action,
    Observation,
    SessionData,
    SessionEvent,
    alarm_episodes,
    compute_debrief,
    read_actions_file,
    score_expected,
    session_from_frames,
    session_from_recording,
    silenced_unresolved,
)
from vitalsdash.protocol import load_protocol
from vitalsdash.recording import RecordingError
from vitalsim.cli import main as vitalsim
from vitalsim.scenario import ExpectedResponse

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[3]


def ev(
    t: float,
    cond: str,
    event: str,
    prio: str | None = "MEDIUM",
    *,
    base: str | None = None,
    value: float | None = None,
    limit: float | None = None,
    actor: str = "",
    **detail: Any,
) -> dict[str, Any]:
    """One alarm log row in the store's shape."""
    return {
        "t_s": float(t),
        "condition": cond,
        "event": event,
        "priority": prio,
        "priority_base": base or prio,
        "value": value,
        "limit_value": limit,
        "actor": actor,
        "detail": detail,
    }


def expected(when: str | list[str], do: str | list[str], within_min: float) -> ExpectedResponse:
    return ExpectedResponse.model_validate({"when": when, "do": do, "within_min": within_min})


def pump(rate: float, until: float = 4000.0) -> pd.DataFrame:
    ts = range(0, int(until), 10)
    return pd.DataFrame(
        {
            "t_s": [float(t) for t in ts],
            "channel": "PUMP_RATE",
            "value": rate,
            "quality": "ok",
            "true_value": rate,
        }
    )


def pump_steps(steps: list[tuple[float, float]], until: float = 4000.0) -> pd.DataFrame:
    """The rate the pump delivered, (from t, rate) steps: a row every 10 s and at each
    change, as the simulator writes PUMP_RATE."""
    ts = sorted({*range(0, int(until), 10), *(int(t) for t, _ in steps)})
    rates = [next(r for t0, r in reversed(steps) if t0 <= t) for t in ts]
    return pd.DataFrame({"t_s": [float(t) for t in ts], "channel": "PUMP_RATE",
                         "value": rates, "quality": "ok", "true_value": rates})  # fmt: skip


# --- episodes from a hand-built log ----------------------------------------------------------


def test_an_episode_escalates_is_acknowledged_latches_and_is_reset() -> None:
    log = [
        ev(100, "SYS_HI", "active", value=185, limit=179, reason="reading"),
        ev(
            160,
            "SYS_HI",
            "escalated",
            "HIGH",
            base="MEDIUM",
            value=185,
            before="MEDIUM",
            after="HIGH",
            reason="unacknowledged",
        ),
        ev(170, "SYS_HI", "acknowledged", "HIGH", base="MEDIUM", actor="trainee", episode=1),
        ev(400, "SYS_HI", "clearing", "HIGH", base="MEDIUM", value=150),
        ev(405, "SYS_HI", "latched", "HIGH", base="MEDIUM", value=150, duration_s=305.0),
        ev(500, "SYS_HI", "reset", "HIGH", base="MEDIUM", actor="trainee"),
    ]
    [e] = alarm_episodes(log, 1000.0)
    assert (e.condition, e.number, e.channel, e.direction) == ("SYS_HI", 1, "NIBP_SYS", "high")
    assert (e.base_priority, e.start_priority, e.priority) == ("MEDIUM", "MEDIUM", "HIGH")
    assert [(x.t_s, x.before, x.after) for x in e.escalations] == [(160.0, "MEDIUM", "HIGH")]
    assert (e.start_t_s, e.end_t_s, e.end_event, e.reset_t_s) == (100.0, 405.0, "latched", 500.0)
    assert e.visible_until_s == 500.0
    assert e.duration_s == 305.0
    assert (e.limit, e.peak_value) == (179.0, 185.0)  # no samples: the logged values
    assert (e.ack_t_s, e.time_to_ack_s, e.ack_actor) == (170.0, 70.0, "trainee")
    assert (e.first_action_kind, e.time_to_action_s) == ("acknowledge", 70.0)
    assert not e.still_active


def test_clearing_and_reactivated_stay_one_episode_and_the_peak_comes_from_samples() -> None:
    log = [
        ev(10, "HR_HI", "active", value=125, limit=120),
        ev(30, "HR_HI", "clearing", value=117),
        ev(32, "HR_HI", "reactivated", value=122),
        ev(40, "HR_HI", "clearing", value=110),
        ev(45, "HR_HI", "normal", value=100),
        ev(300, "HR_HI", "active", value=121, limit=120),
    ]
    samples = pd.DataFrame(
        {
            "t_s": [9.0, 10.0, 20.0, 44.0, 46.0, 300.0],
            "channel": "HR",
            "value": [140.0, 125.0, 133.0, 100.0, 150.0, 121.0],
            "quality": ["ok", "ok", "ok", "ok", "ok", "ok"],
            "true_value": math.nan,
        }
    )
    first, second = alarm_episodes(log, 400.0, samples=samples)
    assert (first.start_t_s, first.end_t_s, first.end_event) == (10.0, 45.0, "normal")
    assert (first.peak_value, first.peak_t_s) == (133.0, 20.0)  # 140 and 150 are outside it
    assert (second.number, second.start_t_s, second.end_t_s) == (2, 300.0, None)
    assert second.still_active
    assert second.duration_s == 100.0
    assert second.visible_until_s == 400.0


def test_an_acknowledgement_of_a_latched_episode_belongs_to_that_episode() -> None:
    log = [
        ev(10, "SYS_HI", "active", "HIGH", value=205, reason="critical"),
        ev(20, "SYS_HI", "clearing", "HIGH"),
        ev(25, "SYS_HI", "latched", "HIGH"),
        ev(600, "SYS_HI", "acknowledged", "HIGH", actor="trainee", episode=1),
        ev(900, "SYS_HI", "active", "HIGH", value=210, reason="critical"),
    ]
    first, second = alarm_episodes(log, 1000.0)
    assert first.ack_t_s == 600.0
    assert first.time_to_ack_s == 590.0
    assert first.visible_until_s == 900.0  # latched until the next episode replaced it
    assert second.ack_t_s is None


def test_time_to_first_action_counts_addressing_trainee_actions_only() -> None:
    log = [ev(100, "SPO2_LO", "active", value=88, limit=92), ev(400, "SPO2_LO", "normal")]
    actions = [
        Action(90, "oxygen_on", "trainee"),  # before the alarm
        Action(110, "reassure", "trainee"),  # does not address a low SpO2
        Action(120, "oxygen_on", "instructor"),  # not the trainee
        Action(130, "oxygen_on", "trainee", outcome="refused", reason="already on"),
        Action(150, "oxygen_on", "trainee"),
        Action(160, "reposition", "trainee"),
    ]
    [e] = alarm_episodes(log, 500.0, actions)
    assert (e.first_action_t_s, e.first_action_kind, e.time_to_action_s) == (
        150.0,
        "oxygen_on",
        50.0,
    )
    assert e.ack_t_s is None


def test_an_expected_action_counts_as_addressing_its_condition() -> None:
    log = [ev(100, "HR_HI", "active", value=130, limit=120)]
    acts = [Action(130, "give_antiemetic", "trainee")]
    [plain] = alarm_episodes(log, 500.0, acts)
    [scored] = alarm_episodes(log, 500.0, acts, expected=[expected("HR_HI", "give_antiemetic", 2)])
    assert plain.first_action_kind is None
    assert (scored.first_action_kind, scored.time_to_action_s) == ("give_antiemetic", 30.0)


def test_silenced_but_not_resolved() -> None:
    log = [
        # acknowledged at 200, still active at the end (2000)
        ev(100, "SYS_HI", "active", value=185),
        ev(200, "SYS_HI", "acknowledged", actor="trainee", episode=1),
        # acknowledged at 300, resolved 5 min later: fine
        ev(250, "HR_HI", "active", value=130),
        ev(300, "HR_HI", "acknowledged", actor="trainee", episode=1),
        ev(600, "HR_HI", "normal"),
        # audio paused at 700 while active, resolved 11 min later: flagged
        ev(650, "RR_LO", "active", value=6),
        ev(700, "", "audio_paused", None, actor="trainee", after=820.0),
        ev(1360, "RR_LO", "normal"),
        # started after the pause began: never silenced, not in the list however long it lasts
        ev(900, "SPO2_LO", "active", value=90),
    ]
    eps = alarm_episodes(log, 2000.0)
    flagged = silenced_unresolved(eps, 2000.0, limit_s=600.0)
    got = [
        (s.episode.condition, s.silenced_t_s, s.silenced_by, s.active_after_s, s.still_active)
        for s in flagged
    ]
    assert got == [
        ("SYS_HI", 200.0, "acknowledge", 1800.0, True),
        ("RR_LO", 700.0, "audio_pause", 660.0, False),
    ]
    assert [s.episode.condition for s in silenced_unresolved(eps, 2000.0, limit_s=700.0)] == [
        "SYS_HI"
    ]


def _data(log: list[dict[str, Any]], end: float, **kw: Any) -> SessionData:
    kw.setdefault("samples", pump(0.75, end))
    return SessionData(
        title="t",
        source="test",
        alarm_events=log,
        end_t_s=end,
        actions=kw.pop("actions", []),
        observations=kw.pop("observations", []),
        session_events=kw.pop("session_events", []),
        **kw,
    )


def test_suppressed_excursions_are_counted_per_condition() -> None:
    log = [
        ev(10, "SPO2_LO", "pending", value=90),
        ev(20, "SPO2_LO", "suppressed", value=88, limit=92, duration_s=10.0, readings=10),
        ev(30, "HR_HI", "suppressed", value=125, limit=120, duration_s=4.0, readings=4),
        ev(50, "SPO2_LO", "suppressed", value=89, limit=92, duration_s=6.0, readings=6),
    ]
    d = compute_debrief(_data(log, 100.0))
    assert len(d.suppressed) == 3
    assert d.suppressed_by_condition == {"HR_HI": 1, "SPO2_LO": 2}
    s = d.suppressed[0]
    assert (s.t_s, s.condition, s.duration_s, s.worst_value, s.limit, s.readings) == (
        20.0,
        "SPO2_LO",
        10.0,
        88.0,
        92.0,
        10,
    )
    assert d.summary()["suppressed"] == 3


# --- expected responses ----------------------------------------------------------------------


def test_expected_responses_met_late_missed_and_not_applicable() -> None:
    log = [
        ev(100, "SYS_HI", "active"),
        ev(500, "SYS_HI", "normal"),
        ev(1000, "SYS_HI", "active"),
        ev(1500, "SYS_HI", "normal"),
        ev(2000, "SYS_HI", "active"),
        ev(2500, "SYS_HI", "normal"),
        ev(3000, "SYS_HI", "active"),
    ]
    actions = [
        Action(160, "pause_pump"),  # met: 60 s after 100
        Action(170, "resume_pump"),
        Action(1240, "set_rate", params={"rate_mg_per_kg_h": 0.3}),  # late: 240 s > 180 s
        # 2000: nothing before the next occurrence: missed
        Action(3010, "stop_infusion", actor="instructor"),  # not the trainee
    ]
    # what the pump delivered: the actions above took effect, then it was stopped
    samples = pump_steps([(0, 0.75), (160, 0.0), (170, 0.75), (1240, 0.3), (2900, 0.0)])
    exp = [expected("SYS_HI", ["pause_pump", "set_rate", "stop_infusion"], 3)]
    eps = alarm_episodes(log, 4000.0, actions)
    got = [
        (r.trigger_t_s, r.status, r.action_t_s, r.action_kind, r.response_s, r.deadline_t_s)
        for r in score_expected(exp, eps, actions, 4000.0, samples)
    ]
    assert got == [
        (100.0, "met", 160.0, "pause_pump", 60.0, 280.0),
        (1000.0, "late", 1240.0, "set_rate", 240.0, 1180.0),
        (2000.0, "missed", None, None, None, 2180.0),
        (3000.0, "not_applicable", None, None, None, 3180.0),  # the pump was off
    ]


def test_conditions_of_one_expected_entry_active_together_are_one_occurrence() -> None:
    log = [
        ev(100, "HR_LO", "active"),
        ev(100, "SYS_LO", "active"),
        ev(150, "SYS_LO", "normal"),
        ev(400, "HR_LO", "normal"),
        ev(200, "SYS_LO", "active"),
        ev(300, "SYS_LO", "normal"),  # while HR_LO is active
        ev(900, "SYS_LO", "active"),
    ]
    actions = [Action(190, "reposition")]
    exp = [expected(["HR_LO", "SYS_LO"], "reposition", 2)]
    d = compute_debrief(_data(log, 1000.0, actions=actions, expected=tuple(exp)))
    got = [(r.trigger_condition, r.trigger_t_s, r.status, r.response_s) for r in d.expected]
    assert got == [("HR_LO", 100.0, "met", 90.0), ("SYS_LO", 900.0, "missed", None)]
    assert d.expected_counts() == {"met": 1, "late": 0, "missed": 1, "not_applicable": 0}


# --- discharge decision ----------------------------------------------------------------------


def _discharge_session(end_action_t: float) -> SessionData:
    """Baseline 0-600 s (120/80, HR 70, SpO2 98), infusion to 3000 s, then observation;
    NIBP every 900 s from 3000 s; alertness 9 charted at 6000 s; no alarm at all."""
    rows = []
    for t in range(0, 7200):
        rows += [(float(t), "HR", 70.0), (float(t), "SPO2", 98.0)]
        if t in (60, 300) or (t >= 3000 and (t - 3000) % 900 == 0):
            rows += [(float(t), "NIBP_SYS", 120.0), (float(t), "NIBP_DIA", 80.0)]
    samples = pd.DataFrame(rows, columns=["t_s", "channel", "value"])
    samples["quality"], samples["true_value"] = "ok", samples["value"]
    phases = [
        SessionEvent(600.0, "phase", "device", {"phase": "infusion"}),
        SessionEvent(3000.0, "phase", "device", {"phase": "observation"}),
    ]
    return SessionData(
        title="discharge",
        source="test",
        samples=samples,
        alarm_events=[],
        actions=[Action(end_action_t, "end_session")],
        observations=[Observation(6000.0, "alertness", 9.0)],
        session_events=phases,
        end_t_s=7200.0,
        protocol=load_protocol("depression-40min"),
    )


def test_discharge_before_readiness_names_what_was_missing() -> None:
    d = compute_debrief(_discharge_session(6000.0)).discharge
    assert (d.decided, d.t_s, d.actor, d.ready) == (True, 6000.0, "trainee", False)
    assert d.missing == ("observation 50 of 60 min",)
    # 60 min after the infusion ended (3000 s); the 6600 s reading is not known yet at 6600 s,
    # the one at 5700 s is 900 s old (within 15 min + 60 s)
    assert d.first_ready_t_s == 6600.0
    assert d.early_by_s == 600.0
    assert d.verdict == "discharged before readiness was met"


def test_discharge_when_ready() -> None:
    d = compute_debrief(_discharge_session(6700.0)).discharge
    assert (d.decided, d.ready, d.missing, d.first_ready_t_s) == (True, True, (), 6600.0)
    assert d.verdict == "discharged when ready"
    assert d.early_by_s is None
    assert {c.name for c in d.criteria if c.met} == {
        "observation",
        "bp_current",
        "sbp",
        "dbp",
        "hr",
        "spo2",
        "no_active_alarm",
        "alertness",
    }


def test_an_active_alarm_blocks_readiness_and_no_end_action_is_no_decision() -> None:
    data = _discharge_session(6700.0)
    data.actions = []
    data.alarm_events = [ev(6500, "SPO2_LO", "active", value=90)]
    d = compute_debrief(data).discharge
    assert (d.decided, d.t_s, d.evaluated_t_s, d.ready) == (False, None, 7200.0, False)
    assert d.missing == ("1 active alarm: SPO2_LO",)
    assert d.first_ready_t_s is None  # the alarm from 6500 s never ended
    assert d.verdict == "no discharge decision (not ready at the end)"


# --- through the alarm engine: a recording built row by row ---------------------------------


def _recording(minutes: int = 20) -> pd.DataFrame:
    """HR 72 and SpO2 97 every second, RR 14 every 5 s; an 8 s HR spike to 125 at 300 s
    (baseline phase, limit 120: shorter than the 10 s delay); HR 128 from 900 to 960 s
    (infusion phase, limit 109); the pump runs from 600 s; NIBP 120/80 every 5 min."""
    rows = []
    for t in range(minutes * 60):
        hr = 125.0 if 300 <= t < 308 else 128.0 if 900 <= t < 960 else 72.0
        rows += [(t, "HR", hr, "ok"), (t, "SPO2", 97.0, "ok")]
        if t % 5 == 0:
            rows.append((t, "RR", 14.0, "ok"))
        if t % 10 == 0:
            rows.append((t, "PUMP_RATE", 0.75 if t >= 600 else 0.0, "ok"))
        if t % 300 == 40:
            rows += [
                (t, "NIBP_SYS", 120.0, "ok"),
                (t, "NIBP_DIA", 80.0, "ok"),
                (t, "NIBP_MAP", 93.0, "ok"),
            ]
    df = pd.DataFrame(rows, columns=["t", "channel", "value", "quality"])
    df["t"] = df["t"].astype(float)
    df["true_value"] = df["value"]
    return df


def test_engine_evaluated_recording_gives_exact_metrics(tmp_path: Path) -> None:
    actions_csv = tmp_path / "actions.csv"
    actions_csv.write_text(
        "t,action,actor,target,value\n"
        "925,acknowledge,trainee,HR_HI,\n"
        "930,reassure,trainee,,\n"
        "1100,chart,trainee,note,\n"
    )
    alarm_actions, records = read_actions_file(actions_csv)
    data = session_from_frames(
        _recording(),
        alarm_actions=alarm_actions,
        actions=records,
        scenario=None,
        protocol="depression-40min",
    )
    d = compute_debrief(data)
    [e] = d.episodes
    # pending at 900 s, active after the 10 s delay, back inside at 960 s, normal 5 s later
    assert (e.condition, e.start_t_s, e.end_t_s, e.end_event) == ("HR_HI", 910.0, 965.0, "normal")
    assert (e.priority, e.escalations, e.limit, e.peak_value) == ("MEDIUM", (), 109.0, 128.0)
    assert (e.time_to_ack_s, e.first_action_kind, e.time_to_action_s) == (15.0, "acknowledge", 15.0)
    assert (e.first_patient_action_kind, e.first_patient_action_t_s) == ("reassure", 930.0)
    assert [(s.condition, s.t_s, s.duration_s, s.worst_value) for s in d.suppressed] == [
        ("HR_HI", 308.0, 8.0, 125.0)
    ]
    assert d.never_acknowledged == ()
    assert d.silenced_unresolved == ()
    assert [a.kind for a in data.actions] == ["acknowledge", "reassure", "chart"]
    assert data.end_t_s == 1200.0
    assert not d.discharge.decided
    assert d.discharge.ready is False


def test_a_rejected_alarm_action_is_marked_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("t,action,actor,target,value\n100,acknowledge,trainee,HR_HI,\n")
    alarm_actions, records = read_actions_file(path)
    data = session_from_frames(_recording(), alarm_actions=alarm_actions, actions=records)
    [a] = data.actions
    assert (a.outcome, a.reason) == ("refused", "HR high is not active, nothing to acknowledge")


def test_actions_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("t,action,actor,target,value\n1,pause_pump,,,\n2,set_rate,,,fast\n")
    with pytest.raises(RecordingError, match=r"a\.csv: line 3: column value: set_rate needs"):
        read_actions_file(path)
    path.write_text("t,action\n1,dance\n")
    with pytest.raises(RecordingError, match="line 2: column action: unknown action 'dance'"):
        read_actions_file(path)


# --- `vitalsim run` with scripted trainee actions --------------------------------------------


def _run(tmp_path: Path, name: str, actions_toml: str = "") -> Path:
    text = (REPO / "config" / "scenarios" / "hypertensive-responder.toml").read_text()
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(text + actions_toml)
    out = tmp_path / f"{name}.csv"
    assert vitalsim(["run", str(scenario), "--seed", "7", "--out", str(out)]) == 0
    return out


def _sys_hi_in_infusion(path: Path, scenario: Path) -> float:
    d = compute_debrief(session_from_recording(path, scenario=scenario))
    return next(e.start_t_s for e in d.episodes if e.condition == "SYS_HI" and e.start_t_s > 600)


def test_scripted_trainee_actions_are_scored_exactly(tmp_path: Path) -> None:
    """The SYS_HI alarm of the infusion starts at the same second in every run (an action
    after it cannot change what came before it), so the responses are known exactly."""
    base = _run(tmp_path, "none")
    t1 = _sys_hi_in_infusion(base, tmp_path / "none.toml")
    on_time = _run(
        tmp_path, "on-time", f'\n[[actions]]\nat = "start+{t1 + 60:g}s"\nkind = "pause_pump"\n'
    )
    late = _run(
        tmp_path,
        "late",
        f'\n[[actions]]\nat = "start+{t1 + 240:g}s"\nkind = "set_rate"\nrate_mg_per_kg_h = 0.2\n',
    )
    results = {}
    for name, path in (("none", base), ("on-time", on_time), ("late", late)):
        assert _sys_hi_in_infusion(path, tmp_path / f"{name}.toml") == t1
        d = compute_debrief(session_from_recording(path, scenario=tmp_path / f"{name}.toml"))
        results[name] = [
            (r.trigger_t_s, r.status, r.action_kind, r.response_s)
            for r in d.expected
            if r.status != "not_applicable"
        ]
        if name == "on-time":
            sys_hi = next(e for e in d.episodes if e.condition == "SYS_HI" and e.start_t_s == t1)
            assert (sys_hi.first_action_kind, sys_hi.time_to_action_s) == ("pause_pump", 60.0)
            assert sys_hi.ack_t_s is None
            assert sys_hi in d.never_acknowledged
    assert results == {
        "none": [(t1, "missed", None, None)],
        "on-time": [(t1, "met", "pause_pump", 60.0)],
        "late": [(t1, "late", "set_rate", 240.0)],
    }
    # the white-coat SYS_HI of the baseline cannot be answered with the pump: not applicable
    d = compute_debrief(session_from_recording(base, scenario=tmp_path / "none.toml"))
    [na] = [r for r in d.expected if r.status == "not_applicable"]
    assert na.trigger_t_s < 600


# --- readiness values from a record -----------------------------------------------------------

_QUALITIES = st.sampled_from(["ok", "ok", "ok", "artefact", "invalid"])


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 400), _QUALITIES, st.integers(60, 140)), max_size=60),
    at=st.integers(0, 420),
)
def test_judge_takes_hr_from_the_last_clean_sample(rows, at) -> None:
    """The debrief judges readiness on the values the live bed would have used: the last
    clean HR before ``at``, unless the signal was lost after it or it is over 60 s old."""
    from vitalsdash.debrief._discharge import ReadinessJudge
    from vitalsdash.protocol import CLEAN_WITHIN_S

    rows = sorted({t: (t, q, v) for t, q, v in rows}.values())  # one sample a second
    df = pd.DataFrame(
        [
            {
                "t_s": float(t),
                "channel": "HR",
                "value": math.nan if q == "invalid" else float(v),
                "quality": q,
            }
            for t, q, v in rows
        ]
        or {"t_s": [], "channel": [], "value": [], "quality": []}
    )
    judge = ReadinessJudge(load_protocol("depression-40min"), df, [], [], [])
    before = [r for r in rows if r[0] < at]
    clean = [r for r in before if r[1] == "ok"]
    lost = [r for r in before if r[1] == "invalid"]
    expected = None
    if clean and not (lost and lost[-1][0] > clean[-1][0]) and clean[-1][0] >= at - CLEAN_WITHIN_S:
        expected = float(clean[-1][2])
    assert judge.latest(float(at)).hr_bpm == expected
