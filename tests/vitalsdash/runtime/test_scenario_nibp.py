"""The NIBP program a session runs: the scenario's own [nibp] wins over the protocol's.

The hypertensive responder sets ``infusion_every_min = 5``; the protocol file it runs
under (depression-40min) says 10. A session of that scenario measures every 5 min while
infusing, the bedside says so, and the debrief judges it by the same program. A scenario
without [nibp] keeps the protocol's program. Manual clock, no sleeps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitalsdash import actions, catalogue, channels
from vitalsdash.adapters.simulator import load_scenario, scenario_nibp
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import session_from_store
from vitalsdash.feed import Feed
from vitalsdash.protocol import load_protocol
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.widgets import numerics

PERIODIC = channels.of_kind(channels.Kind.PERIODIC)[0].id
"""The cuff's main channel (systolic), from the registry."""


def _runtime(tmp_path: Path, bed: BedConfig) -> Runtime:
    store = Store(str(tmp_path / "clinic.sqlite"))
    clinic = ClinicConfig(clinic=ClinicSection(name="NIBP", speed=60), beds=[bed])
    rt = Runtime(clinic, store, Feed(store), clock=ManualClock())
    rt.start()
    return rt


def _start_infusion_if_held(rt: Runtime, bed_id: str) -> None:
    """Once the infusion is the nurse's to start (start_infusion), start it; until then
    the simulator starts it on the scenario's schedule and this does nothing."""
    if "start_infusion" not in getattr(actions, "ALL_ACTIONS", {}):
        return
    try:
        rt.submit(bed_id, "start_infusion", {}, "trainee")
    except actions.ActionError:
        rt.submit(bed_id, "start_infusion", {"override_reason": "test"}, "instructor")


def _run(rt: Runtime, bed_id: str, until_s: int) -> list[tuple[float, str, float | None]]:
    """Advance minute by minute to ``until_s``; (t, phase, NIBP interval) of each minute."""
    seen = []
    while (v := rt.view(bed_id)).t_s < until_s:
        if v.phase == "baseline" and v.t_s >= 600:  # the scenario's 10 min of baseline
            _start_infusion_if_held(rt, bed_id)
        rt.advance(60)
        v = rt.view(bed_id)
        seen.append((v.t_s, v.phase, v.nibp_interval_s))
    return seen


def _infusion_span(seen: list[tuple[float, str, float | None]]) -> tuple[float, float]:
    during = [t for t, phase, _ in seen if phase == "infusion"]
    assert during, f"no infusion in {sorted({p for _, p, _ in seen})}"
    return min(during), max(during)


def test_a_scenario_that_sets_its_own_nibp_program_wins(tmp_path: Path) -> None:
    bed = BedConfig(id="chair3", label="Chair 3", scenario="hypertensive-responder",
                    seed=12, protocol="depression-40min")  # fmt: skip
    assert load_protocol("depression-40min").nibp.infusion_every_min == 10
    rt = _runtime(tmp_path, bed)
    try:
        seen = _run(rt, "chair3", 3000)
        first, last = _infusion_span(seen)
        intervals = {i for t, phase, i in seen if phase == "infusion"}
        assert intervals == {300.0}, "the bedside view says every 5 min while infusing"
        v = rt.view("chair3")
        sid = v.session_id
        df = rt.store.samples(sid, channels=[PERIODIC])
        t = df.loc[(df["t_s"] > first + 60) & (df["t_s"] <= last), "t_s"].to_numpy()
        gaps = np.diff(np.sort(t))
        assert len(t) >= 6, t
        assert ((gaps >= 240) & (gaps <= 360)).all(), f"readings every 5 min: {gaps}"
        # the debrief judges the session by the program it ran
        data = session_from_store(rt.store, sid)
        assert data.protocol is not None
        assert data.protocol.name == load_protocol("depression-40min").name
        assert data.protocol.nibp.infusion_every_min == 5.0
    finally:
        rt.stop()
        rt.store.close()


def test_the_bedside_text_follows_the_program() -> None:
    from vitalsdash.runtime import BedView

    view = BedView("b", "B", session_id=1, t_s=10.0, nibp_interval_s=300.0)
    assert numerics.values(view)["num-NIBP-age"].endswith(" · every 5 min")
    assert numerics.every(BedView("b", "B")) == ""


SCENARIO_WITHOUT_NIBP = """
[scenario]
name = "No program of its own"
seed = 3

[protocol]
baseline_min = 5
dose_mg_per_kg = 0.5
over_min = 40
observation_min = 60
"""

PROTOCOL_EVERY_7 = """
[protocol]
name = "Every seven"
dose_mg_per_kg = 0.5
over_min = 40

[nibp]
baseline_every_min = 5
infusion_every_min = 7
observation_every_min = 15
"""


def test_without_nibp_of_its_own_the_protocol_program_stands(tmp_path: Path) -> None:
    scenario = tmp_path / "plain.toml"
    scenario.write_text(SCENARIO_WITHOUT_NIBP)
    protocol = tmp_path / "every7.toml"
    protocol.write_text(PROTOCOL_EVERY_7)
    assert scenario_nibp(load_scenario(scenario)) == {}
    bed = BedConfig(id="c", scenario=str(scenario), protocol=str(protocol), seed=3)
    c = catalogue.load_start_configs(bed, {}, 300)
    assert c.protocol.nibp.infusion_every_min == 7
    assert c.protocol.name == "Every seven"


def test_only_what_the_scenario_sets_replaces_the_protocol(tmp_path: Path) -> None:
    scenario = tmp_path / "half.toml"
    scenario.write_text(SCENARIO_WITHOUT_NIBP + "\n[nibp]\ninfusion_every_min = 3\n")
    sc = load_scenario(scenario)
    assert scenario_nibp(sc) == {"infusion_every_min": 3.0}
    base = load_protocol("chronic-pain-4h")
    merged = catalogue.session_protocol(base, sc)
    assert merged.nibp.infusion_every_min == 3
    assert merged.nibp.observation_every_min == base.nibp.observation_every_min
    assert merged.nibp.baseline_every_min == base.nibp.baseline_every_min
    assert merged.name == base.name
    assert merged.discharge == base.discharge
    assert catalogue.session_protocol(base, None) is base


@pytest.mark.parametrize("name", catalogue.names("scenario"))
def test_every_shipped_scenario_yields_a_valid_session_protocol(name: str) -> None:
    sc = load_scenario(catalogue._path("scenario", name))
    merged = catalogue.session_protocol(load_protocol("depression-40min"), sc)
    assert merged.nibp.infusion_every_min == sc.nibp.infusion_every_min
