"""Discharge on the pages, as plain functions: the bedside tick (button shown in observation
only, the checklist under the nurse's names, "Discharged at H:MM:SS" in the header and the
status line), the button's submit (refused: the missing criteria; accepted), the central
tile and the instructor's card."""

from __future__ import annotations

from pathlib import Path

import pytest
from discharge_helpers import reach_observation, short_protocol

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.ui import fmt
from vitalsdash.ui.instructor.live import status_text
from vitalsdash.ui.live.bedside import bedside_tick
from vitalsdash.ui.live.central import central_tick
from vitalsdash.ui.live.discharge import submit_discharge
from vitalsdash.ui.widgets import discharge as discharge_widget
from vitalsdash.ui.widgets import readiness

pytestmark = pytest.mark.unit


@pytest.fixture
def rt(tmp_path: Path):
    beds = [BedConfig(id="chair1", scenario="uneventful-depression", seed=11,
                      protocol=str(short_protocol(tmp_path)))]  # fmt: skip
    store = Store(tmp_path / "ui.sqlite")
    runtime = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                      clock=ManualClock())  # fmt: skip
    runtime.start()
    yield runtime
    store.close()


def test_the_button_shows_in_observation_and_a_refusal_lists_what_is_missing(rt: Runtime):
    rt.advance(900)
    out = bedside_tick(rt, "chair1", None)
    assert out["discharge-panel"] is True  # hidden: not during the infusion
    assert out["wire"]["r"] is None
    reach_observation(rt, "chair1")
    out = bedside_tick(rt, "chair1", None)
    assert out["discharge-panel"] is False  # shown
    ready, items = out["wire"]["r"]
    assert ready == 0
    names = out["wire"]["l"]  # the criteria's names for the nurse, in the checklist's order
    assert len(names) == len(items)
    assert names[0] == "Observation time"
    (met, text) = items[names.index("Alert and oriented")]
    assert (met, text) == (0, "alertness not charted (Aldrete/PADSS >= 9 needed)")
    rt.advance(60)  # the details change every minute, the names do not: sent once
    later = bedside_tick(rt, "chair1", out["cursor"])
    assert "r" in later["wire"]
    assert "l" not in later["wire"]
    refused = submit_discharge(rt, "chair1", "  ")
    assert not refused.ok
    assert refused.reasons == rt.view("chair1").discharge.missing  # type: ignore[union-attr]
    shown = discharge_widget.refusal(refused.reasons, refused.message)
    assert shown[0].children == "Not ready for discharge:"
    assert [li.children for li in shown[1].children] == list(refused.reasons)


def test_accepted_the_bed_shows_the_patient_discharged(rt: Runtime):
    reach_observation(rt, "chair1")
    rt.submit("chair1", "chart", {"kind": "alertness", "value": 9}, "trainee")
    rt.advance(6 * 60)
    cursor = bedside_tick(rt, "chair1", None)["cursor"]
    t = rt.view("chair1").t_s  # type: ignore[union-attr]
    done = submit_discharge(rt, "chair1", " home with escort ")
    assert (done.ok, done.message) == (True, f"Discharged at {fmt.clock(t)}")
    out = bedside_tick(rt, "chair1", cursor)
    assert out["bed-phase"] == f"Discharged at {fmt.clock(t)}"
    assert out["discharge-panel"] is True
    assert out["discharge-status"] == (
        f"Discharged at {fmt.clock(t)} by the trainee · Note: home with escort"
    )
    assert out["wire"]["r"] == readiness.DISCHARGED_TEXT
    tile = central_tick(rt, ["chair1"], None, {})
    assert tile.values[("phase", "children")]["chair1"] == f"Discharged at {fmt.clock(t)}"
    assert status_text(rt.truth("chair1")) == f"Discharged at {fmt.clock(t)}"  # type: ignore[arg-type]
    again = submit_discharge(rt, "chair1", None)
    assert (again.ok, again.reasons) == (False, ())
    assert discharge_widget.refusal(again.reasons, again.message)[0].children == again.message


def test_a_refusals_list_is_cleared_once_the_patient_is_ready(rt: Runtime):
    reach_observation(rt, "chair1")
    first = bedside_tick(rt, "chair1", None)
    assert first["discharge-result"] == []  # a fresh page has no refusal to show
    cursor = first["cursor"]
    assert not submit_discharge(rt, "chair1", None).ok  # the page lists what is missing
    rt.advance(60)
    out = bedside_tick(rt, "chair1", cursor)
    assert "discharge-result" not in out  # still not ready: the list stays
    rt.submit("chair1", "chart", {"kind": "alertness", "value": 10}, "trainee")
    rt.advance(6 * 60)
    out = bedside_tick(rt, "chair1", out["cursor"])
    assert out["discharge-result"] == []  # ready now: the old list goes
