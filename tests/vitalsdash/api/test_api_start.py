"""Starting the infusion over the JSON API: ``POST /api/beds/<id>/actions`` with
``{"kind": "start_infusion"}``, the check's answer, the instructor's override, and what
``GET /api/beds`` says of each bed's check (and of an ``auto_start`` bed held by it)."""

from __future__ import annotations

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


class Clinic:
    def __init__(self, path: Path) -> None:
        beds = [
            BedConfig(id="calm", scenario="uneventful-depression", seed=4),
            BedConfig(id="high", scenario="uncontrolled-hypertension", seed=21),
            BedConfig(id="auto", scenario="uneventful-depression", seed=5, auto_start=True),
            BedConfig(id="held", scenario="uncontrolled-hypertension", seed=22, auto_start=True),
        ]
        self.store = Store(path)
        self.rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), self.store,
                          Feed(self.store), clock=ManualClock())  # fmt: skip
        self.rt.start()
        self.client = create_server(self.rt).test_client()

    def start(self, bed: str, actor: str = "trainee", **params: Any) -> tuple[int, Any]:
        body: dict[str, Any] = {"kind": "start_infusion", "actor": actor}
        if params:
            body["params"] = params
        r = self.client.post(f"/api/beds/{bed}/actions", json=body)
        return r.status_code, r.get_json()

    def beds(self) -> dict[str, Any]:
        return {b["id"]: b["session"] for b in self.client.get("/api/beds").get_json()}


@pytest.fixture
def clinic(tmp_path: Path):
    c = Clinic(tmp_path / "api-start.sqlite")
    c.rt.advance(900)
    yield c
    c.store.close()


def test_every_bed_shows_its_check(clinic: Clinic):
    beds = clinic.beds()
    assert beds["calm"]["pre_infusion_check"] == {"status": "pass", "reasons": []}
    assert beds["calm"]["phase"] == "baseline"
    high = beds["high"]["pre_infusion_check"]
    assert high["status"] == "blocked"
    assert high["reasons"][0].startswith("BP ")
    assert high["reasons"][0].endswith("is at or above 160/100: do not start")
    assert beds["high"]["infusion_hold_reason"] is None  # it waits for a person
    assert beds["auto"]["phase"] == "infusion"  # started by itself
    assert beds["auto"]["pre_infusion_check"] is None
    held = beds["held"]
    assert (held["phase"], held["pre_infusion_check"]["status"]) == ("baseline", "blocked")
    assert held["infusion_hold_reason"] == "; ".join(held["pre_infusion_check"]["reasons"])


def test_a_blocked_start_is_409_with_the_reasons(clinic: Clinic):
    reasons = clinic.beds()["high"]["pre_infusion_check"]["reasons"]
    status, body = clinic.start("high")
    assert status == 409
    assert body["error"] == "pre_infusion_check_failed"
    assert body["message"].startswith("Not started: the pre-infusion check says BP ")
    assert body["reasons"] == reasons
    assert body["status"] == "blocked"
    assert all(len(item) == 3 for item in body["items"])
    sid = clinic.beds()["high"]["id"]
    acts = clinic.client.get(f"/api/sessions/{sid}/events").get_json()["actions"]
    assert [(a["kind"], a["actor"], a["outcome"]) for a in acts] == [
        ("start_infusion", "trainee", "refused")]  # fmt: skip
    assert clinic.beds()["high"]["phase"] == "baseline"


@pytest.mark.parametrize(
    ("actor", "params", "status", "code"),
    [
        ("instructor", {"override_reason": ""}, 400, "bad_params"),
        ("instructor", {"override_reason": "  \t "}, 400, "bad_params"),
        ("instructor", {"override_reason": 5}, 400, "bad_params"),
        ("instructor", {"override_reason": "x" * 501}, 400, "bad_params"),
        ("instructor", {"override_reason": "ok\x1b[2J"}, 400, "bad_params"),
        ("instructor", {"override": True}, 400, "bad_params"),
        ("trainee", {"override_reason": "fine by me"}, 403, "forbidden"),
        ("instructor", {}, 409, "pre_infusion_check_failed"),
    ],
)
def test_an_override_needs_an_instructor_and_a_reason(clinic: Clinic, actor, params, status,
                                                      code):  # fmt: skip
    got, body = clinic.start("high", actor, **params)
    assert (got, body["error"]) == (status, code), body
    assert clinic.beds()["high"]["phase"] == "baseline"


def test_an_instructor_overrides_with_a_reason(clinic: Clinic):
    status, body = clinic.start(
        "high", "instructor", override_reason="Repeat BP 150/95, consultant agrees"
    )
    assert status == 200
    assert (body["ok"], body["check"], body["override"]) == (True, "blocked", True)
    clinic.rt.advance(1)
    beds = clinic.beds()
    assert beds["high"]["phase"] == "infusion"
    assert beds["high"]["pre_infusion_check"] is None
    acts = clinic.client.get(f"/api/sessions/{beds['high']['id']}/events").get_json()["actions"]
    assert acts[-1]["params"]["override_reason"] == "Repeat BP 150/95, consultant agrees"


def test_a_passing_start_and_a_second_one(clinic: Clinic):
    status, body = clinic.start("calm")
    assert (status, body) == (200, {"ok": True, "t_s": 900.0, "check": "pass", "reasons": []})
    status, body = clinic.start("calm")
    assert (status, body["error"]) == (409, "conflict")
    status, body = clinic.start("auto")
    assert (status, body["error"]) == (409, "conflict")  # it started by itself


def test_a_held_auto_start_bed_stays_held(clinic: Clinic):
    clinic.rt.advance(1800)
    held = clinic.beds()["held"]
    assert held["phase"] == "baseline"
    assert "160/100: do not start" in held["infusion_hold_reason"]
