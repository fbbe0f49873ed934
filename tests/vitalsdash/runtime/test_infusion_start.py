"""Starting the infusion through the runtime: the session waits in its baseline, the
pre-infusion check decides on the live data, a blocked start is refused (and logged), an
instructor may override with a reason, a caution start is logged with its reasons, and an
``auto_start`` bed starts by itself at the first second its check passes, whatever the
speed, or holds with the reason shown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import BedView, Command, PreInfusionView, Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

BEDS = {
    "calm": ("uneventful-depression", 4),  # passes from the end of the baseline
    "caution": ("example-annotated", 4),  # BP at or above 140/90 for a while
    "high": ("uncontrolled-hypertension", 21),  # about 172/108: blocked
}


def clinic(path: Path, **auto: Any) -> Runtime:
    beds = [BedConfig(id=b, scenario=sc, seed=seed) for b, (sc, seed) in BEDS.items()]
    beds += [BedConfig(id=b, scenario=sc, seed=seed, auto_start=True)
             for b, (sc, seed) in auto.items()]  # fmt: skip
    store = Store(path)
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    return rt


@pytest.fixture
def rt(tmp_path: Path):
    runtime = clinic(tmp_path / "start.sqlite")
    yield runtime
    runtime.store.close()


def start(rt: Runtime, bed: str, actor: str = "trainee", **params: Any) -> dict[str, Any]:
    return rt.submit(Command("start_infusion", bed, params, actor))


def actions(rt: Runtime, bed: str) -> list[tuple[Any, ...]]:
    sid = rt.beds[bed].session.session_id  # type: ignore[union-attr]
    return [(a["t_s"], a["actor"], a["kind"], a["params"], a["outcome"], a["reason"])
            for a in rt.store.actions(sid) if a["kind"] == "start_infusion"]  # fmt: skip


def test_the_session_waits_in_the_baseline_until_someone_starts_it(rt: Runtime):
    rt.advance(1800)
    for bed in BEDS:
        view = rt.view(bed)
        assert view is not None
        assert (view.phase, view.pump.running, view.pump.started_s) == ("baseline", False, None)
        assert isinstance(view.pre_infusion, PreInfusionView)
        assert view.infusion_hold_reason is None  # nobody waits for the bed to start itself
    calm = rt.view("calm").pre_infusion  # type: ignore[union-attr]
    assert (calm.status, calm.reasons) == ("pass", ())
    names = [name for name, _, _ in calm.items]
    assert names[:6] == ["baseline_readings", "baseline_time", "bp", "spo2", "hr", "alarms"]
    assert names[6:] == [f"screening_{q}" for q in (
        "uncontrolled_hypertension", "heart_disease", "psychosis", "pregnancy",
        "substance_misuse", "severe_liver_disease")]  # fmt: skip
    for bed in BEDS:  # the new fields cross the seam unchanged
        view = rt.view(bed)
        assert BedView.from_dict(json.loads(json.dumps(view.to_dict()))) == view
    summary = rt.bed_summary("high")["session"]
    assert summary["pre_infusion_check"]["status"] == "blocked"
    assert any("at or above 160/100: do not start" in r
               for r in summary["pre_infusion_check"]["reasons"])  # fmt: skip


def test_too_early_is_blocked_with_the_baseline_rules(rt: Runtime):
    rt.advance(120)
    with pytest.raises(ActionError) as err:
        start(rt, "calm")
    assert (err.value.code, err.value.status) == ("pre_infusion_check_failed", 409)
    reasons = err.value.as_dict()["reasons"]
    assert "2 baseline BP readings needed, 1 taken" in reasons
    assert "Baseline of 5 min needed, 2 min so far" in reasons
    assert rt.view("calm").phase == "baseline"  # type: ignore[union-attr]


def test_a_normal_patient_starts_at_once_and_the_infusion_follows(rt: Runtime):
    rt.advance(420)
    out = start(rt, "calm")
    assert out == {"ok": True, "t_s": 420.0, "check": "pass", "reasons": []}
    view = rt.view("calm")
    assert view.pre_infusion is None  # type: ignore[union-attr]
    rt.advance(60)
    view = rt.view("calm")
    assert (view.phase, view.pump.running, view.pump.started_s) == ("infusion", True, 420.0)
    assert actions(rt, "calm") == [
        (420.0, "trainee", "start_infusion", {"check": "pass", "reasons": []}, "ok", None)
    ]
    with pytest.raises(ActionError) as again:
        start(rt, "calm")
    assert (again.value.code, again.value.status) == ("conflict", 409)
    assert "already been started" in again.value.message


def test_the_scenario_moves_with_the_real_start(tmp_path: Path):
    """The hypertensive responder's surge (infusion+25min) comes 25 min after a start
    5 min later than planned, and the session's log says by how much it moved."""
    store = Store(tmp_path / "late.sqlite")
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=[
        BedConfig(id="late", scenario="hypertensive-responder", seed=12)]), store, Feed(store),
        clock=ManualClock())  # fmt: skip
    rt.start()
    rt.advance(900)
    start(rt, "late", "instructor", override_reason="late start for the test")
    rt.advance(1)
    sid = rt.beds["late"].session.session_id  # type: ignore[union-attr]
    moved = [(e["t_s"], e["source"], e["detail"]) for e in store.session_events(sid)
             if e["kind"] == "scenario_moved"]  # fmt: skip
    assert moved == [(900.0, "system", {"shift_s": 300.0, "events": 1, "actions": 0})]
    truth = []
    for _ in range(2 * 60):  # from 20 to 28 min after the start, every 4 s of truth
        rt.advance(4 * 5)
        truth.append((rt.truth("late").t_s, rt.truth("late").truth["NIBP_SYS"]))
    # the surge ramps up over 3 min from 900 + 1500 s: flat before, rising after
    before = [v for t, v in truth if 900 + 1200 <= t < 900 + 1500]
    after = [v for t, v in truth if 900 + 1500 + 180 <= t < 900 + 1500 + 600]
    assert min(after) > max(before) + 15
    store.close()


