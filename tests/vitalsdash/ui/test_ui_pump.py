"""The pump's display on the bedside panel and the central tile: a paused pump says so
unmistakably (its badge, how long, the rate it keeps), stopped and complete differ."""

from __future__ import annotations

import pytest

from vitalsdash.runtime import PumpView
from vitalsdash.ui.widgets import pump_panel

pytestmark = pytest.mark.unit


def _pump(state: str, **kw: object) -> PumpView:
    base: dict = {"rate_mg_per_kg_h": 0.4, "running": state == "running",
                  "dose_given_mg_per_kg": 0.21, "started_s": 600.0, "state": state,
                  "delivering_mg_per_kg_h": 0.4 if state == "running" else 0.0}  # fmt: skip
    return PumpView(**{**base, **kw})


def test_a_paused_pump_shows_its_badge_how_long_and_the_rate_it_keeps():
    shown = pump_panel.state(_pump("paused", paused_since_s=1200.0), 1335.0)
    assert shown == ("Paused", "pump-paused", "0 mg/kg/h · set 0.40 mg/kg/h",
                     "0.21 mg/kg given", "for 2:15")  # fmt: skip
    text, cls = pump_panel.tile_text(_pump("paused", paused_since_s=1200.0), 1335.0)
    assert text == "Pump PAUSED 2:15 · set 0.40 mg/kg/h · 0.21 mg/kg given"
    assert cls == "pump-paused"


@pytest.mark.parametrize(
    ("state", "extra", "word", "cls", "detail"),
    [
        ("running", {}, "Running", "pump-running", ""),
        ("stopped", {"ended_s": 1800.0}, "Stopped", "pump-stopped", "Stopped at 0:30:00"),
        ("finished", {"ended_s": 3000.0}, "Complete", "pump-finished", "Whole dose given"),
        ("not_started", {"started_s": None}, "Not started", "pump-idle", ""),
    ],
)
def test_each_state_has_its_own_words_and_colour(state, extra, word, cls, detail):
    shown = pump_panel.state(_pump(state, **extra), 2000.0)
    assert (shown.word, shown.cls, shown.detail) == (word, cls, detail)
    assert shown.cls != "pump-paused"


def test_a_running_pump_shows_its_rate():
    assert pump_panel.state(_pump("running"), 900.0).rate == "0.40 mg/kg/h"
    assert pump_panel.tile_text(_pump("running"), 900.0) == (
        "Pump running · 0.40 mg/kg/h · 0.21 mg/kg given",
        "pump-running",
    )


def test_the_panel_renders_the_badge_and_the_detail():
    parts = pump_panel.render(pump_panel.state(_pump("paused", paused_since_s=0.0), 65.0))
    head = parts[0].children
    assert (head[0].children, head[0].className) == ("Paused", "pump-state pump-paused")
    assert (head[1].children, head[1].className) == ("for 1:05", "pump-detail pump-paused")


def test_no_pump():
    assert pump_panel.state(None).word == "No pump"
