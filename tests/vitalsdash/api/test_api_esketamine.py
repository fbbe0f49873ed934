"""Esketamine nasal spray and dosing weight over the JSON API.

An instructor starts an esketamine session on a chair whose usual protocol is an IV one:
the session runs the esketamine protocol, starting it gives the first device, the bed
reports the devices and the prescription, the pump refuses what a nasal spray cannot do,
and discharge waits for 2 hours after the last device. A protocol that does not fit the
scenario is refused naming the file and the key. An IV protocol dosing by ideal weight
makes the pump give mg/kg of ideal weight.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def api(tmp_path: Path):
    beds = [BedConfig(id="chair1", scenario="uneventful-depression", seed=11, autostart=False)]
    store = Store(tmp_path / "api.sqlite")
    clock = ManualClock()
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store, Feed(store),
                 clock=clock, wall=lambda: T0 + timedelta(seconds=clock.now()))  # fmt: skip
    rt.start()
    yield rt, create_server(rt).test_client()
    store.close()


def post(client: Any, action: str, actor: str = "trainee", **params: Any) -> tuple[int, dict]:
    body = json.dumps({"kind": action, "actor": actor, "params": params})
    r = client.post("/api/beds/chair1/actions", content_type="application/json", data=body)
    return r.status_code, r.get_json()


def session(client: Any) -> dict:
    [bed] = client.get("/api/beds").get_json()
    return bed["session"]


def test_an_esketamine_session_over_the_api(api) -> None:
    rt, client = api
    code, body = post(client, "start_session", "instructor",
                      scenario="esketamine-intranasal-56mg")  # fmt: skip
    assert (code, body["ok"]) == (200, True)
    row = rt.store.session(body["session_id"])
    assert row["protocol"] == "Esketamine nasal spray, 56 or 84 mg"  # not the chair's IV one
    s = session(client)
    assert s["dose"] == {
        "drug": "esketamine", "route": "intranasal", "total_mg": 56.0, "devices": 2,
        "device_mg": 28.0, "device_interval_min": 5.0, "dose_weight": "actual",
        "weight_kg": None, "dosing_weight_kg": None, "dose_mg_per_kg": None,
        "rate_mg_per_kg_h": None, "over_min": None, "form": "dose",
    }  # fmt: skip
    assert (s["pump"]["route"], s["pump"]["state"], s["pump"]["devices"]) == (
        "intranasal", "not_started", 2)  # fmt: skip
    rt.advance(600)  # the baseline's readings
    code, body = post(client, "start_infusion", "instructor", override_reason="training run")
    assert code == 200, body
    rt.advance(30)
    pump = session(client)["pump"]
    assert (pump["state"], pump["devices_given"], pump["next_device_s"]) == ("running", 1, 900.0)
    assert pump["rate_mg_per_kg_h"] == 0.0
    code, body = post(client, "pause_pump")
    assert code == 409
    assert "a nasal spray has nothing to pause" in body["message"]
    rt.advance(300)  # device 2 at 15:00: observation from then on
    s = session(client)
    assert (s["phase"], s["pump"]["state"], s["pump"]["devices_given"]) == (
        "observation", "finished", 2)  # fmt: skip
    assert post(client, "chart", kind="alertness", value=10)[0] == 200
    rt.advance(61 * 60)
    code, body = post(client, "discharge", note="too early")
    assert code == 409
    assert any(r.startswith("observation 6") and r.endswith(" of 120 min") for r in body["reasons"])
    assert session(client)["readiness"]["ready"] is False
    rt.advance(60 * 60)  # past 2 h after the last device
    s = session(client)
    reasons = s["readiness"]["missing"]
    assert not any(r.startswith("observation ") for r in reasons), reasons
    starts = [a for a in rt.feed.actions_since(row["id"], 0) if a["kind"] == "start_infusion"]
    assert starts[-1]["params"]["route"] == "intranasal"


def test_a_protocol_that_does_not_fit_the_scenario_is_refused(api) -> None:
    _, client = api
    iv, nasal = "depression-40min", "esketamine-intranasal"
    code, body = post(client, "start_session", "instructor",
                      scenario="esketamine-intranasal-84mg", protocol=iv)  # fmt: skip
    assert code == 400
    message = body["message"]
    assert "depression-40min.toml: protocol.route: this protocol is for ketamine by IV " in message
    assert "the scenario gives esketamine by nasal spray" in message
    code, body = post(client, "start_session", "instructor",
                      scenario="uneventful-depression", protocol=nasal)  # fmt: skip
    assert code == 400
    assert "protocol.route: this protocol is for esketamine by nasal spray" in body["message"]
    assert session(client) is None  # nothing started


def clinic(tmp_path: Path, name: str, protocol: str) -> tuple[Runtime, Any, Store]:
    bed = BedConfig(id="chair1", scenario="uneventful-depression", seed=11, protocol=protocol)
    store = Store(tmp_path / f"{name}.sqlite")
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=[bed]), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    return rt, create_server(rt).test_client(), store


def test_the_protocols_dose_weight_doses_the_pump(tmp_path: Path) -> None:
    """A protocol dosing by ideal weight, a scenario that leaves the basis to it: the pump
    gives mg/kg of ideal weight (the same patient's concentration scales by ideal/actual);
    a scenario that sets its own basis keeps it."""
    text = (REPO / "config/protocols/depression-40min.toml").read_text()
    ideal = tmp_path / "depression-ideal.toml"
    ideal.write_text(text.replace('dose_weight = "actual"', 'dose_weight = "ideal"'))
    ces, doses = [], []
    for name, protocol in (("actual", "depression-40min"), ("ideal", str(ideal))):
        rt, client, store = clinic(tmp_path, name, protocol)
        rt.advance(600)
        assert post(client, "start_infusion", "instructor", override_reason="test")[0] == 200
        rt.advance(20 * 60)
        doses.append(session(client)["dose"])
        ces.append(rt.truth("chair1").truth["KET_CE"])
        if name == "ideal":
            post(client, "end_session", "instructor")
            started = post(client, "start_session", "instructor",
                           scenario="obese-chronic-pain-adjusted-weight")  # fmt: skip
            assert started[0] == 200
            own = session(client)["dose"]
        store.close()
    actual, by_ideal = doses
    assert (actual["dose_weight"], by_ideal["dose_weight"]) == ("actual", "ideal")
    assert actual["dosing_weight_kg"] == actual["weight_kg"] == by_ideal["weight_kg"]
    assert by_ideal["dosing_weight_kg"] <= by_ideal["weight_kg"]
    assert by_ideal["total_mg"] == pytest.approx(0.5 * by_ideal["dosing_weight_kg"])
    ratio = by_ideal["dosing_weight_kg"] / by_ideal["weight_kg"]
    assert ratio < 0.99  # this patient (68 kg, 173.5 cm) is above her ideal weight
    assert ces[1] / ces[0] == pytest.approx(ratio, rel=1e-6)
    assert own["dose_weight"] == "adjusted"  # the scenario's own, over the protocol's
    assert (own["form"], own["rate_mg_per_kg_h"]) == ("rate", 0.5)
    assert own["dosing_weight_kg"] < own["weight_kg"] == 128.0