def test_a_blocked_start_is_refused_logged_and_an_instructor_may_override(rt: Runtime):
    rt.advance(900)
    before = rt.view("high")
    with pytest.raises(ActionError) as err:
        start(rt, "high")
    body = err.value.as_dict()
    assert (err.value.status, body["error"], body["status"]) == (409, "pre_infusion_check_failed",
                                                                 "blocked")  # fmt: skip
    assert body["message"].startswith("Not started: the pre-infusion check says BP ")
    assert "is at or above 160/100: do not start" in body["message"]
    assert body["reasons"] == list(before.pre_infusion.reasons)  # type: ignore[union-attr]
    assert body["items"][2][:2] == ["bp", "blocked"]
    # the instructor: without a reason it is refused as well; an empty reason is a 400
    with pytest.raises(ActionError) as err:
        start(rt, "high", "instructor")
    assert err.value.code == "pre_infusion_check_failed"
    assert "an instructor may start it anyway with a reason" in err.value.message
    for empty in ("", "   ", "\n"):
        with pytest.raises(ActionError) as err:
            start(rt, "high", "instructor", override_reason=empty)
        assert (err.value.code, err.value.status) == ("bad_params", 400)
        assert "override_reason" in err.value.message
    with pytest.raises(ActionError) as err:
        start(rt, "high", "trainee", override_reason="I think it is fine")
    assert (err.value.code, err.value.status) == ("forbidden", 403)
    assert err.value.words == (
        "Only the instructor can start the infusion despite the pre-infusion check."
    )
    assert rt.view("high").phase == "baseline"  # type: ignore[union-attr]
    out = start(rt, "high", "instructor", override_reason=" Discussed with the consultant ")
    assert (out["ok"], out["check"], out["override"]) == (True, "blocked", True)
    rt.advance(1)
    assert rt.view("high").phase == "infusion"  # type: ignore[union-attr]
    rows = actions(rt, "high")
    assert [(r[1], r[4]) for r in rows] == [
        ("trainee", "refused"), ("instructor", "refused"), ("instructor", "ok")]  # fmt: skip
    refused = rows[0]
    assert refused[3]["check"] == "blocked"
    assert refused[5] == body["message"]
    assert rows[2][3]["override_reason"] == "Discussed with the consultant"
    assert rows[2][3]["check"] == "blocked"
    assert any("160/100" in r for r in rows[2][3]["reasons"])


