"""The hidden truth stays with the instructor: a bed's view and ``/api/beds`` carry no
hidden channel but the pump rate.

A simulated patient's ketamine concentrations and the scores it feels are channels of
``Kind.HIDDEN``: the session stores them (the debrief compares charted scores with them)
and ``TruthView`` shows them to the instructor, but ``BedView.latest`` (what every
monitor page reads) and the API's bed summary leave them out, whatever the scenario, seed
or time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from infusion_start import start_infusion

from vitalsdash import channels
from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime, bed_summary
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

PUMP = channels.pump_rate_channel()
HIDDEN = frozenset(c.id for c in channels.of_kind(channels.Kind.HIDDEN)) - {PUMP}
SCENARIOS = ("hypertensive-responder", "uneventful-depression", "esketamine-intranasal-56mg")


def _clinic(path: Path, scenario: str, seed: int) -> tuple[Runtime, Store]:
    store = Store(str(path))
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60),
                              beds=[BedConfig(id="chair1", scenario=scenario, seed=seed)]),
                 store, Feed(store), clock=ManualClock())  # fmt: skip
    rt.start()
    return rt, store


def _shown(rt: Runtime) -> set[str]:
    """Every channel id the trainee's view and the bed summary hand out."""
    view = rt.view("chair1")
    assert view is not None
    summary = bed_summary(view)["session"]
    from_clinic = rt.views().beds[0]
    return set(view.latest) | set(summary["latest"]) | set(from_clinic.latest)


def test_hidden_channels_are_known() -> None:
    assert {"KET_CP", "KET_CE", "SEDATION_SCORE"} <= HIDDEN
    assert channels.get(PUMP).kind is channels.Kind.HIDDEN


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=st.sampled_from(SCENARIOS), seed=st.integers(0, 10_000),
       baseline_s=st.integers(30, 600), infusion_s=st.integers(0, 1200))  # fmt: skip
def test_a_running_simulated_bed_shows_no_hidden_truth_but_the_pump_rate(
    tmp_path_factory: pytest.TempPathFactory, scenario: str, seed: int, baseline_s: int,
    infusion_s: int,
) -> None:  # fmt: skip
    rt, store = _clinic(tmp_path_factory.mktemp("hidden") / "s.sqlite", scenario, seed)
    try:
        rt.advance(baseline_s)
        assert not _shown(rt) & HIDDEN
        if infusion_s:
            start_infusion(rt, "chair1")
            rt.advance(infusion_s)
            assert not _shown(rt) & HIDDEN
            truth = rt.truth("chair1")
            assert truth is not None
            assert truth.truth
    finally:
        store.close()


def test_the_truth_is_still_recorded_and_the_pump_rate_still_shown(tmp_path: Path) -> None:
    rt, store = _clinic(tmp_path / "s.sqlite", "hypertensive-responder", 12)
    try:
        rt.advance(600)
        start_infusion(rt, "chair1")
        rt.advance(300)
        view = rt.view("chair1")
        assert view is not None
        assert view.value(PUMP) is not None
        assert view.value(PUMP) > 0
        assert view.value("KET_CE") is None
        truth = rt.truth("chair1")
        assert truth is not None
        assert truth.truth is not None
        assert truth.truth["KET_CE"] > 0
        stored = set(store.samples(view.session_id)["channel"])
        assert {"KET_CE", "SEDATION_SCORE"} <= stored  # kept for the debrief
        body = create_server(rt).test_client().get("/api/beds").get_json()
        latest = body[0]["session"]["latest"]
        assert PUMP in latest
        assert not set(latest) & HIDDEN
    finally:
        store.close()
