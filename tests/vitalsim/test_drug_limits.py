"""Drugs saturate and have a cumulative maximum, as their labels say.

Labetalol takes a share of the pressure off, an Emax of the amount on board: 20 mg gives
a hypertensive patient the usual -10 to -20 mmHg, and three 100 mg boluses no more than
30% of the pressure. A bolus past the label's maximum (300 mg of labetalol, 16 mg of
ondansetron a session) is refused in the nurse's words and changes nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from vitalsim._drugs import DRUG_MODELS, DRUG_TARGETS
from vitalsim.engine import (
    ActionError,
    Chunk,
    Cohort,
    LiveSimulation,
    ScheduledAction,
    profile_for,
    run_batch,
    scheduled_actions,
)
from vitalsim.scenario import DRUGS, ConfigError, Scenario, load_scenario

pytestmark = pytest.mark.unit

SCENARIOS = Path(__file__).resolve().parents[2] / "config" / "scenarios"
MIN = 60
GIVE = "give_antihypertensive"


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml")


def run(name: str, seed: int, duration_s: int, doses: tuple[tuple[int, float], ...] = (),
        infusion: bool = True) -> Chunk:  # fmt: skip
    """The scenario's patient (its events, no scripted actions), labetalol at ``doses``."""
    sc = scenario(name)
    cohort = Cohort.build([profile_for(sc, seed)], seed, sc.nibp)
    plan = scheduled_actions(sc, follow_script=False) if infusion else []
    plan += [ScheduledAction(t, GIVE, {"dose_mg": mg}) for t, mg in doses]
    return run_batch(cohort, duration_s, plan, sc.events)


def test_every_drug_the_model_knows_has_a_saturating_effect_and_a_maximum() -> None:
    names = {drug for drugs in DRUGS.values() for drug in drugs}
    assert names == set(DRUG_MODELS)
    for drug, model in DRUG_MODELS.items():
        assert 0 < model.max_total_mg < 1000, drug
        assert set(model.emax) <= set(DRUG_TARGETS), drug
        assert all(0 < e < 1 for e in model.emax.values()), drug
        huge = model.fraction(next(iter(model.emax)), np.array([1e6]))
        assert huge[0] < max(model.emax.values())  # an Emax: approached, never passed


def test_labetalol_acts_within_minutes_peaks_by_15_and_lasts_hours() -> None:
    """clinical.md: onset 2-5 min, peak 5-15 min, lasts 2-4 h."""
    model = DRUG_MODELS["labetalol"]
    assert 5 * MIN <= model.peak_s() <= 15 * MIN
    shape = model.shape(np.array([2, 5, 120, 240]) * float(MIN))
    assert shape[0] > 0.3  # acting by 2 min
    assert shape[1] > 0.75  # most of it by 5 min
    assert shape[2] > 0.3  # still acting at 2 h
    assert shape[3] < 0.2  # mostly gone by 4 h


def test_20_mg_of_labetalol_lowers_a_hypertensive_pressure_by_10_to_20_mmhg() -> None:
    """Uncontrolled hypertension (about 172/108 at rest), at rest, no ketamine."""
    t, horizon = 5 * MIN, 40 * MIN
    base = run("uncontrolled-hypertension", 21, horizon, infusion=False)
    given = run("uncontrolled-hypertension", 21, horizon, ((t, 20),), infusion=False)
    fall = base.truth["sbp"][0] - given.truth["sbp"][0]
    assert 10 <= fall[t + 11 * MIN] <= 20
    assert 10 <= fall.max() <= 20
    share = fall / base.truth["sbp"][0]  # the mmHg follow the pressure's own drift too
    assert 5 * MIN <= int(np.argmax(share)) - t <= 15 * MIN