def test_a_caution_start_is_allowed_and_logged_with_its_reasons(rt: Runtime):
    rt.advance(420)
    check = rt.view("caution").pre_infusion  # type: ignore[union-attr]
    assert check.status == "caution"
    out = start(rt, "caution")
    assert out["check"] == "caution"
    assert out["reasons"] == list(check.reasons)
    assert any("140/90: start with caution" in r for r in out["reasons"])
    ((_, actor, _, params, outcome, _),) = actions(rt, "caution")
    assert (actor, outcome, params["check"], params["reasons"]) == (
        "trainee", "ok", "caution", out["reasons"])  # fmt: skip


def _auto_run(path: Path, step: int, until: int) -> tuple[Runtime, list]:
    rt = clinic(path, auto=("uneventful-depression", 5), held=BEDS["caution"])
    for _ in range(until // step):
        rt.advance(step)
    return rt, actions(rt, "auto")


def test_an_auto_start_bed_starts_by_itself_at_the_first_passing_second(tmp_path: Path):
    fine, rows = _auto_run(tmp_path / "a.sqlite", 1, 900)
    coarse, coarse_rows = _auto_run(tmp_path / "b.sqlite", 60, 900)
    ((t, actor, kind, params, outcome, _),) = rows
    auto = {"auto": True, "check": "pass", "reasons": []}
    assert (actor, kind, outcome, params) == ("system", "start_infusion", "ok", auto)
    assert 300 <= t <= 360  # at the end of the 5-min baseline, the 2nd reading taken
    assert coarse_rows == rows  # whatever the speed: second by second
    view = fine.view("auto")
    assert (view.phase, view.pump.started_s, view.infusion_hold_reason) == ("infusion", t, None)
    # the other one holds, and says why (a caution is not a pass)
    held = fine.view("held")
    assert (held.phase, held.pump.started_s) == ("baseline", None)
    assert held.infusion_hold_reason is not None
    assert "140/90: start with caution" in held.infusion_hold_reason
    summary = fine.bed_summary("held")["session"]
    assert summary["infusion_hold_reason"] == held.infusion_hold_reason
    assert summary["pre_infusion_check"]["status"] == "caution"
    # a person may still start a held bed
    assert start(fine, "held")["check"] == "caution"
    for r in (fine, coarse):
        r.store.close()


def test_an_auto_started_session_is_rebuilt_exactly_after_a_crash(tmp_path: Path):
    first, rows = _auto_run(tmp_path / "crash.sqlite", 30, 600)
    sid = first.beds["auto"].session.session_id  # type: ignore[union-attr]
    before = first.bed_summary("auto")
    first.store.close()
    store = Store(tmp_path / "crash.sqlite")
    again = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=[
        BedConfig(id="auto", scenario="uneventful-depression", seed=5, auto_start=True)]),
        store, Feed(store), clock=ManualClock())  # fmt: skip
    again.start()
    assert sid in again.interrupted
    after = again.bed_summary("auto")
    after["session"]["status"] = "running"
    assert after == before
    assert actions(again, "auto") == rows  # started once, by the system, at its second
    store.close()


def test_a_device_bed_has_no_check_and_its_infusion_is_not_started_here(tmp_path: Path):
    """A real device's pump is not the monitor's: no checklist, a start is refused 409
    (and nothing is logged), even with an instructor's reason."""
    store = Store(tmp_path / "dev.sqlite")
    rt = Runtime(ClinicConfig(beds=[BedConfig(id="dev", source="hl7", auto_start=True)]), store,
                 Feed(store), clock=ManualClock())  # fmt: skip
    rt.start()
    rt.hl7_source_for("dev")  # the device's first message starts its session
    view = rt.view("dev")
    assert (view.phase, view.pre_infusion, view.infusion_hold_reason) == ("baseline", None, None)
    assert rt.bed_summary("dev")["session"]["pre_infusion_check"] is None
    for actor, params in (("trainee", {}), ("instructor", {"override_reason": "device"})):
        with pytest.raises(ActionError) as err:
            start(rt, "dev", actor, **params)
        assert (err.value.code, err.value.status) == ("not_possible", 409)
        assert "not run by the monitor" in err.value.message
    assert store.actions(rt.beds["dev"].session.session_id) == []  # type: ignore[union-attr]
    store.close()
