"""The JSON API on a Flask test client: reads, actions, and every mistake a clean 4xx.

A rejected request must say what was wrong (``{"error": code, "message": why}``) and
change nothing: the store's row counts and the runtime's state are compared before and
after. A hypothesis test posts random bodies and never gets a 5xx.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from infusion_start import start_all

from vitalsdash.actions import ALL_ACTIONS, CLINIC_ACTIONS
from vitalsdash.api import MAX_BODY_BYTES, create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

TABLES = ("sessions", "samples", "alarm_events", "actions", "observations", "session_events")


class Clinic:
    def __init__(self, path: Path, t_s: int = 900) -> None:
        beds = [
            BedConfig(id="chair1", scenario="uneventful-depression", seed=11),
            BedConfig(id="chair2", scenario="hypertensive-responder", seed=12),
        ]
        clinic = ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=beds)
        self.path = path
        self.store = Store(path)
        self.clock = ManualClock()
        self.rt = Runtime(clinic, self.store, Feed(self.store), clock=self.clock)
        self.rt.start()
        if t_s > 600:  # the end of the baseline: the nurses start both infusions
            self.rt.advance(600)
            start_all(self.rt, ["chair1", "chair2"])
            t_s -= 600
        self.rt.advance(t_s)  # 5 min into the infusion
        self.client = create_server(self.rt).test_client()

    def sid(self, bed: str = "chair1") -> int:
        return self.rt.beds[bed].session.session_id  # type: ignore[union-attr]

    def post(self, bed: str, body: Any, *, raw: bytes | None = None, **kw: Any):
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(
            f"/api/beds/{bed}/actions",
            data=data,
            content_type=kw.pop("content_type", "application/json"),
            **kw,
        )

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}

    def state(self) -> Any:
        """Everything a rejected action could have touched, as plain data."""
        out: dict[str, Any] = {
            "counts": self.counts(),
            "speed": self.rt.control.speed,
            "paused": self.rt.control.paused,
            "ticks": self.rt.tick_count,
            "beds": sorted(self.rt.beds),
        }
        for bed_id, bed in self.rt.beds.items():
            s = bed.session
            out[bed_id] = json.dumps(self.rt.bed_summary(bed_id), sort_keys=True, default=str)
            if s is not None:
                eng = s.engine.state
                out[bed_id + ".engine"] = repr(
                    (
                        sorted(
                            (c.name, c.state, c.acked, c.latched, c.enabled, c.limit, c.priority)
                            for c in eng.conds.values()
                        ),
                        eng.pause_until,
                        eng.phase,
                        sorted(eng.user_limits.items()),
                    )
                )
                out[bed_id + ".sim"] = (
                    s.source.sim.t_s,
                    len(s.source.sim.log),  # type: ignore[attr-defined]
                    s.status,
                    s.alertness,
                    len(s.queued),
                )
        return out


@pytest.fixture
def clinic(tmp_path: Path):
    c = Clinic(tmp_path / "api.sqlite")
    yield c
    c.store.close()


# --- reads -------------------------------------------------------------------------------------


def test_health_beds_and_sessions(clinic: Clinic):
    health = clinic.client.get("/api/health").get_json()
    assert health["status"] == "ok"
    assert health["beds"] == 2
    assert health["sessions_running"] == 2
    assert health["speed"] == 60
    assert health["paused"] is False
    assert "not a medical device" in (health["notice"])
    beds = clinic.client.get("/api/beds").get_json()
    assert [b["id"] for b in beds] == ["chair1", "chair2"]
    s = beds[0]["session"]
    assert s["phase"] == "infusion"
    assert s["t_s"] == 900
    assert s["pump"]["running"] is True
    assert s["latest"]["HR"]["t_s"] == 899
    sessions = clinic.client.get("/api/sessions").get_json()
    assert [x["bed_id"] for x in sessions] == ["chair1", "chair2"]
    assert clinic.client.get("/api/sessions?status=running").get_json() == sessions
    assert clinic.client.get("/api/sessions?status=interrupted").get_json() == []
    one = clinic.client.get(f"/api/sessions/{clinic.sid()}").get_json()
    assert one["id"] == clinic.sid()
    assert one["status"] == "running"


def test_samples_cursor_and_channel_filter(clinic: Clinic):
    sid = clinic.sid()
    url = f"/api/sessions/{sid}/samples"
    everything = clinic.client.get(url).get_json()["samples"]
    assert len(everything) == len(clinic.store.samples(sid))
    r = clinic.client.get(f"{url}?since=600").get_json()
    assert r["since"] == 600
    assert r["samples"]
    assert all(x["t"] > 600 for x in r["samples"])  # strictly after the cursor
    assert len(r["samples"]) == sum(1 for x in everything if x["t"] > 600)
    assert {x["channel"] for x in r["samples"]} >= {"HR", "SPO2", "RR"}
    hr = clinic.client.get(f"{url}?since=600&channels=HR,SPO2").get_json()["samples"]
    assert {x["channel"] for x in hr} == {"HR", "SPO2"}
    assert [x["t"] for x in hr if x["channel"] == "HR"] == list(range(601, 900))
    # the cursor read after the last row is empty; a later tick brings exactly the new ones
    last = r["samples"][-1]["t"]
    assert clinic.client.get(f"{url}?since={last}").get_json()["samples"] == []
    clinic.rt.advance(60)
    new = clinic.client.get(f"{url}?since={last}&channels=HR").get_json()["samples"]
    assert [x["t"] for x in new] == list(range(900, 960))
    # values are JSON numbers or null, never NaN
    assert all(x["value"] is None or math.isfinite(x["value"]) for x in everything)


def test_events(clinic: Clinic):
    r = clinic.client.get(f"/api/sessions/{clinic.sid()}/events").get_json()
    assert set(r) == {"alarm_events", "actions", "observations", "session_events"}
    kinds = [e["kind"] for e in r["session_events"]]
    assert kinds[0] == "session_started"
    assert "phase" in kinds
    assert "baseline" in kinds
    assert [e["seq"] for e in r["alarm_events"]] == list(range(1, len(r["alarm_events"]) + 1))


# --- actions that work ---------------------------------------------------------------------


def test_pause_pump_changes_the_pump(clinic: Clinic):
    r = clinic.post("chair1", {"kind": "pause_pump"})
    assert r.status_code == 200
    reply = r.get_json()
    assert (reply["ok"], reply["t_s"], reply["pump"]["state"]) == (True, 900.0, "paused")
    pump = clinic.rt.bed_summary("chair1")["session"]["pump"]
    assert pump == reply["pump"]
    assert pump["running"] is False
    assert pump["delivering_mg_per_kg_h"] == 0  # the rate set on it is kept (0.75)
    acts = clinic.store.actions(clinic.sid())
    assert [(a["kind"], a["actor"], a["t_s"], a["outcome"]) for a in acts] == [
        ("start_infusion", "trainee", 600.0, "ok"),  # the end of the baseline
        ("pause_pump", "trainee", 900.0, "ok"),
    ]
    clinic.rt.advance(60)
    rates = [
        x["value"]
        for x in clinic.client.get(
            f"/api/sessions/{clinic.sid()}/samples?since=899&channels=PUMP_RATE"
        ).get_json()["samples"]
    ]
    assert rates
    assert all(v == 0 for v in rates)
    assert clinic.post("chair1", {"kind": "resume_pump"}).status_code == 200
    assert clinic.rt.bed_summary("chair1")["session"]["pump"]["running"] is True


def test_chart_stores_an_observation(clinic: Clinic):
    body = {
        "kind": "chart",
        "params": {"kind": "sedation", "value": 2, "text": "drowsy"},
        "actor": "trainee",
    }
    assert clinic.post("chair1", body).status_code == 200
    obs = clinic.client.get(f"/api/sessions/{clinic.sid()}/events").get_json()["observations"]
    assert [(o["kind"], o["value"], o["text"], o["actor"], o["t_s"]) for o in obs] == [
        ("sedation", 2.0, "drowsy", "trainee", 900.0)
    ]


def test_acknowledge_an_alarm_after_a_surge(clinic: Clinic):
    surge = {
        "kind": "inject_event",
        "actor": "instructor",
        "params": {
            "kind": "hypertensive_surge",
            "params": {
                "sbp_rise_mmhg": 90,
                "hr_rise_bpm": 60,
                "onset_min": 0.5,
                "duration_min": 20,
            },
        },
    }
    assert clinic.post("chair1", surge).status_code == 200
    clinic.rt.advance(120)
    alarms = {a["condition"]: a for a in clinic.rt.bed_summary("chair1")["session"]["alarms"]}
    assert "HR_HI" in alarms
    assert not alarms["HR_HI"]["acknowledged"]
    r = clinic.post("chair1", {"kind": "acknowledge", "params": {"condition": "HR_HI"}})
    assert r.status_code == 200
    alarms = {a["condition"]: a for a in clinic.rt.bed_summary("chair1")["session"]["alarms"]}
    assert alarms["HR_HI"]["acknowledged"] is True
    log = clinic.store.alarm_events(clinic.sid())
    assert log[-1]["condition"] == "HR_HI"
    assert log[-1]["event"] == "acknowledged"
    assert log[-1]["actor"] == "trainee"
    events = clinic.store.session_events(clinic.sid())
    assert any(e["kind"] == "hypertensive_surge" and e["source"] == "instructor" for e in events)


# --- mistakes: a clear 4xx and nothing changed -------------------------------------------------

BAD = [
    ("unknown bed", "chair9", {"kind": "pause_pump"}, None, 404, "unknown_bed", "chair9"),
    (
        "invalid rate",
        "chair1",
        {"kind": "set_rate", "params": {"rate_mg_per_kg_h": 5}},
        None,
        400,
        "bad_params",
        "rate_mg_per_kg_h",
    ),
    (
        "rate not a number",
        "chair1",
        {"kind": "set_rate", "params": {"rate_mg_per_kg_h": "x"}},
        None,
        400,
        "bad_params",
        "rate_mg_per_kg_h",
    ),
    (
        "ack not active",
        "chair1",
        {"kind": "acknowledge", "params": {"condition": "SYS_HI"}},
        None,
        409,
        "not_active",
        "Systolic high",
    ),
    (
        "ack unknown condition",
        "chair1",
        {"kind": "acknowledge", "params": {"condition": "FOO"}},
        None,
        400,
        "",
        "FOO",
    ),
    ("malformed JSON", "chair1", None, b'{"kind": "pause_pump",', 400, "bad_json", "JSON"),
    ("not JSON at all", "chair1", None, b"\xff\xfe\x00", 400, "bad_json", "JSON"),
    ("non-object JSON", "chair1", ["pause_pump"], None, 400, "bad_json", "object"),
    ("missing kind", "chair1", {"params": {}}, None, 400, "bad_json", "kind"),
    (
        "unknown kind",
        "chair1",
        {"kind": "defibrillate"},
        None,
        400,
        "unknown_action",
        "defibrillate",
    ),
    ("kind not a string", "chair1", {"kind": ["pause_pump"]}, None, 400, "unknown_action", ""),
    (
        "params not an object",
        "chair1",
        {"kind": "pause_pump", "params": [1]},
        None,
        400,
        "bad_params",
        "object",
    ),
    (
        "extra parameter",
        "chair1",
        {"kind": "pause_pump", "params": {"now": True}},
        None,
        400,
        "bad_params",
        "now",
    ),
    (
        "bad actor",
        "chair1",
        {"kind": "pause_pump", "actor": "doctor"},
        None,
        400,
        "bad_actor",
        "doctor",
    ),
    (
        "trainee injects",
        "chair1",
        {"kind": "inject_event", "params": {"kind": "vasovagal"}},
        None,
        403,
        "forbidden",
        "instructor",
    ),
    ("trainee starts", "chair1", {"kind": "start_session"}, None, 403, "forbidden", "instructor"),
    (
        "second session",
        "chair1",
        {"kind": "start_session", "actor": "instructor"},
        None,
        409,
        "conflict",
        "already",
    ),
    (
        "resume a running session",
        "chair1",
        {"kind": "resume_session", "actor": "instructor"},
        None,
        409,
        "conflict",
        "interrupted",
    ),
    (
        "bad event",
        "chair1",
        {"kind": "inject_event", "actor": "instructor", "params": {"kind": "meteor"}},
        None,
        400,
        "bad_params",
        "meteor",
    ),
    (
        "event kind twice",
        "chair1",
        {
            "kind": "inject_event",
            "actor": "instructor",
            "params": {"kind": "vasovagal", "params": {"kind": "tachycardia", "hr_drop_bpm": 9}},
        },
        None,
        400,
        "bad_params",
        "kind",
    ),
    (
        "chart out of range",
        "chair1",
        {"kind": "chart", "params": {"kind": "pain", "value": 11}},
        None,
        400,
        "bad_params",
        "value",
    ),
    (
        "clinic action on a bed url",
        "chair1",
        {"kind": "set_speed", "actor": "instructor", "params": {"speed": 2}},
        None,
        400,
        "wrong_endpoint",
        "/api/clinic/actions",
    ),
]


@pytest.mark.parametrize(
    ("why", "bed", "body", "raw", "status", "code", "word"), BAD, ids=[b[0] for b in BAD]
)
def test_a_bad_action_is_refused_and_changes_nothing(
    clinic: Clinic, why, bed, body, raw, status, code, word
):
    before = clinic.state()
    r = clinic.post(bed, body, raw=raw)
    assert r.status_code == status, r.get_json()
    err = r.get_json()
    assert set(err) == {"error", "message"}
    assert err["message"]
    if code:
        assert err["error"] == code
    assert word.lower() in err["message"].lower()
    assert clinic.state() == before


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"scenario": "no-such"}, "no-such"),
        ({"protocol": "no-such"}, "no-such"),
        ({"alarm_profile": "no-such"}, "no-such"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**64}, "seed"),
    ],
)
def test_start_session_with_a_bad_name_changes_nothing(clinic: Clinic, params, word):
    assert clinic.post("chair2", {"kind": "end_session", "actor": "instructor"}).status_code == 200
    before = clinic.state()
    r = clinic.post("chair2", {"kind": "start_session", "actor": "instructor", "params": params})
    assert r.status_code == 400
    assert r.get_json()["error"] == "bad_params"
    assert word in r.get_json()["message"]
    assert clinic.state() == before
    ok = clinic.post(
        "chair2",
        {
            "kind": "start_session",
            "actor": "instructor",
            "params": {"scenario": "artefact-heavy", "seed": 5},
        },
    )
    assert ok.status_code == 200
    sid = ok.get_json()["session_id"]
    row = clinic.store.session(sid)
    assert (row["scenario"], row["seed"], row["status"]) == ("Artefact-heavy session", 5, "running")


def test_an_oversized_body_is_413_and_changes_nothing(clinic: Clinic):
    before = clinic.state()
    text = "x" * (MAX_BODY_BYTES + 1)
    r = clinic.post("chair1", {"kind": "chart", "params": {"kind": "note", "text": text}})
    assert r.status_code == 413
    assert r.get_json()["error"] == "too_large"
    assert clinic.state() == before


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/sessions/999", 404, "unknown_session"),
        ("/api/sessions/999/samples", 404, "unknown_session"),
        ("/api/sessions/999/events", 404, "unknown_session"),
        ("/api/sessions/{sid}/samples?since=abc", 400, "bad_since"),
        ("/api/sessions/{sid}/samples?since=", 400, "bad_since"),
        ("/api/sessions/{sid}/samples?since=nan", 400, "bad_since"),
        ("/api/sessions/{sid}/samples?since=inf", 400, "bad_since"),
        ("/api/sessions?status=paused", 400, "bad_status"),
        ("/api/nothing-here", 404, "not_found"),
    ],
)
def test_bad_reads(clinic: Clinic, url: str, status: int, code: str):
    before = clinic.state()
    r = clinic.client.get(url.format(sid=clinic.sid()))
    assert r.status_code == status
    assert r.get_json()["error"] == code
    assert r.get_json()["message"]
    assert clinic.state() == before


def test_wrong_method_is_a_json_405(clinic: Clinic):
    r = clinic.client.get("/api/beds/chair1/actions")
    assert r.status_code == 405
    assert r.get_json()["error"] == "method_not_allowed"


# --- random bodies ---------------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_KINDS = sorted({*ALL_ACTIONS, *CLINIC_ACTIONS})
_KEYS = [
    "rate_mg_per_kg_h",
    "dose_mg",
    "drug",
    "flow_l_min",
    "condition",
    "channel",
    "which",
    "value",
    "kind",
    "text",
    "scenario",
    "seed",
    "protocol",
    "alarm_profile",
    "params",
    "speed",
    "at",
    "sbp_rise_mmhg",
    "duration_min",
]
_events = st.sampled_from(
    [
        "vasovagal",
        "tachycardia",
        "hypertensive_surge",
        "probe_off",
        "cuff_failure",
        "nausea",
        "meteor",
    ]
) | st.text(max_size=8)
_value = _json | st.sampled_from(["start+60s", "now", "infusion+1min", 5, 30, 0.5, -1])
_event_params = st.fixed_dictionaries(
    {},
    optional={
        k: _events if k == "kind" else _value
        for k in (
            "kind",
            "at",
            "hr_drop_bpm",
            "sbp_drop_mmhg",
            "sbp_rise_mmhg",
            "onset_min",
            "duration_min",
            "hr_rise_bpm",
            "spo2_drop_pct",
        )
    },
)
_params = st.dictionaries(
    st.sampled_from(_KEYS),
    _event_params
    | _json
    | st.sampled_from(
        [
            "HR",
            "SPO2",
            "NIBP_SYS",
            "high",
            "low",
            "HR_HI",
            "note",
            "alertness",
            "vasovagal",
            "hypertensive_surge",
            0.5,
            1,
            10,
            -1,
            1e308,
            "uneventful-depression",
        ]
    ),
    max_size=4,
)
_bodies = st.one_of(
    _json,
    st.fixed_dictionaries(
        {  # the instructor's console, where the nesting is deepest
            "kind": st.just("inject_event"),
            "actor": st.just("instructor"),
            "params": st.fixed_dictionaries({"kind": _events}, optional={"params": _event_params}),
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.sampled_from(_KINDS) | _json},
        optional={
            "params": _params | _json,
            "actor": st.sampled_from(["trainee", "instructor", "system"]) | _json,
        },
    ),
)


@pytest.fixture(scope="module")
def fuzz_clinic(tmp_path_factory: pytest.TempPathFactory):
    c = Clinic(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite", t_s=660)
    yield c
    c.store.close()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=_bodies,
    bed=st.sampled_from(["chair1", "chair2", "nobed"]),
    raw=st.sampled_from([False, False, False, True]),
)
def test_random_bodies_never_get_a_5xx(fuzz_clinic: Clinic, body: Any, bed: str, raw: bool):
    c = fuzz_clinic
    for b, beds in c.rt.beds.items():  # a random end_session must not end the fuzzing
        if beds.session is None or beds.session.status != "running":
            c.rt.submit(b, "start_session", {}, "instructor")
    before = c.counts()
    data = json.dumps(body) if not raw else json.dumps(body)[:-1]  # raw: cut short
    r = c.client.post(f"/api/beds/{bed}/actions", data=data, content_type="application/json")
    assert r.status_code < 500, (body, r.get_data(as_text=True))
    out = r.get_json()
    assert isinstance(out, dict)
    if r.status_code >= 400:
        # error and message, and only the structured details a refusal may add
        assert {"error", "message"} <= set(out) <= {"error", "message", "reasons"}
        assert all(isinstance(x, str) for x in out.get("reasons", []))
        assert c.counts() == before
    c.rt.advance(1)  # keep time moving: actions meet a changing patient
