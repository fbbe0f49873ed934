"""Expected responses count only actions that took effect, judged by what the pump
delivered: a rate set on a paused pump, a rate raised, a refused pause do not count, and
the debrief says why. From hand-built logs and from a session the runtime stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pump_helpers import advance_into_infusion

from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import (
    Action,
    SessionData,
    alarm_episodes,
    compute_debrief,
    score_expected,
    session_from_store,
)
from vitalsdash.feed import Feed
from vitalsdash.report import render_report
from vitalsdash.runtime import Command, Runtime
from vitalsdash.store import Store
from vitalsim.scenario import ExpectedResponse

pytestmark = pytest.mark.unit

SYS_HI_RESPONSE = ExpectedResponse.model_validate(
    {"when": "SYS_HI", "do": ["pause_pump", "set_rate", "stop_infusion"], "within_min": 3}
)


def ev(t: float, cond: str, event: str) -> dict[str, Any]:
    return {"t_s": float(t), "condition": cond, "event": event, "priority": "MEDIUM",
            "priority_base": "MEDIUM", "value": None, "limit_value": None, "actor": "",
            "detail": {}}  # fmt: skip


def delivered(steps: list[tuple[float, float]], until: float = 1000.0) -> pd.DataFrame:
    """PUMP_RATE as the simulator writes it: every 10 s and at each change."""
    ts = sorted({*range(0, int(until), 10), *(int(t) for t, _ in steps)})
    rates = [next(r for t0, r in reversed(steps) if t0 <= t) for t in ts]
    return pd.DataFrame({"t_s": [float(t) for t in ts], "channel": "PUMP_RATE",
                         "value": rates, "quality": "ok", "true_value": rates})  # fmt: skip


def _score(actions: list[Action], samples: pd.DataFrame | None) -> Any:
    log = [ev(100, "SYS_HI", "active"), ev(900, "SYS_HI", "normal")]
    eps = alarm_episodes(log, 1000.0, actions)
    [result] = score_expected([SYS_HI_RESPONSE], eps, actions, 1000.0, samples)
    return result


def test_a_rate_set_on_a_paused_pump_does_not_count():
    """The instructor paused the pump; the trainee's rate change while paused gave no
    less drug, so the response is missed, and the debrief says why."""
    actions = [
        Action(120, "pause_pump", actor="instructor"),
        Action(150, "set_rate", params={"rate_mg_per_kg_h": 0.3}),
        Action(400, "resume_pump", actor="instructor"),  # after the deadline (280 s)
    ]
    r = _score(actions, delivered([(0, 0.75), (120, 0.0), (400, 0.3)]))
    assert (r.status, r.action_kind) == ("missed", None)
    assert r.note == (
        "Not counted: Rate set to 0.3 mg/kg/h at 0:02:30: the pump was giving nothing "
        "(paused or stopped), so delivery did not change."
    )


def test_the_first_action_that_took_effect_counts_and_the_others_are_named():
    actions = [
        Action(120, "pause_pump", outcome="refused", reason="the pump is already paused"),
        Action(140, "set_rate", params={"rate_mg_per_kg_h": 1.0}),  # more drug, not less
        Action(200, "set_rate", params={"rate_mg_per_kg_h": 0.25}),
    ]
    r = _score(actions, delivered([(0, 0.75), (140, 1.0), (200, 0.25)]))
    assert (r.status, r.action_t_s, r.action_kind, r.response_s) == ("met", 200.0, "set_rate",
                                                                      100.0)  # fmt: skip
    assert r.note == (
        "Not counted: Pump paused at 0:02:00 was refused (the pump is already paused); "
        "Rate set to 1 mg/kg/h at 0:02:20: delivery did not go down (0.75 → 1 mg/kg/h)."
    )


def test_a_pause_that_stopped_the_drug_counts():
    r = _score([Action(160, "pause_pump")], delivered([(0, 0.75), (160, 0.0)]))
    assert (r.status, r.response_s, r.note) == ("met", 60.0, "")


def test_without_the_pump_rate_an_action_counts_as_done():
    """A device that does not report the pump (HL7): nobody knows what it gave."""
    r = _score([Action(160, "set_rate", params={"rate_mg_per_kg_h": 0.3})], None)
    assert (r.status, r.note) == ("met", "")


def test_the_report_shows_why(tmp_path: Path):
    actions = [Action(120, "pause_pump", actor="instructor"),
               Action(150, "set_rate", params={"rate_mg_per_kg_h": 0.3})]  # fmt: skip
    data = SessionData(
        title="t", source="test", samples=delivered([(0, 0.75), (120, 0.0)]),
        alarm_events=[ev(100, "SYS_HI", "active"), ev(900, "SYS_HI", "normal")],
        actions=actions, observations=[], session_events=[], end_t_s=1000.0,
        expected=(SYS_HI_RESPONSE,),
    )  # fmt: skip
    d = compute_debrief(data)
    assert d.expected_counts()["missed"] == 1
    html = render_report(data, d)
    assert "Rate set to 0.3 mg/kg/h at 0:02:30: the pump was giving nothing" in html


# --- from a stored session ------------------------------------------------------------------

BED = "chair1"


def test_a_stored_session_is_judged_by_what_the_pump_delivered(tmp_path: Path):
    """PUMP_PAUSED at 2 min; the trainee sets a rate on the paused pump (no effect), then
    stops it. Expected after PUMP_PAUSED (as a scenario might, to catch exactly this): a
    resume, a rate change or a stop within 3 min."""
    cfg = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0),
                       beds=[BedConfig(id=BED, scenario="chronic-pain-4h", seed=6)])  # fmt: skip
    store = Store(tmp_path / "pump.sqlite")
    try:
        rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
        rt.start()
        advance_into_infusion(rt, BED, 900, 1200)
        for t, kind, params in ((1200, "pause_pump", {}),
                                (1400, "set_rate", {"rate_mg_per_kg_h": 0.3}),
                                (1480, "stop_infusion", {})):  # fmt: skip
            rt.advance(t - int(rt.view(BED).t_s))
            rt.submit(Command(kind, BED, params, "trainee"))
        rt.advance(200)
        data = session_from_store(store, rt.view(BED).session_id)
    finally:
        store.close()
    data.expected = (
        ExpectedResponse.model_validate(
            {
                "when": "PUMP_PAUSED",
                "do": ["resume_pump", "set_rate", "stop_infusion"],
                "within_min": 3,
            }
        ),
    )
    [r] = compute_debrief(data).expected
    assert (r.trigger_t_s, r.status, r.action_kind, r.action_t_s) == (
        1320.0, "met", "stop_infusion", 1480.0)  # fmt: skip
    assert r.note == (
        "Not counted: Rate set to 0.3 mg/kg/h at 0:23:20: the pump was giving nothing "
        "(paused or stopped), so delivery did not change."
    )
