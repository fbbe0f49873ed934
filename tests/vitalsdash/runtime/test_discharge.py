"""Discharge through the runtime on a manual clock: refused until readiness is met (409,
the missing criteria, nothing changed), then the session ends ``discharged`` with when,
who and the note; an alertness score charted before the end of the infusion never counts;
observation that lasts the protocol's maximum raises the OBSERVATION_OVERDUE reminder at
that very second, which never holds a discharge back and ends with the discharge or the
session. The short protocol (5 min observation, reminder at 10) keeps each run small."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from discharge_helpers import OBSERVATION_MAX, reach_observation, short_protocol

from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_recording, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import clock as report_clock
from vitalsdash.report import export_session
from vitalsdash.runtime import BedView, Command, Runtime
from vitalsdash.store import Store, StoreWriteError

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REMINDER = "OBSERVATION_OVERDUE"


@dataclass
class Clinic:
    rt: Runtime
    store: Store
    clock: ManualClock

    def submit(self, kind: str, params: dict | None = None, actor: str = "trainee") -> dict:
        return self.rt.submit(Command(kind, "chair1", params or {}, actor))

    def view(self) -> BedView:
        v = self.rt.view("chair1")
        assert v is not None
        return v

    @property
    def session(self):  # the runtime's own object: what only the runtime's tests may read
        s = self.rt.beds["chair1"].session
        assert s is not None
        return s

    def advance_to(self, t_s: int) -> None:
        self.rt.advance(t_s - int(self.view().t_s))
        assert self.view().t_s == t_s

    def alarm_rows(self, condition: str = REMINDER) -> list[tuple[float, str]]:
        sid = self.session.session_id
        return [(r["t_s"], r["event"]) for r in self.store.alarm_events(sid)
                if r["condition"] == condition]  # fmt: skip


def _beds(tmp_path: Path) -> list[BedConfig]:
    short_protocol(tmp_path)  # found by name from tmp_path (the debrief looks it up too)
    return [BedConfig(id="chair1", scenario="uneventful-depression", seed=11,
                      protocol="short-observation")]  # fmt: skip


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    beds = _beds(tmp_path)
    store = Store(tmp_path / "discharge.sqlite")
    clock = ManualClock()
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store, Feed(store),
                 clock=clock, wall=lambda: T0 + timedelta(seconds=clock.now()))  # fmt: skip
    rt.start()
    yield Clinic(rt, store, clock)
    store.close()


def _refusal(clinic: Clinic, **params: object) -> ActionError:
    with pytest.raises(ActionError) as err:
        clinic.submit("discharge", params)
    assert (err.value.status, err.value.code) == (409, "discharge_criteria_not_met")
    return err.value


def _criterion(view: BedView, name: str):
    assert view.discharge is not None
    return next(i for i in view.discharge.items if i.name == name)


def test_discharge_is_refused_until_ready_and_a_refusal_changes_nothing(clinic: Clinic) -> None:
    clinic.rt.advance(900)  # in the infusion
    assert clinic.view().discharge is not None
    assert clinic.view().discharge.state == "waiting"  # type: ignore[union-attr]
    err = _refusal(clinic)
    reasons = err.details["reasons"]
    assert reasons[0].startswith("infusion not ended")
    assert err.as_dict() == {"error": "discharge_criteria_not_met", "message": err.message,
                             "reasons": reasons}  # fmt: skip
    assert err.message == "Not ready for discharge: " + "; ".join(reasons)
    view = reach_observation(clinic.rt, "chair1")
    assert view.discharge.state == "open"
    before = (clinic.view(), clinic.store.actions(clinic.session.session_id))
    err = _refusal(clinic, note="tries too early")
    assert any(r.startswith("observation ") for r in err.details["reasons"])
    assert "alertness not charted (Aldrete/PADSS >= 9 needed)" in err.details["reasons"]
    assert (clinic.view(), clinic.store.actions(clinic.session.session_id)) == before
    assert clinic.store.session(clinic.session.session_id)["status"] == "running"


def test_a_ready_patient_is_discharged_and_the_store_keeps_when_who_and_note(
    clinic: Clinic,
) -> None:
    reach_observation(clinic.rt, "chair1")
    clinic.submit("chart", {"kind": "alertness", "value": 10})
    clinic.rt.advance(6 * 60)
    view = clinic.view()
    assert view.phase == "ready"
    assert view.discharge.ready
    assert view.discharge.missing == ()
    assert _criterion(view, "alertness").label == "Alert and oriented"
    t = view.t_s
    answer = clinic.submit("discharge", {"note": "home with her partner"}, actor="instructor")
    wall = T0 + timedelta(seconds=clinic.clock.now())
    assert answer == {"ok": True, "t_s": t, "status": "discharged",
                      "discharged_at": wall.isoformat(), "discharged_by": "instructor",
                      "note": "home with her partner"}  # fmt: skip
    sid = clinic.session.session_id
    row = clinic.store.session(sid)
    assert row is not None
    assert (row["status"], row["phase"], row["last_t_s"]) == ("discharged", "ended", t)
    assert (row["discharged_at"], row["ended_wall"]) == (wall, wall)
    assert (row["discharged_t_s"], row["discharged_by"]) == (t, "instructor")
    assert row["discharge_note"] == "home with her partner"
    [action] = [a for a in clinic.store.actions(sid) if a["kind"] == "discharge"]
    assert (action["t_s"], action["actor"], action["params"]) == (
        t, "instructor", {"note": "home with her partner"})  # fmt: skip
    view = clinic.view()
    assert (view.status, view.phase) == ("discharged", "ended")
    assert view.discharge is not None
    assert (view.discharge.state, view.discharge.t_s, view.discharge.by) == (
        "discharged", t, "instructor")  # fmt: skip
    assert view.discharge.discharged_at == wall.isoformat()
    assert type(view).from_dict(view.to_dict()) == view
    clinic.rt.advance(120)  # a discharged patient's session does not run on
    assert clinic.view().t_s == t
    with pytest.raises(ActionError) as again:
        clinic.submit("discharge")
    assert again.value.status == 409
    # the debrief: who discharged, when, the note; readiness held at that moment
    d = compute_debrief(session_from_store(clinic.store, sid)).discharge
    assert (d.kind, d.discharged, d.t_s, d.actor, d.note) == (
        "discharge", True, t, "instructor", "home with her partner")  # fmt: skip
    assert d.discharged_at == wall
    assert d.verdict == "discharged when ready"
    assert d.lines(report_clock)[0].startswith(f"Discharged by instructor at {report_clock(t)} (")
    # the chair is free again, as after an end
    new = clinic.submit("start_session", {}, actor="instructor")["session_id"]
    assert new != sid
    assert clinic.view().status == "running"
    assert clinic.view().discharge.state == "waiting"  # type: ignore[union-attr]
    assert clinic.store.session(sid)["status"] == "discharged"  # type: ignore[index]


def test_an_assessment_charted_during_the_infusion_does_not_count(clinic: Clinic) -> None:
    reach_observation(clinic.rt, "chair1", until_t=1800)  # started at 10 min, 20 min in
    assert clinic.view().phase == "infusion"
    clinic.submit("chart", {"kind": "alertness", "value": 10})
    reach_observation(clinic.rt, "chair1")
    clinic.rt.advance(8 * 60)  # the observation time is over, everything else holds...
    view = clinic.view()
    item = _criterion(view, "alertness")
    assert not item.met
    assert item.text == ("alertness charted before the infusion ended: assess again "
                         "(Aldrete/PADSS >= 9 needed)")  # fmt: skip
    assert view.phase == "observation"
    assert view.discharge.missing == (item.text,)  # type: ignore[union-attr]
    assert _refusal(clinic).details["reasons"] == [item.text]
    clinic.submit("chart", {"kind": "alertness", "value": 10})  # assessed again: counts
    assert clinic.view().phase == "ready"
    assert clinic.submit("discharge")["status"] == "discharged"
    d = compute_debrief(session_from_store(clinic.store, clinic.session.session_id)).discharge
    assert d.ready
    assert d.first_ready_t_s == clinic.view().t_s


def test_a_score_charted_in_the_second_the_infusion_ends_does_not_count(
    tmp_path: Path, clinic: Clinic
) -> None:
    """An action at second t comes before that second's samples: a score charted in the
    second the pump stops was charted while the monitor still showed the infusion."""
    reach_observation(clinic.rt, "chair1")
    end = int(clinic.session.infusion_end_s)
    store = Store(tmp_path / "again.sqlite")  # the same chair again, deterministic
    beds = _beds(tmp_path)
    rt = Runtime(ClinicConfig(clinic=ClinicSection(speed=60), beds=beds), store, Feed(store),
                 clock=ManualClock())  # fmt: skip
    rt.start()
    again = Clinic(rt, store, ManualClock())
    reach_observation(rt, "chair1", until_t=end)
    assert again.view().phase == "infusion"
    again.submit("chart", {"kind": "alertness", "value": 10})
    rt.advance(7 * 60)
    assert again.session.infusion_end_s == end
    assert again.view().phase == "observation"
    assert not _criterion(again.view(), "alertness").met
    rt.advance(1)
    again.submit("chart", {"kind": "alertness", "value": 10})  # charted after the end: counts
    assert _criterion(again.view(), "alertness").met
    store.close()


def _tick_to(clinic: Clinic, t_s: int) -> None:
    """The runtime's own loop at x1 on the injected clock: one wall second, one tick."""
    while clinic.view().t_s < t_s:
        clinic.clock.advance(1.0)
        assert clinic.rt.tick() == 1


