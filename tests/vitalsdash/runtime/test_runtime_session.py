"""Four beds at x60 through a whole 40-minute protocol session, on a manual clock.

One run (module fixture) of the clinic's life: baseline -> infusion -> observation ->
ready, a trainee who charts alertness and answers a vasovagal episode, and then the proof
that everything the sources produced is in the store, that readiness explains itself, and
that the stored alarm log equals an offline ``vitalsdash alarms replay`` of the recording
exported from the store.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from infusion_start import start_infusion

from vitalsdash import protocol as proto
from vitalsdash.catalogue import session_protocol
from vitalsdash.cli import main
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.model import Phase
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsim import find_scenario, load_scenario
from vitalsim.engine import Cohort, profile_for, run_batch, samples_of, scheduled_actions

pytestmark = pytest.mark.integration

BEDS = {
    "chair1": ("uneventful-depression", 11),
    "chair2": ("hypertensive-responder", 12),
    "chair3": ("artefact-heavy", 13),
    "chair4": ("vasovagal-observation", 14),
}
SPEED = 60
INFUSION_S, OBSERVATION_S = 600.0, 3000.0  # 10 min baseline, 40 min infusion
READY_S = OBSERVATION_S + 60 * 60  # 60 min of observation
END_S = 7200  # the protocol's 110 minutes and 10 more
EARLY_CHART_S, LOW_CHART_S, CHART_S = 1800, 4200, 4800
LOG_KEYS = ("t", "condition", "event", "priority", "value", "limit")
ALARM_ACTION_KINDS = {"acknowledge", "reset", "pause_audio", "resume_audio", "auto_limits"}


@dataclass
class Run:
    rt: Runtime
    store: Store
    feed: Feed
    dir: Path
    phases: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # per tick
    missing: dict[str, list[tuple[int, list[str]]]] = field(default_factory=dict)
    first_action_s: dict[str, float] = field(default_factory=dict)
    vasovagal_s: float | None = None

    def sid(self, bed: str) -> int:
        s = self.rt.beds[bed].session
        assert s is not None
        return s.session_id


def _vasovagal_nurse(run: Run, t: int) -> None:
    """chair4's trainee: acknowledge and reposition at the first low HR/SBP alarm, start a
    cuff measurement 5 min later to confirm the pressure, then reset the latched alarms."""
    s = run.rt.beds["chair4"].session
    assert s is not None
    signals = s.engine.signals(float(t)).alarms
    if run.vasovagal_s is None:
        active = [a.condition for a in signals if a.state.name == "ACTIVE"]
        if {"HR_LO", "SYS_LO"} & set(active):
            run.vasovagal_s = t
            run.first_action_s["chair4"] = t
            for cond in active:
                run.rt.submit("chair4", "acknowledge", {"condition": cond}, "trainee")
            run.rt.submit("chair4", "reposition", {}, "trainee")
    elif t == run.vasovagal_s + 300:
        run.rt.submit("chair4", "nibp_start", {}, "trainee")
    elif t >= run.vasovagal_s + 420 and signals and all(a.state.name == "LATCHED" for a in signals):
        run.rt.submit("chair4", "reset", {}, "trainee")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    d = tmp_path_factory.mktemp("session")
    beds = [BedConfig(id=b, scenario=sc, seed=seed) for b, (sc, seed) in BEDS.items()]
    clinic = ClinicConfig(clinic=ClinicSection(speed=SPEED, tick_s=1.0), beds=beds)
    store = Store(d / "clinic.sqlite")
    feed = Feed(store)
    clock = ManualClock()
    rt = Runtime(clinic, store, feed, clock=clock)
    rt.start()
    r = Run(rt, store, feed, d)
    for _ in range(END_S // SPEED):
        clock.advance(1.0)  # one wall second is one simulated minute at x60
        assert rt.tick() == SPEED
        t = rt.beds["chair1"].session.t_s  # type: ignore[union-attr]
        if t == INFUSION_S:  # the end of the baseline: the nurses start every infusion
            for bed in BEDS:
                start_infusion(rt, bed)
        if t == EARLY_CHART_S:  # during the infusion: must not count for discharge
            rt.submit("chair1", "chart", {"kind": "alertness", "value": 10}, "trainee")
        if t == LOW_CHART_S:
            rt.submit("chair1", "chart", {"kind": "alertness", "value": 7}, "trainee")
        if t == CHART_S:
            for bed in BEDS:
                rt.submit(bed, "chart", {"kind": "alertness", "value": 10}, "trainee")
        _vasovagal_nurse(r, t)
        for bed in BEDS:
            summary = rt.bed_summary(bed)["session"]
            assert summary["t_s"] == t
            r.phases.setdefault(bed, []).append((t, summary["phase"]))
            if summary["readiness"] is not None:
                r.missing.setdefault(bed, []).append((t, summary["readiness"]["missing"]))
    yield r
    store.close()


# --- phases and readiness -----------------------------------------------------------------


def _phase_rows(run: Run, bed: str) -> list[tuple[float, str, str]]:
    return [
        (e["t_s"], e["detail"]["phase"], e["source"])
        for e in run.store.session_events(run.sid(bed))
        if e["kind"] == "phase"
    ]


@pytest.mark.parametrize("bed", ["chair1", "chair3", "chair4"])
def test_phases_advance_to_ready(run: Run, bed: str):
    rows = _phase_rows(run, bed)
    assert rows[:3] == [
        (INFUSION_S, "infusion", "device"),
        (OBSERVATION_S, "observation", "device"),
        (READY_S, "ready", "protocol"),  # the first second all criteria hold
    ]
    by_tick = dict(run.phases[bed])
    assert by_tick[540] == "baseline"
    assert by_tick[660] == "infusion"
    assert by_tick[2940] == "infusion"
    assert by_tick[3060] == "observation"
    assert by_tick[int(READY_S) - 60] == "observation"
    assert by_tick[int(READY_S)] == "ready"
    stored = run.store.session(run.sid(bed))
    assert stored["phase"] == run.phases[bed][-1][1]
    assert stored["last_t_s"] == END_S


def test_a_patient_out_of_range_is_never_ready(run: Run):
    """chair2's hypertensive surge is not treated: observation, and readiness says why."""
    assert [p for _, p, _ in _phase_rows(run, "chair2")] == ["infusion", "observation"]
    t, missing = run.missing["chair2"][-1]
    assert t == END_S
    alarms = next(m for m in missing if "active alarm" in m)
    assert alarms.startswith(f"{alarms.split()[0]} active alarms: ")
    assert "Systolic high" in alarms  # in words, as the nurse reads it
    assert "SYS_HI" not in alarms
    assert not any("alertness" in m for m in missing)


