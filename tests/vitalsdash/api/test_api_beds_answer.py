"""``/api/beds`` makes each bed's part once per view: the same answer as building it
whole, a changed bed answered anew at once (an action's effect, a tick)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_api import Clinic

from vitalsdash.runtime import bed_summary, json_ready

pytestmark = pytest.mark.unit


def _whole(c: Clinic) -> list:
    return json.loads(json.dumps(json_ready([bed_summary(v) for v in c.rt.views().beds])))


def test_the_answer_is_the_whole_list_and_follows_every_change(tmp_path: Path) -> None:
    c = Clinic(tmp_path / "beds.sqlite")
    first = c.client.get("/api/beds")
    assert first.status_code == 200
    assert first.mimetype == "application/json"
    assert first.get_json() == _whole(c)
    assert c.client.get("/api/beds").data == first.data  # nothing changed: the same bytes

    r = c.post("chair1", {"kind": "pause_pump", "params": {}})
    assert r.status_code == 200, r.get_json()
    paused = c.client.get("/api/beds").get_json()
    assert paused == _whole(c)
    assert paused != first.get_json()  # the action shows at once, before any tick

    c.rt.advance(5)
    later = c.client.get("/api/beds").get_json()
    assert later == _whole(c)
    assert [b["session"]["t_s"] for b in later] == [b["session"]["t_s"] + 5 for b in paused]


def test_the_answer_is_as_compact_as_jsonify_makes_it(tmp_path: Path) -> None:
    c = Clinic(tmp_path / "beds.sqlite")
    with c.client.application.app_context():
        from flask import jsonify

        whole = jsonify(json_ready([bed_summary(v) for v in c.rt.views().beds])).get_data()
    assert c.client.get("/api/beds").data == whole