def test_the_reminder_comes_after_exactly_the_maximum_and_never_blocks_discharge(
    clinic: Clinic,
) -> None:
    reach_observation(clinic.rt, "chair1")
    clinic.submit("chart", {"kind": "alertness", "value": 10})
    end = int(clinic.session.infusion_end_s)
    due = end + OBSERVATION_MAX * 60
    clinic.advance_to(due - 5)
    clinic.submit("set_speed", {"speed": 1}, actor="instructor")
    _tick_to(clinic, due)  # every second before the maximum has been evaluated
    assert clinic.alarm_rows() == []
    assert REMINDER not in [a.condition for a in clinic.view().signals.alarms]  # type: ignore[union-attr]
    _tick_to(clinic, due + 1)  # ... and now the second the observation lasted its maximum
    assert clinic.alarm_rows() == [(float(due), "observation_overdue"), (float(due), "active")]
    sid = clinic.session.session_id
    [active] = [r for r in clinic.store.alarm_events(sid)
                if r["condition"] == REMINDER and r["event"] == "active"]  # fmt: skip
    assert (active["priority"], active["actor"]) == ("LOW", "")
    view = clinic.view()
    [alarm] = [a for a in view.signals.alarms if a.condition == REMINDER]  # type: ignore[union-attr]
    assert (alarm.priority, alarm.technical) == ("LOW", True)
    assert alarm.message == "* Observation over 10 min: assess for discharge"
    assert view.discharge is not None
    assert view.discharge.overdue
    # a reminder to assess for discharge does not hold the discharge back
    assert view.phase == "ready"
    assert _criterion(view, "no_active_alarm").met
    _tick_to(clinic, due + 30)
    assert len(clinic.alarm_rows()) == 2  # raised once
    t = clinic.view().t_s
    clinic.submit("discharge", {"note": "assessed: fine to go"})
    assert clinic.alarm_rows()[2:] == [(t, "end_observation"), (t, "normal")]
    assert clinic.view().signals.alarms == ()  # type: ignore[union-attr]


