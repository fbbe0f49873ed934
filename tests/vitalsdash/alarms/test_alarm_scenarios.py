"""The shipped scenarios, replayed with `ketamine-infusion`, give what a debrief expects.

Recordings come from `vitalsim run` (as a subprocess, with each scenario's own seed, the
patient the scenario was designed around).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from vitalsdash.cli import main

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
SCENARIOS = REPO / "config" / "scenarios"
PHYSIOLOGICAL = ("HR_", "SPO2_", "RR_")


def _vitalsim() -> list[str]:
    exe = Path(sys.executable).with_name("vitalsim")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from vitalsim.cli import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """Run a scenario with its own seed, replay it, return (log, infusion start, end)."""
    cache: dict[str, tuple[pd.DataFrame, float, float]] = {}
    tmp = tmp_path_factory.mktemp("scenarios")

    def get(name: str) -> tuple[pd.DataFrame, float, float]:
        if name not in cache:
            path = SCENARIOS / f"{name}.toml"
            seed = tomllib.loads(path.read_text())["scenario"].get("seed", 0)
            rec, out = tmp / f"{name}.csv", tmp / f"{name}.log.csv"
            res = subprocess.run(
                [*_vitalsim(), "run", str(path), "--seed", str(seed), "--out", str(rec)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert res.returncode == 0, res.stderr
            code = main(["alarms", "replay", str(rec), "--profile", "ketamine-infusion",
                         "--out", str(out), "--no-progress"])  # fmt: skip
            assert code == 0
            log = pd.read_csv(out, keep_default_na=False)
            phases = log[log.event == "set_phase"].t.tolist()
            assert len(phases) >= 2, "the replay found no infusion phase"
            end = float(pd.read_csv(rec, usecols=["t"]).t.iloc[-1])
            cache[name] = (log, float(phases[1]), end)
        return cache[name]

    return get


def _active(log: pd.DataFrame) -> pd.DataFrame:
    return log[log.event == "active"]


def test_hypertensive_responder_raises_sys_hi_during_the_infusion(replayed):
    log, infusion, _ = replayed("hypertensive-responder")
    active = _active(log)
    sys_hi = active[(active.condition == "SYS_HI") & (active.t >= infusion)]
    assert not sys_hi.empty
    assert pd.to_numeric(sys_hi.value).iloc[0] > 179  # alert at SBP >= 180 while infusing
    rises = set(_active(log).condition)
    assert "SYS_RISE" in rises  # >= 40 mmHg over the patient's own baseline


def test_uneventful_infusion_raises_no_high_alarm(replayed):
    log, _, _ = replayed("uneventful-depression")
    active = _active(log)
    assert active[active.priority == "HIGH"].empty, active.to_string()
    assert log[log.event == "escalated"].empty
    assert not any(c.startswith(("SYS_", "DIA_", "MAP_")) for c in active.condition)


def test_artefact_session_nuisance_excursions_are_mostly_suppressed(replayed):
    log, _, _ = replayed("artefact-heavy")
    phys = log[log.condition.str.startswith(PHYSIOLOGICAL)]
    suppressed = (phys.event == "suppressed").sum()
    raised = (phys.event == "active").sum()
    assert suppressed > 0
    assert suppressed > 2 * raised, f"{suppressed} suppressed, {raised} raised"
    active = set(_active(log).condition)
    assert {"SENSOR_OFF", "CUFF_FAIL"} <= active  # the probe off and the failing cuff
    assert _active(log)[_active(log).priority == "HIGH"].empty


def test_technical_alarms_of_the_artefact_session_inhibit_their_limits(replayed):
    log, _, _ = replayed("artefact-heavy")
    cuff = log[(log.condition == "CUFF_FAIL") & (log.event == "active")].t.iloc[0]
    inhibited = log[(log.event == "inhibited") & (log.t == cuff)]
    assert {"SYS_HI", "DIA_HI", "MAP_LO"} <= set(inhibited.condition)
