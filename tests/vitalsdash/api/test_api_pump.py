"""The pump through the API, as a nurse uses a real pump: a rate set while paused is kept,
the pump stays paused and the reply says so; resuming delivers at that rate; a stopped
infusion refuses every pump action with its reason; PUMP_PAUSED shows after 2 min paused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pump_helpers import advance_into_infusion

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

BED = "chair1"
INFUSION_S = 900  # chronic-pain-4h: 0.5 mg/kg/h for 4 h after 15 min of baseline
START_S = 1200  # the tests act five minutes into the infusion


@pytest.fixture
def api(tmp_path: Path):
    cfg = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0),
                       beds=[BedConfig(id=BED, scenario="chronic-pain-4h", seed=5)])  # fmt: skip
    store = Store(tmp_path / "pump.sqlite")
    rt = Runtime(cfg, store, Feed(store), clock=ManualClock())
    rt.start()
    advance_into_infusion(rt, BED, INFUSION_S, START_S)
    yield rt, create_server(rt).test_client()
    store.close()


def _post(client: Any, kind: str, **params: Any) -> tuple[int, dict[str, Any]]:
    r = client.post(f"/api/beds/{BED}/actions", data=json.dumps({"kind": kind, "params": params}),
                    content_type="application/json")  # fmt: skip
    return r.status_code, r.get_json()


def _pump(client: Any) -> dict[str, Any]:
    [bed] = client.get("/api/beds").get_json()
    return bed["session"]["pump"]


def _rates(client: Any, rt: Runtime, since: float) -> set[float]:
    sid = rt.view(BED).session_id
    rows = client.get(f"/api/sessions/{sid}/samples?since={since}&channels=PUMP_RATE")
    return {x["value"] for x in rows.get_json()["samples"]}


def test_set_rate_while_paused_is_stored_and_the_pump_stays_paused(api):
    rt, client = api
    assert _pump(client)["state"] == "running"
    assert _post(client, "pause_pump")[0] == 200
    rt.advance(30)
    status, reply = _post(client, "set_rate", rate_mg_per_kg_h=0.4)
    assert status == 200
    assert (
        reply["message"] == "Rate set to 0.4 mg/kg/h; the pump is still paused — resume to deliver"
    )
    assert reply["pump"]["state"] == "paused"
    assert reply["pump"]["rate_mg_per_kg_h"] == 0.4  # stored on the pump
    assert reply["pump"]["delivering_mg_per_kg_h"] == 0.0
    assert reply["pump"]["paused_since_s"] == START_S  # the pause still counts from its start
    assert _pump(client) == reply["pump"]
    rt.advance(60)
    assert _rates(client, rt, START_S + 29) == {0.0}  # nothing given while paused
    assert rt.truth(BED).truth["PUMP_RATE"] == 0.0  # the instructor sees what is delivered
    status, reply = _post(client, "resume_pump")
    assert (status, reply["message"]) == (200, "Pump resumed at 0.4 mg/kg/h")
    assert (reply["pump"]["state"], reply["pump"]["delivering_mg_per_kg_h"]) == ("running", 0.4)
    t = rt.view(BED).t_s
    rt.advance(30)
    assert _rates(client, rt, t - 0.5) == {0.4}
    assert rt.truth(BED).truth["PUMP_RATE"] == 0.4
    acts = [
        (a["kind"], a["outcome"])
        for a in rt.store.actions(rt.view(BED).session_id)
        if a["kind"] != "start_infusion"
    ]  # who started it is not this test's concern
    assert acts == [("pause_pump", "ok"), ("set_rate", "ok"), ("resume_pump", "ok")]


def test_set_rate_on_a_running_pump_says_plainly(api):
    _, client = api
    status, reply = _post(client, "set_rate", rate_mg_per_kg_h=0.3)
    assert (status, reply["message"]) == (200, "Rate set to 0.3 mg/kg/h")
    assert reply["pump"]["delivering_mg_per_kg_h"] == 0.3


@pytest.mark.parametrize(
    ("kind", "params"),
    [("pause_pump", {}), ("resume_pump", {}), ("set_rate", {"rate_mg_per_kg_h": 0.4}),
     ("stop_infusion", {})],
)  # fmt: skip
def test_a_stopped_infusion_refuses_with_its_reason(api, kind: str, params: dict):
    rt, client = api
    status, reply = _post(client, "stop_infusion")
    assert (status, reply["pump"]["state"]) == (200, "stopped")
    assert reply["message"].startswith("Infusion stopped; ")
    rt.advance(10)
    before = _pump(client)
    status, reply = _post(client, kind, **params)
    assert status == 409
    assert reply["error"] == "not_possible"
    assert "the infusion was stopped at 0:20:00" in reply["message"]
    assert _pump(client) == before


def test_a_paused_pump_raises_its_reminder_after_two_minutes(api):
    rt, client = api
    _post(client, "pause_pump")
    rt.advance(120)  # seconds 1200..1319: paused for 119 s at the last one

    def reminder() -> list[dict[str, Any]]:
        [bed] = client.get("/api/beds").get_json()
        return [a for a in bed["session"]["alarms"] if a["condition"] == "PUMP_PAUSED"]

    assert reminder() == []
    rt.advance(1)  # second 1320: two minutes
    [row] = reminder()
    assert (row["priority"], row["message"]) == ("LOW", "* Pump paused 2 min")
    _post(client, "resume_pump")
    rt.advance(1)
    assert reminder() == []
    events = client.get(f"/api/sessions/{rt.view(BED).session_id}/events").get_json()
    pumped = [(e["t_s"], e["event"]) for e in events["alarm_events"]
              if e["condition"] == "PUMP_PAUSED"]  # fmt: skip
    assert pumped == [(1320.0, "active"), (1321.0, "normal")]
