"""The pump as a real infusion pump: a rate set while paused is kept and the pump stays
paused; resuming delivers at that rate; a stopped or finished infusion refuses, saying why;
the instructor's truth is what the pump delivers; the pump reports its own changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitalsim.engine import (
    ActionError,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    profile_for,
    run_batch,
    scheduled_actions,
)
from vitalsim.scenario import load_scenario

pytestmark = pytest.mark.unit

SCENARIO = load_scenario(
    Path(__file__).resolve().parents[2] / "config" / "scenarios" / "uneventful-depression.toml"
)
START = int(SCENARIO.timeline.infusion_start_s)
RATE = SCENARIO.protocol.infusion_rate_mg_per_kg_h


def _sim(at_s: int) -> LiveSimulation:
    sim = LiveSimulation.from_scenario(SCENARIO, 4)
    sim.advance(at_s)
    return sim


def _pump_notes(sim: LiveSimulation) -> list[tuple[float, dict]]:
    return [(t, d) for t, kind, who, d in sim.log if kind == "pump" and who == "device"]


def test_a_rate_set_while_paused_is_kept_and_the_pump_stays_paused() -> None:
    sim = _sim(START + 600)
    sim.apply("pause_pump")
    sim.advance(30)
    sim.apply("set_rate", rate_mg_per_kg_h=0.4)
    pump = sim.pump
    assert (pump.state, pump.rate_mg_per_kg_h, pump.running) == ("paused", 0.4, False)
    assert pump.delivering_mg_per_kg_h == 0.0
    assert pump.paused_s == START + 600  # the pause still counts from when it began
    rows = sim.advance(60)
    assert {r.value for r in rows if r.channel == "PUMP_RATE"} == {0.0}
    snap = sim.snapshot()
    assert snap.truth["PUMP_RATE"] == snap.pump_rate_mg_per_kg_h == 0.0  # what it delivers
    assert (snap.pump_set_rate_mg_per_kg_h, snap.pump_state) == (0.4, "paused")
    sim.apply("resume_pump")
    rows = sim.advance(20)
    assert {r.value for r in rows if r.channel == "PUMP_RATE"} == {0.4}
    assert sim.snapshot().truth["PUMP_RATE"] == 0.4
    assert sim.pump.paused_s is None


def test_the_paused_rate_change_equals_a_batch_run() -> None:
    """Live and batch agree on a pause, a rate set while paused and a resume."""
    plan = [
        *scheduled_actions(SCENARIO, False),
        ScheduledAction(START + 300, "pause_pump", {}),
        ScheduledAction(START + 400, "set_rate", {"rate_mg_per_kg_h": 0.3}),
        ScheduledAction(START + 500, "resume_pump", {}),
    ]
    cohort = Cohort.build([profile_for(SCENARIO, 4)], 4, SCENARIO.nibp)
    chunk = run_batch(cohort, START + 900, plan)
    assert np.all(chunk.pump_rate[START + 300 : START + 500] == 0.0)
    assert np.all(chunk.pump_rate[START + 500 : START + 900] == 0.3)
    assert np.all(chunk.pump_rate[START : START + 300] == RATE)


def test_the_pump_reports_each_change_of_state_or_rate() -> None:
    sim = _sim(START + 60)
    sim.apply("pause_pump")
    sim.apply("set_rate", rate_mg_per_kg_h=0.4)
    sim.apply("set_rate", rate_mg_per_kg_h=0.4)  # no change: no report
    sim.apply("resume_pump")
    sim.advance(10)
    sim.apply("stop_infusion")
    t = float(START + 60)
    assert _pump_notes(sim) == [
        (float(START), {"state": "running", "rate_mg_per_kg_h": RATE,
                        "delivering_mg_per_kg_h": RATE}),
        (t, {"state": "paused", "rate_mg_per_kg_h": RATE, "delivering_mg_per_kg_h": 0.0}),
        (t, {"state": "paused", "rate_mg_per_kg_h": 0.4, "delivering_mg_per_kg_h": 0.0}),
        (t, {"state": "running", "rate_mg_per_kg_h": 0.4, "delivering_mg_per_kg_h": 0.4}),
        (t + 10, {"state": "stopped", "rate_mg_per_kg_h": 0.4,
                  "delivering_mg_per_kg_h": 0.0}),
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["pause_pump", "resume_pump", "set_rate", "stop_infusion"])
def test_a_stopped_infusion_refuses_and_says_why(kind: str) -> None:
    sim = _sim(START + 120)
    sim.apply("stop_infusion")
    sim.advance(5)
    assert sim.pump.state == "stopped"
    log, snap = list(sim.log), sim.snapshot()
    with pytest.raises(ActionError, match=r"the infusion was stopped at \d:\d\d:\d\d"):
        sim.apply(kind, rate_mg_per_kg_h=0.4) if kind == "set_rate" else sim.apply(kind)
    assert (sim.log, sim.snapshot()) == (log, snap)


@pytest.mark.parametrize("kind", ["pause_pump", "resume_pump", "set_rate", "stop_infusion"])
def test_a_finished_infusion_refuses_and_says_why(kind: str) -> None:
    sim = _sim(int(SCENARIO.timeline.infusion_end_s) + 5)
    assert sim.pump.state == "finished"
    with pytest.raises(ActionError, match="the infusion is complete"):
        sim.apply(kind, rate_mg_per_kg_h=0.4) if kind == "set_rate" else sim.apply(kind)


@pytest.mark.parametrize("kind", ["pause_pump", "resume_pump", "set_rate", "stop_infusion"])
def test_before_the_start_the_pump_refuses_and_says_why(kind: str) -> None:
    sim = _sim(60)
    assert sim.pump.state == "not_started"
    with pytest.raises(ActionError, match="the infusion has not started yet"):
        sim.apply(kind, rate_mg_per_kg_h=0.4) if kind == "set_rate" else sim.apply(kind)


def test_stopping_a_paused_pump_ends_the_infusion() -> None:
    sim = _sim(START + 60)
    sim.apply("pause_pump")
    sim.advance(10)
    sim.apply("stop_infusion")
    pump = sim.pump
    assert (pump.state, pump.paused_s, pump.ended_s) == ("stopped", None, START + 70.0)
    sim.advance(1)
    assert sim.snapshot().phase == "observation"