def test_readiness_explains_itself_and_shrinks(run: Run):
    history = dict(run.missing["chair1"])
    assert history[3060] == [
        "observation 1 of 60 min",
        # the 1800 s score was charted during the infusion: it does not count
        "alertness charted before the infusion ended: assess again (Aldrete/PADSS >= 9 needed)",
    ]
    assert history[LOW_CHART_S] == [
        f"observation {(LOW_CHART_S - 3000) // 60} of 60 min",
        "alertness 7 charted (Aldrete/PADSS >= 9 needed)",
    ]
    assert history[CHART_S] == [f"observation {(CHART_S - 3000) // 60} of 60 min"]
    assert history[int(READY_S)] == []
    counts = [len(m) for t, m in run.missing["chair1"] if t <= READY_S]
    assert counts == sorted(counts, reverse=True)  # nothing new goes missing on the way


def test_readiness_follows_the_vasovagal_episode(run: Run):
    assert run.vasovagal_s is not None
    assert run.vasovagal_s >= OBSERVATION_S + 15 * 60
    history = dict(run.missing["chair4"])
    during = history[run.vasovagal_s]
    assert any(m.startswith("HR ") and "below baseline" in m for m in during)
    assert any(m.startswith("SBP ") and "below baseline" in m for m in during)
    alarms = next(m for m in during if " active alarms: " in m)
    assert "HR low" in alarms  # in the nurse's words
    assert "Systolic low" in alarms or "MAP low" in alarms
    assert history[int(READY_S)] == []
    actions = [(a["kind"], a["actor"]) for a in run.store.actions(run.sid("chair4"))]
    assert ("reposition", "trainee") in actions
    assert ("reset", "trainee") in actions


