"""Discharge over the JSON API: refused with 409 ``discharge_criteria_not_met``, the message
and the missing criteria as ``reasons`` (nothing changed), then accepted once readiness is
met; the session reads back ``discharged`` with when, who and the note, and the chair is
free for a new session."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from discharge_helpers import reach_observation, short_protocol

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store
from vitalsdash.text import MAX_NOTE_CHARS

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TABLES = ("sessions", "samples", "alarm_events", "actions", "observations", "session_events")


@pytest.fixture
def api(tmp_path: Path):
    beds = [BedConfig(id="chair1", scenario="uneventful-depression", seed=11,
                      protocol=str(short_protocol(tmp_path)))]  # fmt: skip
    store = Store(tmp_path / "api.sqlite")
    clock = ManualClock()
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store, Feed(store),
                 clock=clock, wall=lambda: T0 + timedelta(seconds=clock.now()))  # fmt: skip
    rt.start()
    yield rt, create_server(rt).test_client(), tmp_path / "api.sqlite"
    store.close()


def _post(client: Any, body: dict[str, Any]):
    return client.post("/api/beds/chair1/actions", data=json.dumps(body),
                       content_type="application/json")  # fmt: skip


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_discharge_refused_with_reasons_then_accepted_and_stored(api) -> None:
    rt, client, path = api
    reach_observation(rt, "chair1")
    before = (_counts(path), client.get("/api/beds").get_json())
    r = _post(client, {"kind": "discharge", "params": {"note": "too early"}})
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"] == "discharge_criteria_not_met"
    reasons = body["reasons"]
    assert any(x.startswith("observation ") for x in reasons)
    assert "alertness not charted (Aldrete/PADSS >= 9 needed)" in reasons
    assert body["message"] == "Not ready for discharge: " + "; ".join(reasons)
    assert (_counts(path), client.get("/api/beds").get_json()) == before  # nothing changed
    # the bed says what is missing, in the same words
    [bed] = client.get("/api/beds").get_json()
    assert bed["session"]["discharge"]["state"] == "open"
    assert list(bed["session"]["discharge"]["missing"]) == reasons
    # the nurse assesses the patient after the infusion; the observation time passes
    ok = _post(client, {"kind": "chart", "params": {"kind": "alertness", "value": 10}})
    assert ok.status_code == 200
    rt.advance(6 * 60)
    [bed] = client.get("/api/beds").get_json()
    assert bed["session"]["readiness"] == {"ready": True, "missing": []}
    r = _post(client, {"kind": "discharge", "params": {"note": "home with escort, no driving"}})
    assert r.status_code == 200
    answer = r.get_json()
    t = answer["t_s"]
    wall = (T0 + timedelta(seconds=rt.control.clock.now())).isoformat()
    note = "home with escort, no driving"
    assert answer == {"ok": True, "t_s": t, "status": "discharged", "discharged_at": wall,
                      "discharged_by": "trainee", "note": note}  # fmt: skip
    sid = bed["session"]["id"]
    s = client.get(f"/api/sessions/{sid}").get_json()
    assert (s["status"], s["phase"], s["last_t_s"]) == ("discharged", "ended", t)
    assert (s["discharged_at"], s["ended_wall"]) == (wall, wall)
    assert (s["discharged_t_s"], s["discharged_by"]) == (t, "trainee")
    assert s["discharge_note"] == "home with escort, no driving"
    listed = client.get("/api/sessions?status=discharged").get_json()
    assert [x["id"] for x in listed] == [sid]
    events = client.get(f"/api/sessions/{sid}/events").get_json()
    assert [(a["kind"], a["actor"], a["params"]) for a in events["actions"]][-1] == (
        "discharge", "trainee", {"note": "home with escort, no driving"})  # fmt: skip
    [bed] = client.get("/api/beds").get_json()
    assert bed["session"]["status"] == "discharged"
    assert bed["session"]["discharge"]["state"] == "discharged"
    # discharged: no second discharge; the chair starts a new session as after an end
    again = _post(client, {"kind": "discharge"})
    assert (again.status_code, again.get_json()["error"]) == (409, "no_session")
    new = _post(client, {"kind": "start_session", "actor": "instructor"})
    assert new.status_code == 200
    assert new.get_json()["session_id"] != sid


def test_a_discharge_note_is_checked_like_other_notes(api) -> None:
    rt, client, path = api
    reach_observation(rt, "chair1")
    before = _counts(path)
    for params in ({"note": "x" * (MAX_NOTE_CHARS + 1)}, {"note": 5}, {"reason": "home"}):
        r = _post(client, {"kind": "discharge", "params": params})
        assert r.status_code == 400, params
        assert r.get_json()["error"] == "bad_params"
        assert r.get_json()["message"].startswith("discharge: ")
    assert _counts(path) == before
    r = _post(client, {"kind": "discharge", "actor": "visitor"})
    assert (r.status_code, r.get_json()["error"]) == (400, "bad_actor")


def test_the_sessions_filter_knows_discharged(api) -> None:
    _, client, _ = api
    assert client.get("/api/sessions?status=discharged").get_json() == []
    r = client.get("/api/sessions?status=gone")
    assert r.status_code == 400
    assert "discharged" in r.get_json()["message"]
