"""Logins on the JSON API: who may do what (the whole action × role matrix), tokens,
claims, chairs, hidden state, cross-site requests and forged hosts.

The server runs as a classroom does (logins required) on a Flask test client; every
refusal is checked to change nothing in the store.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from infusion_start import start_all

from vitalsdash import channels
from vitalsdash.access import ACTION_ROLES, Role, hash_password
from vitalsdash.actions import ALL_ACTIONS, CLINIC_ACTIONS, DRUGS
from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.server import _guard
from vitalsdash.server._serve import install_access
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
CODE = "K7QX2M"
TABLES = ("sessions", "samples", "alarm_events", "actions", "observations", "session_events",
          "patients")  # fmt: skip
HIDDEN = [c.id for c in channels.all_channels()
          if c.kind is channels.Kind.HIDDEN and not c.pump_rate]  # fmt: skip

# Parameters that make each action possible on a chair 15 minutes into its infusion
# (some are then refused for the state of the session, 409: that is not a refusal by role).
PARAMS: dict[str, dict[str, Any]] = {
    "pause_pump": {}, "resume_pump": {}, "set_rate": {"rate_mg_per_kg_h": 0.5},
    "stop_infusion": {},
    "give_antihypertensive": {"drug": DRUGS["give_antihypertensive"][0], "dose_mg": 5},
    "give_antiemetic": {"drug": DRUGS["give_antiemetic"][0], "dose_mg": 4},
    "oxygen_on": {"flow_l_min": 2}, "oxygen_off": {}, "reposition": {}, "reassure": {},
    "nibp_start": {}, "acknowledge": {"channel": "HR"}, "acknowledge_all": {},
    "pause_audio": {}, "resume_audio": {}, "reset": {},
    "set_limit": {"channel": "HR", "which": "high", "value": 130},
    "set_limits": {"limits": [{"channel": "HR", "which": "high", "value": 131}]},
    "alarm_off": {"channel": "RR"}, "alarm_on": {"channel": "RR"}, "auto_limits": {},
    "chart": {"kind": "sedation", "value": 2}, "start_infusion": {}, "discharge": {},
    "start_session": {}, "resume_session": {}, "close_session": {},
    "inject_event": {"kind": "vasovagal", "params": {"duration_min": 5, "hr_drop_bpm": 20,
                                                     "sbp_drop_mmhg": 25}},
    "create_patient": {"name": "Mrs Test", "scenario": "uneventful-depression"},
    "set_speed": {"speed": 10}, "pause_simulation": {}, "resume_simulation": {},
    "end_session": {},
}  # fmt: skip
LAST = ("end_session", "close_session")  # they end what the others act on


class Classroom:
    def __init__(self, path: Path) -> None:
        beds = [BedConfig(id="chair1", scenario="uneventful-depression", seed=11),
                BedConfig(id="chair2", scenario="uneventful-depression", seed=12)]  # fmt: skip
        clinic = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=beds)
        self.path = path
        self.store = Store(path)
        self.rt = Runtime(clinic, self.store, Feed(self.store), clock=ManualClock())
        self.rt.start()
        self.rt.advance(600)
        start_all(self.rt, ["chair1", "chair2"])
        self.rt.advance(300)
        app = create_server(self.rt)
        install_access(app, self.rt, require_login=True)
        _guard.install(app, "127.0.0.1")
        self.client = app.test_client()
        for name, role in (("Ines", "instructor"), ("Otto", "observer")):
            self.store.add_user(name, role, hash_password(PASSWORD))
        now = self.rt.wall()
        self.store.new_class_code(CODE, None, now, now + timedelta(hours=12))
        self.tokens = {
            "instructor": self.token({"name": "Ines", "password": PASSWORD}),
            "observer": self.token({"name": "Otto", "password": PASSWORD}),
            "trainee": self.token({"class_code": CODE.lower(), "name": "Tara Diaz"}),
        }
        tara = self.store.user_by_name("tara diaz")
        self.store.assign_chair("chair1", tara["id"], None, now)

    def token(self, body: dict[str, Any]) -> str:
        r = self.client.post("/api/token", json=body)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["token"]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def post(self, path: str, body: Any, role: str | None = None, **headers: str):
        h = {**(self.auth(role) if role else {}), **headers}
        return self.client.post(path, data=json.dumps(body), headers=h,
                                content_type="application/json")  # fmt: skip

    def act(self, role: str, kind: str, bed: str = "chair1", **extra: Any):
        body = {"kind": kind, "params": PARAMS[kind], **extra}
        path = "/api/clinic/actions" if kind in CLINIC_ACTIONS else f"/api/beds/{bed}/actions"
        return self.post(path, body, role)

    def counts(self) -> dict[str, int]:
        self.store.close()
        con = sqlite3.connect(self.path)
        try:
            return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
        finally:
            con.close()
            self.store = self.rt.store = Store(self.path)


@pytest.fixture
def room(tmp_path: Path) -> Classroom:
    return Classroom(tmp_path / "class.sqlite")


def _kinds() -> list[str]:
    kinds = [k for k in [*ALL_ACTIONS, *CLINIC_ACTIONS, "set_limits"] if k not in LAST]
    return [*kinds, *LAST]


def test_every_action_kind_is_in_the_matrix_and_has_test_parameters() -> None:
    kinds = {*ALL_ACTIONS, *CLINIC_ACTIONS, "set_limits"}
    assert kinds <= set(ACTION_ROLES)
    assert kinds == set(PARAMS)


@pytest.mark.parametrize("role", ["instructor", "trainee", "observer"])
def test_the_whole_action_matrix_through_the_api(room: Classroom, role: str) -> None:
    for kind in _kinds():
        allowed = Role(role) in ACTION_ROLES[kind]
        before = room.counts() if not allowed else None
        r = room.act(role, kind)
        answer = r.get_json()
        if allowed:
            assert r.status_code in (200, 409), (kind, r.status_code, answer)
        else:
            assert r.status_code == 403, (kind, r.status_code, answer)
            assert answer["error"] == "forbidden"
            assert "instructor" in answer["message"] or "observ" in answer["message"].lower()
            assert room.counts() == before, kind


def test_actions_name_the_person_who_took_them(room: Classroom) -> None:
    assert room.act("trainee", "reassure").status_code == 200
    assert room.act("instructor", "reposition").status_code == 200
    sid = room.rt.beds["chair1"].session.session_id
    room.rt.advance(2)
    rows = [(a["kind"], a["actor"], a["user_name"]) for a in room.store.actions(sid)]
    assert ("reassure", "trainee", "Tara Diaz") in rows
    assert ("reposition", "instructor", "Ines") in rows


def test_a_trainee_acts_only_on_their_own_chair(room: Classroom) -> None:
    before = room.counts()
    r = room.act("trainee", "pause_pump", bed="chair2")
    assert r.status_code == 403
    assert "not assigned to you" in r.get_json()["message"]
    assert room.counts() == before
    assert room.act("trainee", "pause_pump", bed="chair1").status_code == 200


@pytest.mark.parametrize(("role", "claim"), [
    ("trainee", "instructor"), ("observer", "trainee"), ("observer", "instructor"),
    ("instructor", "system"), ("trainee", "system"),
])  # fmt: skip
def test_a_claimed_actor_other_than_the_login_is_refused(
    room: Classroom, role: str, claim: str
) -> None:
    before = room.counts()
    for kind in ("inject_event", "pause_pump"):
        r = room.act(role, kind, actor=claim)
        assert r.status_code == 403, (kind, r.get_json())
    assert room.counts() == before


ROUTES = ["/api/beds", "/api/sessions", "/api/sessions/1", "/api/sessions/1/samples",
          "/api/sessions/1/events", "/api/patients"]  # fmt: skip


def test_without_a_login_every_route_but_health_is_401_json(room: Classroom) -> None:
    before = room.counts()
    for path in ROUTES:
        r = room.client.get(path)
        assert r.status_code == 401, path
        assert r.get_json()["error"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert room.post("/api/beds/chair1/actions", {"kind": "pause_pump"}).status_code == 401
    assert (
        room.post("/api/clinic/actions", {"kind": "set_speed", "params": {"speed": 5}}).status_code
        == 401
    )
    bogus = {"Authorization": "Bearer not-a-token"}
    assert room.client.get("/api/beds", headers=bogus).status_code == 401
    assert room.client.get("/api/health").status_code in (200, 503)
    assert room.counts() == before


def test_signing_out_ends_the_sign_in_wherever_its_cookie_is(room: Classroom) -> None:
    """A response to a request sent before the sign-out carries no cookie to put back, and
    a copy of the signed-in cookie signs nobody in once its browser signed out."""
    origin = {"Origin": "http://localhost"}
    r = room.client.post("/login", data={"name": "Ines", "password": PASSWORD, "next": "/"},
                         headers=origin)  # fmt: skip
    assert r.status_code == 303
    assert r.headers.getlist("Set-Cookie")
    r = room.client.get("/api/beds")
    assert r.status_code == 200
    assert r.headers.getlist("Set-Cookie") == []  # only signing in and out set it
    copy = room.client.get_cookie("vitalsdash_session").value
    assert room.client.post("/logout", headers=origin).status_code == 303
    assert room.client.get("/api/beds").status_code == 401
    room.client.set_cookie("vitalsdash_session", copy)
    assert room.client.get("/api/beds").status_code == 401
    r = room.client.post("/login", data={"name": "Ines", "password": PASSWORD, "next": "/"},
                         headers=origin)  # fmt: skip
    assert room.client.get("/api/beds").status_code == 200  # signing in again works


def test_tokens_need_the_right_password_or_class_code(room: Classroom) -> None:
    for body in ({"name": "Ines", "password": "wrong password"},
                 {"name": "Nobody", "password": PASSWORD},
                 {"class_code": "ZZZZZZ", "name": "Sam"}):  # fmt: skip
        r = room.client.post("/api/token", json=body)
        assert r.status_code == 401, body
        assert "token" not in r.get_json()
    r = room.client.post("/api/token", json={"class_code": CODE, "name": "Ines"})
    assert r.status_code == 409  # an instructor's name: not a trainee to join as
    assert room.client.post("/api/token", data="x").status_code == 400


def test_failed_sign_ins_are_rate_limited(room: Classroom) -> None:
    for _ in range(5):
        r = room.client.post("/api/token", json={"name": "Ines", "password": "guess"})
        assert r.status_code == 401
    r = room.client.post("/api/token", json={"name": "Ines", "password": "guess"})
    assert r.status_code == 429
    assert r.headers["Retry-After"]
    assert "wait" in r.get_json()["message"]
    # while limited, even the right password waits
    r = room.client.post("/api/token", json={"name": "Ines", "password": PASSWORD})
    assert r.status_code == 429


@pytest.mark.parametrize("role", ["trainee", "observer"])
def test_hidden_state_never_reaches_a_trainee_or_an_observer(room: Classroom, role: str):
    sid = room.rt.beds["chair1"].session.session_id
    room.act("instructor", "inject_event")
    room.rt.advance(30)
    seen = []
    for path in [p.replace("/1", f"/{sid}") for p in ROUTES]:
        r = room.client.get(path, headers=room.auth(role))
        if role == "observer" and not path.startswith("/api/beds"):
            assert r.status_code == 403, path  # session records are not for observers
            continue
        assert r.status_code == 200, path
        seen.append(r.get_data(as_text=True))
    text = "\n".join(seen)
    for channel in HIDDEN:
        assert channel not in text
    assert "vasovagal" not in text
    # the instructor does see them: the check above can fail
    r = room.client.get(f"/api/sessions/{sid}/samples", headers=room.auth("instructor"))
    assert "KET_CE" in r.get_data(as_text=True)
    r = room.client.get(f"/api/sessions/{sid}/events", headers=room.auth("instructor"))
    assert "vasovagal" in r.get_data(as_text=True)


def test_a_cross_site_post_changes_nothing(room: Classroom) -> None:
    before = room.counts()
    body = {"kind": "set_speed", "params": {"speed": 20}}
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost:8050"},
    ):  # another origin than localhost
        r = room.post("/api/clinic/actions", body, "instructor", **headers)
        assert r.status_code == 403, headers
        assert r.get_json()["error"] == "cross_site_request"
    assert room.counts() == before
    assert room.rt.views().speed == 60
    same = room.post("/api/clinic/actions", body, "instructor", Origin="http://localhost")
    assert same.status_code == 200
    assert room.rt.views().speed == 20


def test_a_forged_host_changes_nothing(room: Classroom) -> None:
    before = room.counts()
    r = room.client.post("/api/clinic/actions", data=json.dumps({"kind": "set_speed",
                         "params": {"speed": 20}}), content_type="application/json",
                         headers={**room.auth("instructor"), "Host": "rebind.example"})  # fmt: skip
    assert r.status_code == 421
    assert room.counts() == before
    assert room.rt.views().speed == 60