def test_readiness_wording_is_for_people(run: Run):
    for bed in BEDS:
        for _, missing in run.missing[bed]:
            for m in missing:
                assert isinstance(m, str)
                assert m.strip() == m
                assert len(m) > 10
                for raw in ("None", "nan", "{", "Phase.", "Channel.", "_s "):
                    assert raw not in m, m


# --- the store against the sources and the feed -------------------------------------------


def _reference(bed: str) -> pd.DataFrame:
    """What the simulator produces for the bed without any trainee action: vitalsim's
    batch engine (not the live one the runtime uses), with the session's NIBP program (the
    protocol's, with the scenario's own [nibp] in its place)."""
    name, seed = BEDS[bed]
    scenario = load_scenario(find_scenario(name))
    program = session_protocol(proto.load_protocol("depression-40min"), scenario).nibp
    cohort = Cohort.build([profile_for(scenario, seed)], seed, program)
    chunk = run_batch(cohort, END_S, scheduled_actions(scenario, False), scenario.events)
    rows = samples_of(chunk)
    return pd.DataFrame(rows, columns=["t_s", "channel", "value", "quality", "true_value"])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    assert len(a) == len(b)
    for col in ("t_s", "channel", "quality"):
        assert a[col].tolist() == b[col].tolist(), col
    for col in ("value", "true_value"):
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        assert ((x == y) | (pd.isna(x) & pd.isna(y))).all(), col


@pytest.mark.parametrize("bed", list(BEDS))
def test_every_sample_the_source_produced_is_stored(run: Run, bed: str):
    stored = run.store.samples(run.sid(bed))
    until = run.first_action_s.get(bed, END_S)  # a patient action changes the course
    ref = _reference(bed)
    key = ["t_s", "channel"]
    _same(
        stored[stored.t_s < until].sort_values(key, kind="stable"),
        ref[ref.t_s < until].sort_values(key, kind="stable"),
    )
    # session time covered second by second: no gap, no duplicate, nothing after the end
    counts = stored.groupby("channel").t_s.agg(["count", "min", "max", "nunique"])
    for ch in ("HR", "SPO2"):
        assert tuple(counts.loc[ch]) == (END_S, 0, END_S - 1, END_S)
    assert counts.loc["RR", "count"] == END_S // 5
    assert counts.loc["KET_CE", "count"] == END_S // 10
    nibp = stored[stored.channel.str.startswith("NIBP")].groupby("t_s").channel.apply(sorted)
    assert all(chs == ["NIBP_DIA", "NIBP_MAP", "NIBP_SYS"] for chs in nibp)
    assert len(nibp) >= 2 + 4 + 4  # 5/10/15-min programme over 120 min


@pytest.mark.parametrize("bed", list(BEDS))
def test_every_event_is_stored_and_the_feed_agrees(run: Run, bed: str):
    sid, st, feed = run.sid(bed), run.store, run.feed
    # the live feed (what the UI reads) and the store agree row for row
    df = st.samples(sid)
    rows = list(zip(df.t_s, df.channel, df.value, df.quality, strict=True))
    live = feed.samples_since(sid, None)
    assert len(live) == len(rows) == len(df)
    assert all(
        a[:2] == b[:2]
        and a[3] == b[3]
        and (a[2] == b[2] or (math.isnan(a[2]) and math.isnan(b[2])))
        for a, b in zip(live, rows, strict=True)
    )
    assert feed.alarm_events_since(sid) == st.alarm_events(sid)
    assert feed.session_events_since(sid) == st.session_events(sid)
    assert feed.actions_since(sid) == st.actions(sid)
    assert feed.observations_since(sid) == st.observations(sid)
    # every note of the simulator is a session event, at its time
    sim = run.rt.beds[bed].session.source.sim  # type: ignore[union-attr]
    noted = sorted((float(t), kind) for t, kind, _, _ in sim.log)
    runtime_own = {"session_started", "baseline"}  # and the protocol's ready phases
    stored = sorted(
        (e["t_s"], e["kind"])
        for e in st.session_events(sid)
        if e["kind"] not in runtime_own and e["source"] != "protocol"
    )
    assert stored == noted
    # the observations charted, with their actor, and one action row per action
    charted = [(o["t_s"], o["kind"], o["value"], o["actor"]) for o in st.observations(sid)]
    assert (CHART_S, "alertness", 10.0, "trainee") in charted
    assert len(st.actions(sid)) >= len(charted)


