"""Scripted events do what the file says: the written amplitude is what the patient shows.

Each test runs the same patient with the same seed with and without the event, so the
drift and noise cancel and the difference is the event alone. Events that ketamine
provokes may ease when Ce falls (the pump paused), never grow past what is written.
The shipped scenarios still teach what their descriptions say.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vitalsim.engine import (
    Chunk,
    Cohort,
    ScheduledAction,
    profile_for,
    run_batch,
    samples_of,
    scheduled_actions,
)
from vitalsim.scenario import Scenario, load_scenario, make_event

pytestmark = pytest.mark.unit

SCENARIOS = Path(__file__).resolve().parents[2] / "config" / "scenarios"
MIN = 60
SYS_HI = 179  # the ketamine-infusion alarm profile's systolic limit


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml")


def run(name: str, seed: int, duration_s: int, events: tuple[Any, ...],
        extra: tuple[ScheduledAction, ...] = ()) -> Chunk:  # fmt: skip
    """The scenario's patient and infusion with ``events`` instead of the file's."""
    sc = scenario(name)
    cohort = Cohort.build([profile_for(sc, seed)], seed, sc.nibp)
    return run_batch(cohort, duration_s, [*scheduled_actions(sc, False), *extra], events)


def plateau(event: Any) -> slice:
    return slice(int(event.at_s + event.onset_s) + 1, int(event.end_s))


@pytest.mark.parametrize("seed", [42, 1, 2])
@pytest.mark.parametrize(
    "at_min",
    [2, 12, 22, 25],  # baseline (no ketamine), early (Ce low), mid and late infusion
)
def test_a_desaturation_written_as_10_percent_drops_spo2_by_10(seed: int, at_min: int) -> None:
    sc = scenario("desaturation-cosedative")  # SpO2 96%, RR 14 at rest
    desat = make_event("desaturation", at_min * MIN, sc.timeline, spo2_drop_pct=10,
                       rr_drop_per_min=6, onset_min=3, duration_min=12)  # fmt: skip
    horizon = int(desat.effect_end_s) + MIN
    base = run("desaturation-cosedative", seed, horizon, ())
    event = run("desaturation-cosedative", seed, horizon, (desat,))
    window = plateau(desat)
    drop = base.truth["spo2"][0, window] - event.truth["spo2"][0, window]
    np.testing.assert_allclose(drop, 10.0, atol=0.5)
    rr_drop = base.truth["rr"][0, window] - event.truth["rr"][0, window]
    np.testing.assert_allclose(rr_drop, 6.0, atol=0.5)
    # Never more than written, at any second.
    whole = base.truth["spo2"][0] - event.truth["spo2"][0]
    assert whole.max() <= 10.0 + 1e-9


@pytest.mark.parametrize("seed", [7, 3])
def test_a_surge_of_30_mmhg_adds_30_mmhg(seed: int) -> None:
    sc = scenario("hypertensive-responder")
    surge = make_event("hypertensive_surge", sc.timeline.infusion_start_s + 20 * MIN,
                       sc.timeline, sbp_rise_mmhg=30, duration_min=15)  # fmt: skip
    horizon = int(surge.effect_end_s) + MIN
    base = run("hypertensive-responder", seed, horizon, ())
    event = run("hypertensive-responder", seed, horizon, (surge,))
    window = plateau(surge)
    rise = event.truth["sbp"][0, window] - base.truth["sbp"][0, window]
    np.testing.assert_allclose(rise, 30.0, atol=0.5)
    dbp_rise = event.truth["dbp"][0, window] - base.truth["dbp"][0, window]
    np.testing.assert_allclose(dbp_rise, 18.0, atol=0.5)  # 0.6 x the SBP rise, as documented
    assert (event.truth["sbp"][0] - base.truth["sbp"][0]).max() <= 30.0 + 1e-9


def test_tachycardia_and_anxiety_play_as_written() -> None:
    sc = scenario("chronic-pain-4h")  # Ce rising for 4 h
    at = sc.timeline.infusion_start_s + 30 * MIN
    tachy = make_event("tachycardia", at, sc.timeline, hr_rise_bpm=25, duration_min=10)
    anxious = make_event("emergence_anxiety", at + 20 * MIN, sc.timeline, anxiety=0.6,
                         duration_min=10)  # fmt: skip
    horizon = int(anxious.effect_end_s) + MIN
    base = run("chronic-pain-4h", 2024, horizon, ())
    event = run("chronic-pain-4h", 2024, horizon, (tachy, anxious))
    hr_rise = event.truth["hr"][0, plateau(tachy)] - base.truth["hr"][0, plateau(tachy)]
    np.testing.assert_allclose(hr_rise, 25.0, atol=0.5)
    more = (event.truth["anxiety"][0] - base.truth["anxiety"][0])[plateau(anxious)]
    np.testing.assert_allclose(more, 0.6, atol=0.01)


def test_pausing_the_pump_eases_a_surge_and_nothing_makes_it_larger() -> None:
    sc = scenario("hypertensive-responder")
    surge = next(e for e in sc.events if e.kind == "hypertensive_surge")
    pause = int(surge.at_s + surge.onset_s) + MIN
    horizon = int(surge.end_s)
    extra = (ScheduledAction(pause, "pause_pump", {}),)
    no_surge = run("hypertensive-responder", 7, horizon, (), extra)
    paused = run("hypertensive-responder", 7, horizon, (surge,), extra)
    part = paused.truth["sbp"][0] - no_surge.truth["sbp"][0]
    written = surge.sbp_rise_mmhg
    assert part.max() <= written + 1e-9
    np.testing.assert_allclose(part[pause - 30 : pause], written, atol=0.5)
    assert part[horizon - 1] < 0.9 * written  # eases as Ce falls, over minutes
    assert np.all(np.diff(part[pause + 60 : horizon]) <= 1e-9)


# --------------------------------------------------------------------------- scenarios


def shipped(name: str) -> Chunk:
    sc = scenario(name)
    seed = sc.seed or 0
    cohort = Cohort.build([profile_for(sc, seed)], seed, sc.nibp)
    return run_batch(cohort, int(sc.timeline.end_s), scheduled_actions(sc, False), sc.events,
                     sc.co_sedatives)  # fmt: skip


def test_the_desaturation_scenario_climbs_in_etco2_first_then_falls_to_the_high_80s() -> None:
    """ "EtCO2 climbs past 50 within minutes and about 10 minutes into the infusion SpO2
    falls into the high 80s on room air", "his breathing slows": nothing scripted, the
    co-sedatives' levels do it."""
    sc = scenario("desaturation-cosedative")
    assert not sc.events
    chunk = shipped("desaturation-cosedative")
    truth, m = chunk.truth, chunk.measured[0]
    start = int(sc.timeline.infusion_start_s)
    assert truth["spo2"][0, :start].min() >= 94.0  # he may start: SpO2 fine in the baseline
    high_co2 = int(np.argmax(m.etco2_mmhg > 50.0))
    low_o2 = int(np.argmax(truth["spo2"][0] < 90.0))
    assert start < high_co2 < low_o2 <= start + 15 * MIN  # EtCO2 first, SpO2 later
    assert 84.5 <= truth["spo2"][0].min() <= 89.5
    assert truth["rr"][0, start:].min() <= 9.0


def test_the_hypertensive_responder_passes_the_alarm_limit_with_the_surge_as_written() -> None:
    """ "A surge ... drives the systolic pressure past the alarm limit" (a reading > 179)."""
    sc = scenario("hypertensive-responder")
    surge = next(e for e in sc.events if e.kind == "hypertensive_surge")
    chunk = shipped("hypertensive-responder")
    during = [r for r in samples_of(chunk) if r.channel == "NIBP_SYS"
              and surge.at_s <= r.t_s < surge.effect_end_s]  # fmt: skip
    assert max(r.value for r in during) > SYS_HI
    assert chunk.truth["sbp"][0].max() < 240


def test_the_vasovagal_scenario_reaches_about_35_bpm_and_80_mmhg() -> None:
    truth = shipped("vasovagal-observation").truth
    assert 32 <= truth["hr"][0].min() <= 40
    assert 75 <= truth["sbp"][0].min() <= 85
