"""The start of the infusion on the pages, called as plain functions: the bedside's
checklist parts and start button, the central tile's "Waiting to start" / "Held: ...",
and the instructor's start with an override reason."""

from __future__ import annotations

import pytest

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui.instructor import actions as instructor_actions
from vitalsdash.ui.live.actions import perform
from vitalsdash.ui.live.bedside import action_text, bedside_tick
from vitalsdash.ui.live.central import tile_values
from vitalsdash.ui.widgets import start_check

pytestmark = pytest.mark.unit


@pytest.fixture
def rt(tmp_path):
    beds = [
        BedConfig(id="calm", scenario="uneventful-depression", seed=4),
        BedConfig(id="high", scenario="uncontrolled-hypertension", seed=21),
        BedConfig(id="held", scenario="uncontrolled-hypertension", seed=22, auto_start=True),
    ]
    store = Store(str(tmp_path / "start.sqlite"))
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store,
                      Feed(store), clock=ManualClock())  # fmt: skip
    runtime.start()
    runtime.advance(420)
    yield runtime
    store.close()


def test_the_checklist_goes_out_in_parts_and_then_only_what_changed(rt: Runtime) -> None:
    first = bedside_tick(rt, "high", None)
    parts = first["start-wire"]
    assert parts["h"][0] == "b"
    assert parts["n"] == 12
    lines = [parts[f"i{k}"] for k in range(12)]
    assert [line[3] for line in lines][:6] == ["baseline_readings", "baseline_time", "bp", "spo2",
                                                "hr", "alarms"]  # fmt: skip
    bp = lines[2]
    assert bp[1] == "b"
    assert bp[2].endswith("is at or above 160/100: do not start")
    assert first["start-card"] == "panel-card start-card"
    assert first["start-status"]["status"] == "blocked"
    cursor = first["cursor"]
    rt.advance(1)
    later = bedside_tick(rt, "high", cursor)
    changed = {k for k in later.get("start-wire", {}) if k.startswith("i")}
    assert changed <= {"i1", "i3", "i4"}  # at most the time, SpO2 and HR lines
    # once the infusion runs the card hides and the lines leave the cursor
    rt.submit("high", "start_infusion", {"override_reason": "test"}, "instructor")
    rt.advance(1)
    after = bedside_tick(rt, "high", later["cursor"])
    assert after["start-card"] == "panel-card start-card start-hidden"
    assert after["start-wire"]["h"] is None
    assert after["start-status"] is None


def test_the_start_button_says_why_not_in_the_nurses_words(rt: Runtime) -> None:
    refused = perform(rt, "high", "start-go", {})
    assert not refused.ok
    assert refused.message.startswith("Not started. The pre-infusion check says: BP ")
    assert "160/100: do not start" in refused.message
    assert "pre_infusion_check_failed" not in refused.message
    assert rt.view("high").phase == "baseline"  # type: ignore[union-attr]
    ok = perform(rt, "calm", "start-go", {})
    assert (ok.ok, ok.message) == (True, "Infusion started")
    again = perform(rt, "calm", "start-confirm", {})
    assert (again.ok, again.message) == (False, "the infusion has already been started")


def test_the_caution_start_reports_its_reasons(tmp_path) -> None:
    store = Store(str(tmp_path / "c.sqlite"))
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=[
        BedConfig(id="c", scenario="example-annotated", seed=4)]), store, Feed(store),
        clock=ManualClock())  # fmt: skip
    rt.start()
    rt.advance(420)
    assert start_check.status_data(start_check.state(rt.view("c")))["status"] == "caution"
    done = perform(rt, "c", "start-confirm", {})
    assert done.ok
    assert done.message.startswith("Infusion started with caution: BP ")
    store.close()


def test_the_central_tile_says_waiting_or_held(rt: Runtime) -> None:
    calm = tile_values(rt.view("calm"))  # type: ignore[arg-type]
    assert calm[("pump", "children")] == "Waiting to start"
    held = tile_values(rt.view("held"))  # type: ignore[arg-type]
    assert held[("pump", "children")].startswith("Held: BP ")
    assert held[("pump", "className")] == "tile-pump start-held"
    rt.submit("calm", "start_infusion", {}, "trainee")
    rt.advance(1)
    assert tile_values(rt.view("calm"))[("pump", "children")].startswith("Pump running")  # type: ignore[arg-type]


def test_the_instructor_starts_with_or_without_a_reason(rt: Runtime) -> None:
    out = instructor_actions.perform(rt, "high", "startinf", {"override": "  "})
    assert not out.ok
    assert "an instructor may start it anyway with a reason" in out.message
    out = instructor_actions.perform(rt, "high", "startinf", {"override": "Consultant agrees"})
    assert (out.ok, out.message) == (True, "Infusion started despite the check")
    rows = rt.store.actions(rt.beds["high"].session.session_id)  # type: ignore[union-attr]
    assert [action_text(r) for r in rows] == [
        "Start infusion (refused) (instructor)",
        "Infusion started despite a blocked check: Consultant agrees (instructor)",
    ]