# --- the alarm log against an offline replay ----------------------------------------------


def export_recording(store: Store, sid: int, path: Path) -> Path:
    """The session's samples in the `vitalsim run` format (full precision) and the sidecar
    of its phase rows and the pump's reports; the alarm actions people took as an actions
    file. Returns it."""
    df = store.samples(sid).rename(columns={"t_s": "t"})
    df[["t", "channel", "value", "quality", "true_value"]].to_csv(path, index=False)
    phases = [
        (e["t_s"], e["kind"], e["source"], json.dumps(e["detail"]))
        for e in store.session_events(sid)
        if e["kind"] in ("phase", "pump")
    ]
    side = path.with_name(f"{path.stem}.events.csv")
    pd.DataFrame(phases, columns=["t", "kind", "source", "detail"]).to_csv(side, index=False)
    acts = [
        (a["t_s"], a["kind"], a["actor"], (a["params"] or {}).get("condition") or "", "")
        for a in store.actions(sid)
        if a["kind"] in ALARM_ACTION_KINDS
    ]
    actions = path.with_name(f"{path.stem}.actions.csv")
    pd.DataFrame(acts, columns=["t", "action", "actor", "target", "value"]).to_csv(
        actions, index=False
    )
    return actions


def _norm(v: Any) -> float | None:
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(float(v), 6)  # what the log file holds


def _stored_log(store: Store, sid: int) -> list[tuple]:
    return [
        (
            _norm(e["t_s"]),
            e["condition"],
            e["event"],
            e["priority"] or "",
            _norm(e["value"]),
            _norm(e["limit_value"]),
        )
        for e in store.alarm_events(sid)
    ]


@pytest.mark.parametrize("bed", list(BEDS))
def test_stored_alarm_log_equals_offline_replay(run: Run, bed: str, capsys):
    sid = run.sid(bed)
    rec = run.dir / f"{bed}.csv"
    actions = export_recording(run.store, sid, rec)
    out = run.dir / f"{bed}.log.csv"
    args = ["alarms", "replay", str(rec), "--profile", "ketamine-infusion", "--out", str(out)]
    if bed == "chair4":
        args += ["--actions", str(actions)]
    assert main([*args, "--no-progress"]) == 0, capsys.readouterr().err
    log = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(log.columns) == list(LOG_KEYS)
    replayed = [
        (_norm(r.t), r.condition, r.event, r.priority, _norm(r.value), _norm(r.limit))
        for r in log.itertuples(index=False)
    ]
    stored = _stored_log(run.store, sid)
    assert stored == replayed
    events = {e for _, _, e, *_ in stored}
    assert {"limit_changed", "set_phase", "set_baseline"} <= events
    phases = [p for _, p, _ in _phase_rows(run, bed)]
    assert sum(1 for r in stored if r[2] == "set_phase") == len(phases)
    if bed == "chair4":  # the trainee's acknowledgements and reset are in both
        assert {"acknowledged", "reset"} <= events
    if bed == "chair2":
        assert any(c == "SYS_HI" and e == "active" for _, c, e, *_ in stored)


def test_the_engine_knows_the_session_phase(run: Run):
    """READY reaches the alarm engine too (the profile has its own settings for it)."""
    for bed in ("chair1", "chair3", "chair4"):
        s = run.rt.beds[bed].session
        assert s is not None
        assert s.engine.state.phase == s.phase
    assert run.rt.beds["chair1"].session.engine.state.phase is Phase.READY  # type: ignore[union-attr]