def test_three_100_mg_boluses_are_bounded_and_a_fourth_is_refused() -> None:
    """300 mg is the label's maximum, reached (not passed) by three 100 mg boluses 10 min
    apart. The pressure falls by at most 30% of what it would be without the drug: on
    this hypertensive responder with a surge (up to about 215 mmHg) that is under 60 mmHg,
    where the old per-mg model fell by 260."""
    sc = scenario("hypertensive-responder")
    t = 35 * MIN
    doses = ((t, 100.0), (t + 10 * MIN, 100.0), (t + 20 * MIN, 100.0))
    base = run("hypertensive-responder", 7, t + 60 * MIN)
    given = run("hypertensive-responder", 7, t + 60 * MIN, doses)
    for v in ("sbp", "dbp"):
        fall = base.truth[v][0] - given.truth[v][0]
        assert np.all(fall <= 0.30 * base.truth[v][0] + 1e-9), v
    sbp_fall = base.truth["sbp"][0] - given.truth["sbp"][0]
    assert 30 < sbp_fall.max() < 60
    # overtreated once the surge has passed: low-normal, never shock
    assert given.truth["sbp"][0].min() > 90
    assert np.all(given.truth["dbp"][0] < given.truth["sbp"][0] - 10)

    # Live, as a nurse gives them: the fourth is refused, and refusing it changes nothing.
    sims = [LiveSimulation.from_scenario(sc, 7) for _ in range(2)]
    rows = [[], []]
    for j, sim in enumerate(sims):
        for at, mg in doses:
            rows[j] += sim.advance(at - sim.t_s)
            sim.apply(GIVE, dose_mg=mg)
        rows[j] += sim.advance(5 * MIN)
    log = list(sims[0].log)
    with pytest.raises(ActionError) as refused:
        sims[0].apply(GIVE, drug="labetalol", dose_mg=20)
    assert str(refused.value) == (
        "labetalol: 300 mg given already; a further 20 mg would exceed the 300 mg maximum"
    )
    assert sims[0].log == log
    for j, sim in enumerate(sims):
        rows[j] += sim.advance(20 * MIN)
    assert rows[0] == rows[1]


def test_a_bolus_that_would_pass_the_maximum_names_what_was_given() -> None:
    sim = LiveSimulation.from_scenario(scenario("hypertensive-responder"), 7)
    for mg in (100, 100, 80):
        sim.advance(10 * MIN)
        sim.apply(GIVE, dose_mg=mg)
    sim.advance(10 * MIN)
    with pytest.raises(ActionError, match=r"^labetalol: 280 mg given already; a further 40 mg "
                       r"would exceed the 300 mg maximum$"):  # fmt: skip
        sim.apply(GIVE, dose_mg=40)
    sim.apply(GIVE, dose_mg=20)  # up to the maximum is allowed


def test_ondansetron_stops_at_16_mg_and_its_relief_saturates() -> None:
    sc = scenario("chronic-pain-4h")
    nausea = next(e for e in sc.events if e.kind == "nausea")
    t = int(nausea.at_s) + 5 * MIN
    sim = LiveSimulation.from_scenario(sc, 2024)
    sim.advance(t)
    with pytest.raises(ActionError, match=r"^ondansetron: 20 mg would exceed the 16 mg maximum$"):
        sim.apply("give_antiemetic", dose_mg=20)
    sim.apply("give_antiemetic", dose_mg=8)
    sim.apply("give_antiemetic", dose_mg=8)
    with pytest.raises(ActionError, match=r"^ondansetron: 16 mg given already; a further 4 mg"):
        sim.apply("give_antiemetic", dose_mg=4)
    model = DRUG_MODELS["ondansetron"]
    assert model.fraction("nausea", np.array([16.0]))[0] < model.emax["nausea"] <= 0.85
    # 8 mg is barely better than 4 mg (a flat dose-response above 4 mg).
    four, eight = model.fraction("nausea", np.array([4.0, 8.0]))
    assert eight - four < 0.1


def test_a_scenario_file_that_scripts_past_the_maximum_names_the_bolus(tmp_path: Path) -> None:
    """Boluses count in time order, not file order; the error names the one that passes."""
    doses = [("infusion+5min", 100), ("infusion+25min", 100), ("infusion+15min", 80),
             ("infusion+35min", 40)]  # fmt: skip
    text = '[scenario]\nname = "Too much labetalol"\n[protocol]\ndose_mg_per_kg = 0.5\n'
    text += "over_min = 40\n"
    for at, mg in doses:
        text += f'[[actions]]\nat = "{at}"\nkind = "give_antihypertensive"\ndose_mg = {mg}\n'
    path = tmp_path / "too-much.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    assert err.value.problems == [
        ("actions[4].dose_mg",
         "labetalol: 280 mg given already; a further 40 mg would exceed the 300 mg maximum"),
    ]  # fmt: skip
