"""A live session whose infusion waits for someone to start it (``infusion_start="manual"``).

The patient stays in the baseline until ``start_infusion``; the scenario's events and
scripted actions written against the infusion happen as far from the real start as they
were planned from the planned one, earlier or later; those written against ``start``
keep their times. ``vitalsim run`` and the default live session keep the scripted start.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalsim.engine import LiveSimulation, SimSample
from vitalsim.scenario import Scenario

pytestmark = pytest.mark.unit

SEED = 4
PLANNED_S = 600  # baseline_min = 10


def scenario(events: list[dict] | None = None, actions: list[dict] | None = None) -> Scenario:
    return Scenario.from_dict({
        "scenario": {"name": "manual start"},
        "patient": {"hr_bpm": 70, "sbp_mmhg": 120, "dbp_mmhg": 75, "motion_artefacts_per_h": 0},
        "protocol": {"baseline_min": 10, "dose_mg_per_kg": 0.5, "over_min": 40},
        "events": events or [],
        "actions": actions or [],
    })  # fmt: skip


TACHY = {"kind": "tachycardia", "hr_rise_bpm": 40, "onset_min": 0, "duration_min": 5}  # a step


def start(sim: LiveSimulation, sc: Scenario) -> None:
    p = sc.protocol
    sim.apply("start_infusion", "trainee", rate_mg_per_kg_h=p.infusion_rate_mg_per_kg_h,
              dose_mg_per_kg=p.total_dose_mg_per_kg)  # fmt: skip


def hr_truth(rows: list[SimSample]) -> dict[float, float]:
    return {r.t_s: r.true_value for r in rows if r.channel == "HR"}


def run_manual(sc: Scenario, start_s: int, until_s: int) -> tuple[LiveSimulation, list]:
    sim = LiveSimulation.from_scenario(sc, SEED, infusion_start="manual", follow_script=True)
    rows = sim.advance(start_s)
    start(sim, sc)
    rows += sim.advance(until_s - start_s)
    return sim, rows


def onset_s(sc_with: Scenario, sc_without: Scenario, start_s: int, until_s: int) -> float:
    """The first second the event changes the patient's true HR (same seed, same start)."""
    _, a = run_manual(sc_with, start_s, until_s)
    _, b = run_manual(sc_without, start_s, until_s)
    ha, hb = hr_truth(a), hr_truth(b)
    return min(t for t in ha if abs(ha[t] - hb[t]) > 1e-9)


def test_the_baseline_lasts_until_someone_starts_the_infusion() -> None:
    sc = scenario()
    sim = LiveSimulation.from_scenario(sc, SEED, infusion_start="manual")
    rows = sim.advance(3 * PLANNED_S)
    assert sim.phase == "baseline"
    assert sim.pump.started_s is None
    assert {r.value for r in rows if r.channel == "PUMP_RATE"} == {0.0}
    start(sim, sc)
    sim.advance(1)
    assert sim.phase == "infusion"
    assert sim.pump.started_s == 3 * PLANNED_S
    assert ("phase", {"phase": "infusion"}) in [(k, d) for t, k, _, d in sim.log if t == 1800]


@pytest.mark.parametrize("start_s", [300, PLANNED_S, 1000])
def test_an_event_at_infusion_plus_10_min_happens_10_min_after_the_real_start(start_s) -> None:
    with_event = scenario([{**TACHY, "at": "infusion+10min"}])
    assert onset_s(with_event, scenario(), start_s, start_s + 1200) == start_s + 600


@settings(max_examples=15, deadline=None)
@given(start_s=st.integers(60, 1500), anchor=st.sampled_from(["infusion", "infusion_end",
                                                              "observation"]))  # fmt: skip
def test_events_written_against_the_infusion_move_with_it(start_s, anchor) -> None:
    sc = scenario([{**TACHY, "at": f"{anchor}+2min"}])
    planned = sc.events[0].at_s
    until = int(planned - PLANNED_S + start_s + 300)
    assert onset_s(sc, scenario(), start_s, until) == planned - PLANNED_S + start_s


def test_events_at_start_keep_their_time_and_end_moves_too() -> None:
    at_start = scenario([{**TACHY, "at": "start+3min"}])
    assert onset_s(at_start, scenario(), 900, 1200) == 180
    # 'end' is the infusion end plus the observation: it moves with the start
    at_end = scenario([{**TACHY, "at": "end-20min"}])
    planned = at_end.events[0].at_s
    assert onset_s(at_end, scenario(), 900, int(planned) + 600) == planned + 300


def test_an_event_planned_before_the_infusion_happens_at_the_real_start() -> None:
    sc = scenario([{**TACHY, "at": "infusion-2min"}])
    assert onset_s(sc, scenario(), 900, 1200) == 900
    assert onset_s(sc, scenario(), 400, 700) == 400  # earlier than planned: at the start


def test_scripted_actions_move_with_the_real_start() -> None:
    sc = scenario(actions=[{"at": "infusion+5min", "kind": "pause_pump"},
                           {"at": "start+2min", "kind": "reassure"}])  # fmt: skip
    sim, _ = run_manual(sc, 900, 1500)
    done = [(t, kind) for t, kind, who, _ in sim.log if kind in ("pause_pump", "reassure")]
    assert done == [(120.0, "reassure"), (1200.0, "pause_pump")]
    moved = [d for _, kind, _, d in sim.log if kind == "scenario_moved"]
    assert moved == [{"shift_s": 300.0, "events": 0, "actions": 1}]


def test_a_start_on_the_planned_second_equals_the_scheduled_session() -> None:
    sc = scenario([{**TACHY, "at": "infusion+10min"}])
    scheduled = LiveSimulation.from_scenario(sc, SEED).advance(2400)
    _, manual = run_manual(sc, PLANNED_S, 2400)
    assert [r[:3] for r in manual] == [r[:3] for r in scheduled]


def test_the_default_keeps_the_scripted_start() -> None:
    sim = LiveSimulation.from_scenario(scenario(), SEED)
    sim.advance(PLANNED_S + 1)
    assert sim.phase == "infusion"
    with pytest.raises(ValueError, match="infusion_start"):
        LiveSimulation.from_scenario(scenario(), SEED, infusion_start="later")  # type: ignore[arg-type]