def test_the_end_of_the_session_clears_the_reminder(clinic: Clinic) -> None:
    reach_observation(clinic.rt, "chair1")
    end = int(clinic.session.infusion_end_s)
    clinic.advance_to(end + OBSERVATION_MAX * 60 + 60)
    assert REMINDER in [a.condition for a in clinic.view().signals.alarms]  # type: ignore[union-attr]
    t = clinic.view().t_s
    clinic.submit("end_session", actor="instructor")
    assert clinic.alarm_rows()[-2:] == [(t, "end_observation"), (t, "normal")]
    view = clinic.view()
    assert (view.status, view.signals.alarms) == ("ended", ())  # type: ignore[union-attr]
    assert view.discharge is not None
    assert view.discharge.state == "ended"
    d = compute_debrief(session_from_store(clinic.store, clinic.session.session_id)).discharge
    assert (d.decided, d.kind, d.discharged) == (True, "end_session", False)
    assert d.lines(report_clock) == [f"Session ended by instructor at {report_clock(t)}.",
                                     "The patient was never discharged."]  # fmt: skip


def test_a_session_with_the_reminder_exports_and_replays_to_the_same_alarm_log(
    clinic: Clinic, tmp_path: Path
) -> None:
    reach_observation(clinic.rt, "chair1")
    end = int(clinic.session.infusion_end_s)
    clinic.advance_to(end + 4 * 60)
    clinic.submit("chart", {"kind": "alertness", "value": 10})
    clinic.advance_to(end + OBSERVATION_MAX * 60 + 90)
    clinic.submit("discharge")
    sid = clinic.session.session_id
    data = session_from_store(clinic.store, sid)
    out = tmp_path / "export"
    export_session(data, out)
    replayed = session_from_recording(out / "samples.csv", actions=out / "alarm_actions.csv")
    stored = [{k: v for k, v in r.items() if k not in ("session_id", "seq")}
              for r in clinic.store.alarm_events(sid)]  # fmt: skip
    assert any(r["condition"] == REMINDER and r["event"] == "normal" for r in stored)
    assert replayed.alarm_events == stored


