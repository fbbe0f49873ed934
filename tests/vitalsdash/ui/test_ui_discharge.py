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
    assert out["discharge-panel"] == discharge_widget.HIDDEN  # not during the infusion
    assert out["wire"]["r"] is None
    reach_observation(rt, "chair1")
    out = bedside_tick(rt, "chair1", None)
    assert out["discharge-panel"] == discharge_widget.SHOWN
    ready, items = out["wire"]["r"]
    assert ready == 0
    names = [label for _, _, label in items]
    assert names[0] == "Observation time"
    assert "Alert and oriented" in names
    [(met, text, _)] = [i for i in items if i[2] == "Alert and oriented"]
    assert (met, text) == (0, "alertness not charted (Aldrete/PADSS >= 9 needed)")
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
    assert out["discharge-panel"] == discharge_widget.HIDDEN
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
