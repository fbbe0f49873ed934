"""A course of sessions over the API: the instructor creates a named virtual patient for
a chair and starts its session 1, then its session 2; the patient is the same (scenario,
seed, demographics), the session number is stored and reaches the simulator, and every
mistake (an unknown patient, a session already given, a number out of range) is a clear
4xx that changes nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
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

TABLES = ("patients", "course_sessions", "sessions", "actions", "session_events")
NAME = "Mrs Jane Doe"


class Clinic:
    """Two simulated chairs (sessions started, in their baseline) and one replayed one."""

    def __init__(self, path: Path) -> None:
        beds = [
            BedConfig(id="chair1", scenario="uneventful-depression", seed=11),
            BedConfig(id="chair2", scenario="hypertensive-responder", seed=12),
        ]
        clinic = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=beds)
        self.path = path
        self.store = Store(path)
        self.rt = Runtime(clinic, self.store, Feed(self.store), clock=ManualClock())
        self.rt.start()
        self.rt.advance(120)
        self.client = create_server(self.rt).test_client()

    def post(self, bed: str, kind: str, params: Any = None, actor: str = "instructor") -> Any:
        body = {"kind": kind, "params": params or {}, "actor": actor}
        return self.client.post(f"/api/beds/{bed}/actions", data=json.dumps(body),
                                content_type="application/json")  # fmt: skip

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    c = Clinic(tmp_path / "course.sqlite")
    yield c
    c.store.close()


def _new_patient(clinic: Clinic, **extra: Any) -> int:
    params = {"name": NAME, "scenario": "uneventful-depression", "seed": 4242, **extra}
    r = clinic.post("chair1", "create_patient", params)
    assert r.status_code == 200, r.get_json()
    return int(r.get_json()["patient_id"])


def _start(clinic: Clinic, bed: str, params: dict[str, Any]) -> Any:
    clinic.post(bed, "end_session")
    return clinic.post(bed, "start_session", params)


def test_session_2_of_a_patient_is_the_same_patient_on_another_day(clinic: Clinic) -> None:
    made = clinic.post("chair1", "create_patient",
                       {"name": "  Mrs   Jane Doe ", "scenario": "uneventful-depression",
                        "seed": 4242})  # fmt: skip
    assert made.status_code == 200
    answer = made.get_json()
    pid = answer["patient_id"]
    assert (answer["name"], answer["seed"], answer["sessions_planned"]) == (NAME, 4242, 6)
    assert set(answer["patient"]) == {"age_years", "sex", "weight_kg", "height_cm", "hypertension"}

    first = _start(clinic, "chair1", {"patient": pid})
    assert first.status_code == 200, first.get_json()
    s1 = first.get_json()["session_id"]
    sim1 = clinic.rt.beds["chair1"].session.source.sim  # type: ignore[union-attr]
    assert sim1.cohort.session_number == 1
    clinic.rt.advance(60)
    view = clinic.rt.view("chair1")
    assert view is not None
    assert view.patient["course"] == f"Session 1 of 6 for {NAME}"

    second = _start(clinic, "chair2", {"patient": pid})  # another chair, the same patient
    assert second.status_code == 200, second.get_json()
    s2 = second.get_json()["session_id"]
    sim2 = clinic.rt.beds["chair2"].session.source.sim  # type: ignore[union-attr]
    assert sim2.cohort.session_number == 2
    assert clinic.store.course_of(s2) == {"patient_id": pid, "session_number": 2}
    row1, row2 = clinic.store.session(s1), clinic.store.session(s2)
    assert row1 is not None
    assert row2 is not None
    assert (row2["scenario"], row2["seed"]) == (row1["scenario"], 4242)
    assert row2["patient"] == row1["patient"] == answer["patient"]
    for f in ("age_years", "sex", "weight_kg", "hypertension", "pressor_sensitivity",
              "sbp_emax_mmhg", "hr_emax_bpm", "dbp_ratio", "pk"):  # fmt: skip
        assert getattr(sim2.profile, f) == getattr(sim1.profile, f), f
    assert sim2.profile.dissociation_ec50_ng_ml > sim1.profile.dissociation_ec50_ng_ml
    started = clinic.store.session_events(s2)[0]
    assert started["kind"] == "session_started"
    assert started["detail"]["params"]["session_number"] == 2
    assert started["detail"]["params"]["patient"] == pid
    view = clinic.rt.view("chair2")
    assert view is not None
    assert view.patient["course"] == f"Session 2 of 6 for {NAME}"

    got = clinic.client.get(f"/api/patients/{pid}").get_json()
    assert got["name"] == NAME
    assert [(s["session_number"], s["session_id"]) for s in got["sessions"]] == [(1, s1), (2, s2)]
    assert got["sessions"][0]["started_wall"]
    listed = clinic.client.get("/api/patients").get_json()
    assert [(p["id"], p["sessions_given"]) for p in listed] == [(pid, 2)]


def test_a_chosen_session_number_and_the_next_one_after_it(clinic: Clinic) -> None:
    pid = _new_patient(clinic, sessions=4)
    r = _start(clinic, "chair1", {"patient": pid, "session_number": 3})
    assert r.status_code == 200, r.get_json()
    assert clinic.store.course_of(r.get_json()["session_id"])["session_number"] == 3  # type: ignore[index]
    r = _start(clinic, "chair1", {"patient": pid})  # next after the highest given
    assert clinic.store.course_of(r.get_json()["session_id"])["session_number"] == 4  # type: ignore[index]
    r = _start(clinic, "chair1", {"patient": pid})
    view = clinic.rt.view("chair1")
    assert view is not None
    assert view.patient["course"] == f"Session 5 for {NAME} (4 planned)"


@pytest.mark.parametrize(
    ("params", "status", "code", "words"),
    [
        ({"patient": 999}, 404, "unknown_patient", "no virtual patient 999"),
        ({"patient": "1"}, 400, "bad_params", "patient: must be a whole number"),
        ({"patient": 2**70}, 400, "bad_params", "patient: must be at most"),
        ({"patient": 0}, 400, "bad_params", "patient: must be at least 1"),
        ({"patient": True}, 400, "bad_params", "patient:"),
        ({"patient": "PID", "session_number": 1}, 409, "conflict",
         "session 1 of Mrs Jane Doe was already given"),
        ({"patient": "PID", "session_number": 13}, 400, "bad_params",
         "session_number: must be at most 12"),
        ({"patient": "PID", "session_number": 2.0}, 400, "bad_params", "session_number:"),
        ({"session_number": 2}, 400, "bad_params", "give the patient too"),
        ({"patient": "PID", "scenario": "artefact-heavy"}, 400, "bad_params",
         "scenario 'artefact-heavy' is not Mrs Jane Doe's"),
        ({"patient": "PID", "seed": 1}, 400, "bad_params", "seed 1 is not Mrs Jane Doe's"),
    ],
)  # fmt: skip
def test_a_wrong_patient_or_number_is_refused_and_changes_nothing(
    clinic: Clinic, params: dict[str, Any], status: int, code: str, words: str
) -> None:
    pid = _new_patient(clinic)
    assert _start(clinic, "chair1", {"patient": pid}).status_code == 200  # its session 1
    params = {k: (pid if v == "PID" else v) for k, v in params.items()}
    clinic.post("chair2", "end_session")
    before = clinic.counts()
    r = clinic.post("chair2", "start_session", params)
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert body["error"] == code
    assert words in body["message"]
    assert "Traceback" not in body["message"]
    assert clinic.counts() == before
    assert clinic.rt.beds["chair2"].session.status == "ended"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("params", "actor", "status", "words"),
    [
        ({"name": NAME, "scenario": "uneventful-depression"}, "trainee", 403, "instructor"),
        ({"name": "   ", "scenario": "uneventful-depression"}, "instructor", 400,
         "cannot be empty"),
        ({"name": "x\u0000y", "scenario": "uneventful-depression"}, "instructor", 400,
         "control character"),
        ({"name": NAME, "scenario": "../etc/passwd"}, "instructor", 400, "not a path"),
        ({"name": NAME, "scenario": "no-such-scenario"}, "instructor", 400,
         "no scenario named"),
        ({"name": NAME, "scenario": "uneventful-depression", "sessions": 0}, "instructor",
         400, "sessions: must be at least 1"),
        ({"scenario": "uneventful-depression"}, "instructor", 400, "name"),
    ],
)  # fmt: skip
def test_a_patient_file_is_checked_before_it_is_made(
    clinic: Clinic, params: dict[str, Any], actor: str, status: int, words: str
) -> None:
    before = clinic.counts()
    r = clinic.post("chair1", "create_patient", params, actor=actor)
    assert r.status_code == status, r.get_json()
    assert words in r.get_json()["message"]
    assert clinic.counts() == before


def test_unknown_patient_reads_and_a_new_seed(clinic: Clinic) -> None:
    assert clinic.client.get("/api/patients/77").status_code == 404
    assert clinic.client.get("/api/patients/77").get_json()["error"] == "unknown_patient"
    assert clinic.client.get(f"/api/patients/{2**70}").status_code == 404
    r = clinic.post("chair2", "create_patient", {"name": "Mr Tom Roe",
                                                 "scenario": "hypertensive-responder"})  # fmt: skip
    assert r.status_code == 200
    assert isinstance(r.get_json()["seed"], int)  # drawn when none is given
    assert clinic.store.patient(r.get_json()["patient_id"])["bed_id"] == "chair2"  # type: ignore[index]
    r = clinic.post("nochair", "create_patient", {"name": NAME, "scenario": "artefact-heavy"})
    assert r.status_code == 404


def test_a_course_session_interrupted_by_a_restart_comes_back_as_that_session(
    tmp_path: Path,
) -> None:
    """The server dies during session 2 of the course: the rebuilt session is session 2
    again (same patient, the day's resting values, same numbers up to where it stopped)."""
    first = Clinic(tmp_path / "restart.sqlite")
    pid = _new_patient(first)
    assert _start(first, "chair1", {"patient": pid}).status_code == 200
    r = _start(first, "chair1", {"patient": pid})
    sid = r.get_json()["session_id"]
    first.rt.advance(300)
    before = first.rt.beds["chair1"].session.source.sim  # type: ignore[union-attr]
    truth = before.snapshot().truth
    first.store.close()  # the process dies: session 2 is still "running" in the store

    store = Store(tmp_path / "restart.sqlite")
    again = Runtime(ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0),
                                 beds=[BedConfig(id="chair1", scenario="uneventful-depression",
                                                 seed=11)]),
                    store, Feed(store), clock=ManualClock())  # fmt: skip
    again.start()
    s = again.beds["chair1"].session
    assert s is not None
    assert (s.session_id, s.status) == (sid, "interrupted")
    sim = s.source.sim  # type: ignore[attr-defined]
    assert sim.cohort.session_number == 2
    assert sim.profile == before.profile
    assert sim.snapshot().truth == truth
    view = again.view("chair1")
    assert view is not None
    assert view.patient["course"] == f"Session 2 of 6 for {NAME}"
    store.close()
