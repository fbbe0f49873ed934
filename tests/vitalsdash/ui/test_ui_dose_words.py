"""The dose in the nurse's words, on the pump card, the start card, the tile and the
instructor's console: the weight a mg/kg dose is per, and a nasal spray's devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import DoseView, PumpView, Runtime
from vitalsdash.store import Store
from vitalsdash.ui import dose_words
from vitalsdash.ui.instructor.live import bed_tick
from vitalsdash.ui.live.bedside import bedside_tick, start_text
from vitalsdash.ui.widgets import pump_panel, start_check

pytestmark = pytest.mark.unit

IDEAL = DoseView("ketamine", "iv", 30.6, "ideal", 90.0, 61.2, 0.5, 0.75, 40.0)
RATE = DoseView("ketamine", "iv", 174.0, "adjusted", 128.0, 87.0, 2.0, 0.5, 240.0, form="rate")
NASAL = DoseView("esketamine", "intranasal", 56.0, devices=2, device_mg=28.0,
                 device_interval_min=5.0)  # fmt: skip


def test_the_prescription_names_the_weight_it_is_per() -> None:
    assert dose_words.order_line(IDEAL) == (
        "Ketamine 0.5 mg/kg × 61.2 kg ideal body weight = 30.6 mg over 40 min"
    )
    assert dose_words.order_line(IDEAL, short=True) == "0.5 mg/kg × 61.2 kg ideal weight = 30.6 mg"
    assert dose_words.order_line(RATE) == (
        "Ketamine 0.5 mg/kg/h × 87.0 kg adjusted body weight = 43.5 mg/h for 4 h"
    )
    assert dose_words.order_line(NASAL) == (
        "Esketamine 56 mg nasal spray: 2 devices of 28 mg, 5 min apart"
    )
    assert dose_words.order_line(None) == ""
    assert (dose_words.pump_title(NASAL), dose_words.pump_title(IDEAL)) == (
        "Esketamine nasal spray", "Ketamine pump")  # fmt: skip
    assert (dose_words.start_label(NASAL), dose_words.start_label(IDEAL)) == (
        "Give dose", "Start infusion")  # fmt: skip
    assert dose_words.phase_name("infusion", NASAL) == "Dosing"
    assert dose_words.phase_name("infusion", IDEAL) == "Infusion"
    assert start_check.title(NASAL) == "Before the dose: pre-dose check"
    assert "pump-nasal" in pump_panel.card_class(NASAL)
    assert "pump-nasal" not in pump_panel.card_class(IDEAL)


def nasal_pump(state: str, given: int, nxt: float | None = None) -> PumpView:
    return PumpView(0.0, state == "running", 0.0, 600.0, None if state == "running" else 900.0,
                    state=state, route="intranasal", devices=2, devices_given=given,
                    device_mg=28.0, next_device_s=nxt)  # fmt: skip


@pytest.mark.parametrize(
    ("pump", "shown", "tile"),
    [
        (nasal_pump("running", 1, 900.0),
         ("Giving", "pump-running", "Device 1 of 2 given", "Next device at 0:15:00", ""),
         "Nasal spray giving · Device 1 of 2 given · Next device at 0:15:00"),
        (nasal_pump("finished", 2),
         ("Complete", "pump-finished", "All 2 devices given", "56 mg given", ""),
         "Nasal spray complete · All 2 devices given · 56 mg given"),
        (nasal_pump("stopped", 1),
         ("Stopped", "pump-stopped", "Stopped after device 1 of 2", "28 mg given", ""),
         "Nasal spray stopped · Stopped after device 1 of 2 · 28 mg given"),
    ],
)  # fmt: skip
def test_a_nasal_dose_shows_its_devices_not_a_rate(pump, shown, tile) -> None:
    assert tuple(pump_panel.state(pump, 700.0)) == shown
    assert pump_panel.tile_text(pump, 700.0)[0] == tile


def test_start_rows_of_a_nasal_dose_say_dose() -> None:
    assert start_text({"check": "pass", "route": "intranasal"}) == "Dose started"
    assert start_text({"auto": True, "route": "intranasal"}) == "Dose started by itself"
    assert start_text({"check": "pass"}) == "Infusion started"


def test_the_pages_carry_the_prescription(tmp_path: Path) -> None:
    beds = [BedConfig(id="n", scenario="esketamine-intranasal-84mg", seed=3),
            BedConfig(id="o", scenario="obese-chronic-pain-adjusted-weight", seed=4,
                      protocol="chronic-pain-4h")]  # fmt: skip
    store = Store(str(tmp_path / "s.sqlite"))
    rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    first = bedside_tick(rt, "n", None)  # a new page: the cards' words come with the backfill
    assert first["pump-title"] == "Esketamine nasal spray"
    assert first["start-infusion"] == "Give dose"
    assert first["start-order"] == "Esketamine 84 mg nasal spray: 3 devices of 28 mg, 5 min apart"
    assert first["pump-order"] == "84 mg: 3 devices of 28 mg, 5 min apart"
    again = bedside_tick(rt, "n", first["cursor"])
    assert "pump-title" not in again  # sent once per session, not every tick
    obese = bedside_tick(rt, "o", None)
    assert obese["pump-order"].startswith("0.5 mg/kg/h × ")
    assert " kg adjusted weight = " in obese["pump-order"]
    console = bed_tick(rt, "n", None)
    assert console["startinf"] == "Give dose"
    assert console["dose"].startswith("Esketamine 84 mg nasal spray")
    rt.advance(600)
    assert bed_tick(rt, "o", None)["dose"].startswith("Ketamine 0.5 mg/kg/h × ")
    store.close()
