"""Alarm handling over the JSON API: ``acknowledge_all``, a parameter's row, and what
``GET /api/beds`` says of each alarm (acknowledged, its banner row, folded or not).

A hypertensive surge on chair2 (hypertensive responder, five minutes into the infusion)
raises several alarms from one NIBP reading; the API groups them as the bedside does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_api import Clinic

pytestmark = pytest.mark.integration
BED = "chair2"


@pytest.fixture
def clinic(tmp_path: Path):
    c = Clinic(tmp_path / "alarms.sqlite")
    yield c
    c.store.close()


def _alarms(c: Clinic) -> list[dict[str, Any]]:
    r = c.client.get("/api/beds")
    assert r.status_code == 200
    [bed] = [b for b in r.get_json() if b["id"] == BED]
    return bed["session"]["alarms"]


def _surge(c: Clinic) -> list[dict[str, Any]]:
    surge = {"kind": "hypertensive_surge", "params": {"sbp_rise_mmhg": 90, "duration_min": 20}}
    body = {"kind": "inject_event", "actor": "instructor", "params": surge}
    assert c.post(BED, body).status_code == 200
    for _ in range(60):
        c.rt.advance(10)
        if len(_alarms(c)) >= 4:
            return _alarms(c)
    pytest.fail("the surge raised fewer than four alarms in ten minutes")


def test_beds_mark_each_alarm_acknowledged_and_its_row(clinic: Clinic) -> None:
    alarms = _surge(clinic)
    for a in alarms:
        assert set(a) == {"condition", "priority", "message", "acknowledged", "group", "folded"}
        assert a["acknowledged"] is False
        assert "_" not in a["message"], a["message"]  # words, the code name is "condition"
    rows = [a["group"] for a in alarms if not a["folded"]]
    assert len(rows) == len(set(rows)) < len(alarms)  # one row per parameter, some folded
    groups = [a["group"] for a in alarms]
    assert groups == sorted(groups, key=rows.index)  # a row's alarms follow its head
    assert {"NIBP_SYS", "NIBP_DIA"} <= set(rows)


def test_acknowledge_all_acknowledges_every_alarm_in_one_logged_action(clinic: Clinic) -> None:
    alarms = _surge(clinic)
    sid = clinic.sid(BED)
    actions_before = len(clinic.store.actions(sid))
    r = clinic.post(BED, {"kind": "acknowledge_all"})
    assert r.status_code == 200, r.get_json()
    assert all(a["acknowledged"] for a in _alarms(clinic))
    actions = clinic.store.actions(sid)[actions_before:]
    assert [(a["kind"], a["params"], a["actor"]) for a in actions] == [
        ("acknowledge_all", {}, "trainee")
    ]
    acked = [e for e in clinic.store.alarm_events(sid) if e["event"] == "acknowledged"]
    assert sorted(e["condition"] for e in acked) == sorted(a["condition"] for a in alarms)
    assert {e["detail"]["group"] for e in acked} == {"all"}
    again = clinic.post(BED, {"kind": "acknowledge_all"})
    assert again.status_code == 409
    assert again.get_json() == {
        "error": "nothing_to_acknowledge",
        "message": "no alarm is waiting to be acknowledged",
    }


def test_a_parameters_row_is_acknowledged_by_its_channel(clinic: Clinic) -> None:
    _surge(clinic)
    r = clinic.post(BED, {"kind": "acknowledge", "params": {"channel": "NIBP_SYS"}})
    assert r.status_code == 200, r.get_json()
    by_group: dict[str, set[bool]] = {}
    for a in _alarms(clinic):
        by_group.setdefault(a["group"], set()).add(a["acknowledged"])
    assert by_group.pop("NIBP_SYS") == {True}
    assert all(v == {False} for v in by_group.values()), by_group


@pytest.mark.parametrize(
    ("params", "actor", "status", "code", "word"),
    [
        ({"condition": "SYS_HI"}, "instructor", 409, "not_active", "Systolic high"),
        ({}, "trainee", 400, "bad_params", "either condition or channel"),
        ({"condition": "SYS_HI", "channel": "NIBP_SYS"}, "trainee", 400, "bad_params", "either"),
        ({"channel": "PUMP_RATE"}, "trainee", 400, "unknown_channel", "no alarms"),
    ],
)
def test_acknowledge_refusals_say_why_and_change_nothing(
    clinic: Clinic, params, actor, status, code, word
) -> None:
    before = clinic.state()
    r = clinic.post(BED, {"kind": "acknowledge", "params": params, "actor": actor})
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"] == code
    assert word in r.get_json()["message"]
    assert clinic.state() == before


def test_acknowledge_all_takes_no_params_and_is_for_trainee_and_instructor(clinic: Clinic) -> None:
    before = clinic.state()
    bad = clinic.post(BED, {"kind": "acknowledge_all", "params": {"condition": "SYS_HI"}})
    assert bad.status_code == 400
    assert "unknown key" in bad.get_json()["message"]
    assert clinic.state() == before
    _surge(clinic)
    ok = clinic.post(BED, {"kind": "acknowledge_all", "actor": "instructor"})
    assert ok.status_code == 200
    sid = clinic.sid(BED)
    assert clinic.store.actions(sid)[-1]["actor"] == "instructor"


def test_a_restart_rebuilds_the_acknowledgements(tmp_path: Path) -> None:
    """The session rebuilt from the store after a crash replays the logged presses: the
    rows acknowledged before are acknowledged after, the others still wait."""
    c = Clinic(tmp_path / "restart.sqlite")
    _surge(c)
    assert (
        c.post(BED, {"kind": "acknowledge", "params": {"channel": "NIBP_SYS"}}).status_code == 200
    )
    c.rt.advance(1)
    before = {a["condition"]: a["acknowledged"] for a in _alarms(c)}
    assert sorted(set(before.values())) == [False, True]
    c.store.close()  # the process dies here
    again = Clinic(tmp_path / "restart.sqlite", t_s=0)
    try:
        assert again.post(BED, {"kind": "resume_session", "actor": "instructor"}).status_code == 200
        assert {a["condition"]: a["acknowledged"] for a in _alarms(again)} == before
        assert again.post(BED, {"kind": "acknowledge_all"}).status_code == 200
        assert all(a["acknowledged"] for a in _alarms(again))
    finally:
        again.store.close()