def test_a_discharge_the_store_refuses_is_undone(clinic: Clinic) -> None:
    """Answered 503 not_stored: the session runs on as before, the reminder still shows."""
    reach_observation(clinic.rt, "chair1")
    clinic.submit("chart", {"kind": "alertness", "value": 10})
    clinic.advance_to(int(clinic.session.infusion_end_s) + OBSERVATION_MAX * 60 + 30)
    real = clinic.store.write_tick

    def refuse_discharges(tick):  # as a full disk would, for the discharge's write only
        if any(u.get("status") == "discharged" for u in tick.session_updates.values()):
            raise StoreWriteError("tick not written (nothing of it was stored): disk full")
        real(tick)

    clinic.store.write_tick = refuse_discharges  # type: ignore[method-assign]
    before = clinic.view()
    with pytest.raises(ActionError) as err:
        clinic.submit("discharge", {"note": "lost"})
    assert (err.value.status, err.value.code) == (503, "not_stored")
    after = clinic.view()
    assert after == before
    assert (after.status, after.discharge.state) == ("running", "open")  # type: ignore[union-attr]
    assert REMINDER in [a.condition for a in after.signals.alarms]  # type: ignore[union-attr]
    sid = clinic.session.session_id
    assert "discharge" not in [a["kind"] for a in clinic.store.actions(sid)]
    assert clinic.store.session(sid)["status"] == "running"  # type: ignore[index]
    clinic.store.write_tick = real  # type: ignore[method-assign]
    clinic.rt.advance(1)
    assert clinic.submit("discharge")["status"] == "discharged"
    assert clinic.alarm_rows()[-1][1] == "normal"
