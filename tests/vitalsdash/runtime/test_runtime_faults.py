"""One bed's failure stops that bed's session, never the clinic's tick."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    beds = [
        BedConfig(id="chair1", scenario="uneventful-depression", seed=1),
        BedConfig(id="chair2", scenario="uneventful-depression", seed=2),
    ]
    store = Store(tmp_path / "faults.sqlite")
    rt = Runtime(ClinicConfig(clinic=ClinicSection(), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    rt.advance(60)
    return rt


def test_a_failing_source_interrupts_only_its_own_session(runtime: Runtime) -> None:
    broken = runtime.beds["chair1"].session
    healthy = runtime.beds["chair2"].session
    assert broken is not None
    assert healthy is not None

    def explode(t1_s: int) -> list:
        raise RuntimeError("device unplugged")

    broken.source.advance = explode  # type: ignore[method-assign]
    runtime.advance(30)

    assert broken.status == "interrupted"
    assert broken.t_s == 60  # nothing half-done is counted as processed
    assert healthy.status == "running"
    assert healthy.t_s == 90
    store = runtime.store
    assert store.session(broken.session_id)["status"] == "interrupted"
    faults = [e for e in store.session_events(broken.session_id) if e["kind"] == "fault"]
    assert len(faults) == 1
    assert "device unplugged" in faults[0]["detail"]["error"]
    hr = store.samples(healthy.session_id, channels=["HR"])
    assert hr["t_s"].max() == 89.0  # the other bed went on, every second written

    runtime.advance(30)  # the interrupted bed is skipped from now on, without new faults
    assert len([e for e in store.session_events(broken.session_id)
                if e["kind"] == "fault"]) == 1  # fmt: skip
    assert healthy.t_s == 120


def test_clinic_actions_are_refused_on_a_bed_url(runtime: Runtime) -> None:
    client = create_server(runtime).test_client()
    before = runtime.control.speed
    r = client.post("/api/beds/chair1/actions", json={"kind": "set_speed",
                                                      "params": {"speed": 60}})  # fmt: skip
    assert r.status_code == 400
    assert r.get_json()["error"] == "wrong_endpoint"
    assert "/api/clinic/actions" in r.get_json()["message"]
    assert runtime.control.speed == before
    ok = client.post("/api/clinic/actions", json={"kind": "set_speed", "params": {"speed": 60},
                                                  "actor": "instructor"})  # fmt: skip
    assert ok.status_code == 200
    assert runtime.control.speed == 60


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "set_speed", "params": {"speed": 2}}, 403, "forbidden"),  # actor: trainee
        ({"kind": "set_speed", "actor": "instructor", "params": {"speed": 500}}, 400,
         "bad_params"),
        ({"kind": "pause_pump", "actor": "instructor"}, 400, "unknown_action"),
    ],
)  # fmt: skip
def test_clinic_endpoint_validates_like_the_bed_endpoint(
    runtime: Runtime, body: dict, status: int, code: str
) -> None:
    client = create_server(runtime).test_client()
    before = (runtime.control.speed, runtime.control.paused)
    r = client.post("/api/clinic/actions", json={"actor": "trainee", **body})
    assert r.status_code == status
    assert r.get_json()["error"] == code
    assert (runtime.control.speed, runtime.control.paused) == before
