"""Closed loop: trainee actions and instructor events feed back through the model.

Each test runs the same patient with the same seed with and without one action, so the
noise is identical and any difference is the action's effect: none before it, the
expected direction after it, and over minutes rather than in one jump where the
physiology has an onset.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from vitalsim.engine import (
    Chunk,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    SimSample,
    profile_for,
    run_batch,
    samples_of,
    scheduled_actions,
)
from vitalsim.scenario import Scenario, load_scenario, make_event

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "config" / "scenarios"
MIN = 60


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml")


@cache
def run(
    name: str, seed: int, duration_s: int, extra: tuple[tuple[int, str, tuple], ...] = ()
) -> Chunk:
    """The scenario's patient with the protocol's infusion and co-sedatives plus ``extra``
    actions ``(t_s, kind, ((key, value), ...))`` (no scripted actions)."""
    sc = scenario(name)
    cohort = Cohort.build([profile_for(sc, seed)], seed, sc.nibp)
    plan = scheduled_actions(sc, follow_script=False)
    plan += [ScheduledAction(t, kind, dict(params)) for t, kind, params in extra]
    return run_batch(cohort, duration_s, plan, sc.events, sc.co_sedatives)


def with_and_without(
    name: str, seed: int, duration_s: int, t_s: int, kind: str, **params: float
) -> tuple[Chunk, Chunk]:
    extra = ((t_s, kind, tuple(sorted(params.items()))),)
    return run(name, seed, duration_s), run(name, seed, duration_s, extra)


def assert_identical_before(a: Chunk, b: Chunk, t_s: int, *names: str) -> None:
    for name in names:
        np.testing.assert_array_equal(a.truth[name][0, :t_s], b.truth[name][0, :t_s], name)


# --------------------------------------------------------------------------- the pump


@pytest.mark.parametrize("seed", [7, 1, 2])
def test_pausing_the_pump_lowers_ce_and_sbp_over_the_following_minutes(seed: int) -> None:
    sc = scenario("hypertensive-responder")
    t = int(sc.timeline.infusion_start_s) + 25 * MIN
    base, paused = with_and_without("hypertensive-responder", seed, t + 15 * MIN, t, "pause_pump")
    assert_identical_before(base, paused, t, "ce", "sbp", "hr")
    ce0, ce1 = base.truth["ce"][0], paused.truth["ce"][0]
    sbp0, sbp1 = base.truth["sbp"][0], paused.truth["sbp"][0]
    for minutes in (2, 5, 10):
        i = t + minutes * MIN
        assert ce1[i] < ce0[i], f"Ce at +{minutes} min"
        assert sbp1[i] < sbp0[i], f"SBP at +{minutes} min"
    later = t + 10 * MIN
    assert ce1[later] < 0.85 * ce0[later]
    assert ce1[later] < ce1[t]  # Ce really falls once the pump stops, not just rises less
    # The BP benefit grows over the minutes that follow (effect-site lag, no jump).
    gap = sbp0 - sbp1
    assert gap[t + 1] < 1.0
    assert gap[t + 2 * MIN] < gap[t + 5 * MIN] < gap[t + 10 * MIN]
    assert gap[later] > 5.0


# --------------------------------------------------------------------------- drugs


def test_an_antihypertensive_lowers_sbp_and_hr_with_an_onset() -> None:
    t = 35 * MIN
    base, given_ = with_and_without(
        "hypertensive-responder", 7, t + 20 * MIN, t, "give_antihypertensive", dose_mg=20
    )
    assert_identical_before(base, given_, t, "sbp", "dbp", "hr")
    d_sbp = given_.truth["sbp"][0] - base.truth["sbp"][0]
    d_dbp = given_.truth["dbp"][0] - base.truth["dbp"][0]
    d_hr = given_.truth["hr"][0] - base.truth["hr"][0]
    at_10 = t + 10 * MIN
    assert d_sbp[at_10] < -5.0
    assert d_dbp[at_10] < 0
    assert d_hr[at_10] < -1.0
    # Onset over minutes: at +30 s much less than at +10 min, growing in between.
    assert abs(d_sbp[t + 30]) < 0.3 * abs(d_sbp[at_10])
    assert abs(d_hr[t + 30]) < 0.3 * abs(d_hr[at_10])
    # The drug takes a share of the pressure off: that share grows through the onset
    # (the mmHg it takes follow the pressure's own second-to-second variation too).
    share = -d_sbp / base.truth["sbp"][0]
    assert np.all(np.diff(share[t : t + 5 * MIN]) > 0)
    # ... and it lasts: still most of the effect 20 min later.
    assert d_sbp[t + 20 * MIN - 1] < 0.7 * d_sbp[at_10]


def test_an_antiemetic_lowers_nausea() -> None:
    sc = scenario("chronic-pain-4h")
    nausea = next(e for e in sc.events if e.kind == "nausea")
    t = int(nausea.at_s) + 5 * MIN  # on the plateau
    base, given_ = with_and_without(
        "chronic-pain-4h", 2024, t + 15 * MIN, t, "give_antiemetic", dose_mg=4
    )
    assert_identical_before(base, given_, t, "nausea")
    n0, n1 = base.truth["nausea"][0], given_.truth["nausea"][0]
    assert n0[t] > 0
    assert n1[t + 5 * MIN] < 0.7 * n0[t + 5 * MIN]
    assert n1[t + 15 * MIN - 1] < 0.5 * n0[t + 15 * MIN - 1]
    assert np.all(n1[t:] <= n0[t:])
    assert abs(n1[t + 10] - n0[t + 10]) < 0.2 * n0[t + 10]  # not a jump


# --------------------------------------------------------------------------- bedside


def test_oxygen_raises_spo2_but_not_the_breathing_in_the_desaturation() -> None:
    """The co-sedatives' hypoventilation: oxygen brings SpO2 back over tens of seconds,
    EtCO2 keeps climbing as before (it dilutes the sample a little: the reading is lower)."""
    base_run = run("desaturation-cosedative", 42, 90 * MIN)
    t = int(np.argmax(base_run.truth["spo2"][0] < 90.0))  # SpO2 below 90 on room air
    assert t > 0
    base, o2 = with_and_without(
        "desaturation-cosedative", 42, t + 10 * MIN, t, "oxygen_on", flow_l_min=2
    )
    assert_identical_before(base, o2, t, "spo2", "etco2")
    s0, s1 = base.truth["spo2"][0], o2.truth["spo2"][0]
    for minutes in (2, 5, 9):
        assert s1[t + minutes * MIN] > max(s0[t + minutes * MIN] + 3.0, 94.0)
    # Oxygen takes effect over tens of seconds, not in one step.
    assert s1[t + 5] - s0[t + 5] < 0.3 * (s1[t + 2 * MIN] - s0[t + 2 * MIN])
    assert np.all(s1 <= 100.0)
    # It does nothing for the CO2: the truth is the same; the sampled EtCO2 reads lower.
    np.testing.assert_allclose(o2.truth["etco2"][0], base.truth["etco2"][0])
    assert o2.truth["etco2"][0, t + 5 * MIN] > 50.0
    assert o2.measured[0].etco2_mmhg[t + 5 * MIN] < base.measured[0].etco2_mmhg[t + 5 * MIN]
    # The monitor sees SpO2 come back.
    spo2 = measured(o2, "SPO2", t + 2 * MIN, t + 10 * MIN)
    spo2_base = measured(base, "SPO2", t + 2 * MIN, t + 10 * MIN)
    assert np.nanmean(spo2) > np.nanmean(spo2_base) + 2.0


def test_reposition_shortens_the_vasovagal_episode() -> None:
    sc = scenario("vasovagal-observation")
    vv = next(e for e in sc.events if e.kind == "vasovagal")
    t = int(vv.at_s) + MIN
    horizon = int(vv.effect_end_s) + 5 * MIN
    base, moved = with_and_without("vasovagal-observation", 23, horizon, t, "reposition")
    assert_identical_before(base, moved, t, "hr", "sbp")
    window = slice(int(vv.at_s), horizon)
    brady = [int(np.sum(c.truth["hr"][0, window] < 50)) for c in (base, moved)]
    hypo = [int(np.sum(c.truth["sbp"][0, window] < 95)) for c in (base, moved)]
    assert brady[0] > 3 * MIN
    assert hypo[0] > 3 * MIN
    assert brady[1] < 0.5 * brady[0]
    assert hypo[1] < 0.5 * hypo[0]
    # Recovery follows the manoeuvre within a few minutes, not instantly.
    assert moved.truth["hr"][0, t + 5] < 50
    assert moved.truth["hr"][0, t + 4 * MIN] > base.truth["hr"][0, t + 4 * MIN] + 10


def test_reassurance_lowers_the_anxiety_component_and_hr() -> None:
    t = 2 * MIN  # white-coat anxiety at baseline (anxiety 0.6 in this scenario)
    base, calm = with_and_without("hypertensive-responder", 7, t + 10 * MIN, t, "reassure")
    assert_identical_before(base, calm, t, "anxiety", "hr", "sbp")
    a0, a1 = base.truth["anxiety"][0], calm.truth["anxiety"][0]
    assert a0[t] > 0.2
    assert np.all(a1[t + 1 :] < a0[t + 1 :])
    assert a1[t + 5 * MIN] < 0.6 * a0[t + 5 * MIN]
    d_hr = calm.truth["hr"][0] - base.truth["hr"][0]
    d_sbp = calm.truth["sbp"][0] - base.truth["sbp"][0]
    assert d_hr[t + 2 * MIN] < -1.0
    assert d_sbp[t + 2 * MIN] < 0
    assert np.all(d_hr[t + 1 :] < 0)


# --------------------------------------------------------------------------- live events


def test_an_injected_event_changes_the_vitals_from_its_time_on_not_before() -> None:
    sc = scenario("uneventful-depression")
    now, at = 1500, 1560
    a, b = (LiveSimulation.from_scenario(sc, 9) for _ in range(2))
    rows_a, rows_b = a.advance(now), b.advance(now)
    event = make_event("tachycardia", at, sc.timeline, hr_rise_bpm=30, onset_min=1, duration_min=5)
    b.inject(event)
    assert b.log[-1][1:3] == ("tachycardia", "instructor")
    assert b.t_s == now
    assert rows_a == rows_b
    after_a, after_b = a.advance(15 * MIN), b.advance(15 * MIN)
    hr_a, hr_b = true_series(after_a, "HR"), true_series(after_b, "HR")
    # Nothing changes before the event's time ...
    before = [t for t in hr_a if t < at]
    assert [hr_a[t] for t in before] == [hr_b[t] for t in before]
    assert [r for r in after_a if r.t_s < at] == [r for r in after_b if r.t_s < at]
    # ... and from then on the heart rate is up by about the event's size (ramping in).
    rise = {t: hr_b[t] - hr_a[t] for t in hr_a if t >= at}
    assert 0 < rise[at + 10] < 10
    plateau = [rise[t] for t in range(at + 2 * MIN, at + 5 * MIN)]
    assert min(plateau) > 20
    assert max(plateau) < 50
    # Exactly what the same event scripted from the start gives.
    cohort = Cohort.build([profile_for(sc, 9)], 9, sc.nibp)
    scripted = run_batch(cohort, now + 15 * MIN, scheduled_actions(sc, False), (event,))
    assert rows_b + after_b == samples_of(scripted)


def test_an_injected_desaturation_shows_on_the_monitor() -> None:
    sc = scenario("uneventful-depression")
    sim = LiveSimulation.from_scenario(sc, 9)
    sim.advance(1200)
    sim.inject(make_event("desaturation", 1200, sc.timeline, spo2_drop_pct=12, duration_min=5))
    rows = sim.advance(6 * MIN)
    spo2 = true_series(rows, "SPO2")
    assert spo2[1200] > 94
    assert spo2[1200 + 4 * MIN] < spo2[1200] - 8


# --------------------------------------------------------------------------- helpers


def measured(chunk: Chunk, channel: str, t0: int, t1: int) -> np.ndarray:
    rows = [r for r in samples_of(chunk) if r.channel == channel and t0 <= r.t_s < t1]
    return np.array([r.value for r in rows], dtype=float)


def true_series(rows: list[SimSample], channel: str) -> dict[int, float]:
    out = {int(r.t_s): float(r.true_value) for r in rows if r.channel == channel}
    assert all(math.isfinite(v) for v in out.values())
    return out
