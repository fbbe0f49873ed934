"""Store faults: a write the store refuses fails only its own bed, and nothing half-written.

Faults are injected where a driver raises them: inside the transaction, on the statement
that updates the sessions (after the tick's rows were inserted), so a rollback that left
anything behind would show as duplicated rows. A full disk is a real one when the tests
run as root and can mount a small tmpfs, else the same error raised on every write. The
runtime runs on a ManualClock: retries, the fault bound and the health window are clock
seconds, never sleeps.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infusion_start import start_all
from mllp_client import send_by_hl7_package
from sqlalchemy import event
from test_hl7_runtime import SENT_AT
from test_hl7_runtime import Clinic as Hl7Clinic

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import EVENT_KINDS, Store, sample_tuples
from vitalsim.stream import Observation, build_oru

pytestmark = pytest.mark.integration
DISK_FULL = "database or disk is full"


class Faults:
    """Make the store refuse writes: those holding samples of ``poisoned`` sessions (at the
    end of their transaction), or every write while ``full``."""

    def __init__(self, store: Store) -> None:
        self.poisoned: set[int] = set()
        self.full = False
        self.refused = 0
        self._armed = False
        self._dbapi = store._engine.dialect.dbapi  # the driver's own error class
        real = store.write_tick

        def write_tick(tick: Any) -> None:
            self._armed = bool({int(s[0]) for s in sample_tuples(tick.samples)} & self.poisoned)
            try:
                real(tick)
            finally:
                self._armed = False

        store.write_tick = write_tick  # type: ignore[method-assign]
        event.listen(store._engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sql = statement.lstrip().upper()
        if (self.full and sql.startswith(("INSERT", "UPDATE", "DELETE"))) or (
            self._armed and sql.startswith("UPDATE SESSIONS")
        ):
            self.refused += 1
            raise self._dbapi.OperationalError(DISK_FULL if self.full else "injected fault")


class Clinic:
    def __init__(self, url: str, fault_after_s: float = 30.0, start_s: int = 60) -> None:
        beds = [BedConfig(id=f"chair{i}", scenario="uneventful-depression", seed=i)
                for i in (1, 2, 3)]  # fmt: skip
        beds.append(BedConfig(id="spare", scenario="uneventful-depression", autostart=False))
        section = ClinicSection(tick_s=1.0, store_fault_after_s=fault_after_s)
        self.store = Store(url)
        self.clock = ManualClock()
        self.rt = Runtime(ClinicConfig(clinic=section, beds=beds), self.store, Feed(self.store),
                          clock=self.clock)  # fmt: skip
        self.rt.start()
        self.faults = Faults(self.store)
        self.client = create_server(self.rt).test_client()
        if start_s > 600:  # the nurses start the infusions at the end of the baseline
            self.rt.advance(600)
            start_all(self.rt, ["chair1", "chair2", "chair3"])
            start_s -= 600
        self.rt.advance(start_s)

    def run(self, seconds: int) -> None:
        """``seconds`` ticks of one clock second each (speed x1: one simulated second)."""
        for _ in range(seconds):
            self.clock.advance(1.0)
            self.rt.tick()

    def session(self, bed: str) -> Any:
        s = self.rt.beds[bed].session
        assert s is not None
        return s

    def hr(self, bed: str) -> list[float]:
        return sorted(self.store.samples(self.session(bed).session_id, channels=["HR"])["t_s"])

    def stored_rows(self, bed: str) -> dict[str, int]:
        sid = self.session(bed).session_id
        return {"samples": len(self.store.samples(sid)), **{
            k: len(self.store.events(k, sid)) for k in EVENT_KINDS}}  # fmt: skip

    def post(self, bed: str, body: dict[str, Any]) -> Any:
        return self.client.post(f"/api/beds/{bed}/actions", json=body)

    def health(self) -> tuple[int, dict[str, Any]]:
        r = self.client.get("/api/health")
        return r.status_code, r.get_json()


def _every_second(hr: list[float], t_s: int) -> bool:
    """HR is sampled once a second: all of 0..t_s-1 stored, none twice."""
    return hr == [float(t) for t in range(t_s)]


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    c = Clinic(str(tmp_path / "faults.sqlite"))
    yield c
    c.store.close()


# --- one bad bed ---------------------------------------------------------------------------


def test_a_bed_whose_rows_fail_holds_the_others_go_on_and_it_resumes_with_nothing_lost(
    db_url: str,
) -> None:
    c = Clinic(db_url)
    try:
        bad = c.session("chair2")
        c.faults.poisoned.add(bad.session_id)
        before = c.stored_rows("chair2")
        c.run(20)

        assert c.faults.refused >= 2  # the tick's transaction, then chair2's own
        for bed in ("chair1", "chair3"):  # stored every second, nothing twice (no leftovers
            assert _every_second(c.hr(bed), 80)  # of the refused tick's transaction)
            assert c.session(bed).t_s == 80
        assert bad.t_s == 61  # held after the refused tick: it does not advance ...
        assert c.stored_rows("chair2") == before  # ... and nothing of it was stored
        held = sum(len(getattr(bad.pending, k)) for k in ("samples", "alarm_events"))
        assert held > 0
        status, body = c.health()
        assert status == 503
        problem = next(p for p in body["problems"] if p.get("bed") == "chair2")
        assert problem["state"] == "held"
        assert "injected fault" in problem["error"]
        assert problem["pending_rows"] >= held
        note = {"kind": "chart", "params": {"kind": "sedation", "value": 1}}
        assert c.post("chair1", note).status_code == 200  # a healthy bed's action is stored
        assert len(c.store.observations(c.session("chair1").session_id)) == 1
        r = c.post("chair2", note)  # the held bed's is refused, not applied
        assert (r.status_code, r.get_json()["error"]) == (503, "not_stored")
        assert not bad.pending.observations
        c.run(5)  # (25 s held: the fault bound is 30 s)
        assert bad.t_s == 61  # its memory does not grow while it holds
        assert sum(len(getattr(bad.pending, k)) for k in ("samples", "alarm_events")) == held

        c.faults.poisoned.clear()  # the store takes its rows again
        c.run(10)  # within the backoff (at most 5 s) it retries, then goes on
        assert bad.status == "running"
        assert _every_second(c.hr("chair2"), bad.t_s)  # nothing lost, nothing twice
        assert bad.t_s > 61
        assert c.store.session(bad.session_id)["last_t_s"] == bad.t_s
        assert _every_second(c.hr("chair1"), 95)
        c.run(6)  # the store's last refusal is now out of health's window
        assert c.health()[0] == 200
    finally:
        c.store.close()


def test_a_bed_the_store_keeps_refusing_is_faulted_after_the_bound(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = Clinic(str(tmp_path / "fault.sqlite"), fault_after_s=10.0)
    try:
        bad = c.session("chair2")
        c.faults.poisoned.add(bad.session_id)
        with caplog.at_level(logging.WARNING, logger="vitalsdash.runtime"):
            c.run(15)

        assert bad.status == "interrupted"
        assert not any(len(getattr(bad.pending, k)) for k in ("samples", "alarm_events"))
        stored = c.store.session(bad.session_id)
        assert stored["status"] == "interrupted"
        (fault,) = [e for e in c.store.session_events(bad.session_id) if e["kind"] == "fault"]
        d = fault["detail"]
        assert "injected fault" in d["error"]
        assert "refused this session's rows for 10 s" in d["reason"]
        assert d["dropped"]["samples"] > 0
        assert (d["unstored_from_t_s"], d["unstored_to_t_s"]) == (60.0, 61.0)
        logged = [r.getMessage() for r in caplog.records if "faulted" in r.getMessage()]
        assert len(logged) == 1
        assert "chair2" in logged[0]
        assert "dropped" in logged[0]
        assert f"{d['dropped']['samples']} samples" in logged[0]
        assert _every_second(c.hr("chair1"), 75)  # the others never stopped

        status, body = c.health()
        assert status == 503
        (problem,) = [p for p in body["problems"] if p.get("bed") == "chair2"]
        assert problem["state"] == "faulted"
        r = c.post("chair2", {"kind": "close_session", "actor": "instructor"})
        assert r.status_code == 200, r.get_json()
        c.run(6)
        assert c.health()[0] == 200
    finally:
        c.store.close()


# --- a full disk ---------------------------------------------------------------------------


@contextlib.contextmanager
def _small_tmpfs(where: Path) -> Iterator[Path | None]:
    """A 4 MB tmpfs at ``where`` when root may mount one, else None."""
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield None
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _fill(folder: Path) -> Path:
    """Take every free byte of the file system of ``folder``."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def _engine_state(s: Any) -> str:
    eng = s.engine.state
    return repr((sorted((c.name, c.state, c.acked, c.latched, c.enabled, c.limit, c.priority)
                        for c in eng.conds.values()),
                 eng.pause_until, eng.phase, sorted(eng.user_limits.items())))  # fmt: skip


@pytest.mark.parametrize("disk", ["tmpfs", "injected"])
def test_a_full_disk_degrades_health_holds_memory_and_refuses_actions_unapplied(
    tmp_path: Path, disk: str
) -> None:
    with _small_tmpfs(tmp_path / "disk") as mounted:
        if disk == "tmpfs" and mounted is None:
            pytest.skip("mounting a tmpfs needs root (the injected variant covers it)")
        c = Clinic(str(tmp_path / "disk" / "full.sqlite"), start_s=900)  # infusing
        try:
            filler = None
            if disk == "tmpfs":
                filler = _fill(tmp_path / "disk")
            else:
                c.faults.full = True
            c.run(3)
            status, body = c.health()
            assert status == 503
            store = next(p for p in body["problems"] if p["check"] == "store")
            assert DISK_FULL in store["error"]
            assert {p["bed"] for p in body["problems"] if p["check"] == "bed"} == {
                "chair1", "chair2", "chair3"}  # fmt: skip
            s = c.session("chair1")
            t_s, pending = s.t_s, len(s.pending.samples)
            c.run(20)
            assert (s.t_s, len(s.pending.samples)) == (t_s, pending)  # memory bounded

            engine, pump = _engine_state(s), s.source.pump()
            queued, alarm_rows = list(s.queued), len(s.pending.alarm_events)
            for body in (
                {"kind": "alarm_off", "params": {"channel": "SPO2"}},
                {"kind": "pause_pump"},
                {"kind": "chart", "params": {"kind": "sedation", "value": 2, "text": "drowsy"}},
                {"kind": "end_session", "actor": "instructor"},
            ):
                r = c.post("chair1", body)
                assert r.status_code == 503, (body, r.get_json())
                out = r.get_json()
                assert out["error"] == "not_stored"
                assert "nothing was changed" in out["message"]
                assert DISK_FULL in out["message"]
            assert _engine_state(s) == engine  # alarm_off not applied
            assert s.source.pump() == pump  # the pump still runs
            assert (s.status, s.alertness, s.queued) == ("running", None, queued)
            assert len(s.pending.alarm_events) == alarm_rows
            assert not s.pending.actions
            assert not s.pending.observations
            r = c.post("spare", {"kind": "start_session", "actor": "instructor"})
            assert r.status_code == 503
            assert c.rt.beds["spare"].session is None

            if filler is not None:
                filler.unlink()
            c.faults.full = False
            c.run(10)
            for bed in ("chair1", "chair2", "chair3"):
                assert _every_second(c.hr(bed), c.session(bed).t_s)  # nothing lost
                assert c.session(bed).t_s > t_s
            assert c.post("chair1", {"kind": "alarm_off", "params": {"channel": "SPO2"}}
                          ).status_code == 200  # fmt: skip
            assert _engine_state(s) != engine
            stored = c.store.actions(s.session_id)
            # only the acknowledged one, after the start of the infusion (before the fault)
            assert [a["kind"] for a in stored] == ["start_infusion", "alarm_off"]
            assert c.store.integrity_check() == []
            c.run(6)
            assert c.health()[0] == 200
        finally:
            c.store.close()


def test_a_start_the_store_refuses_leaves_no_running_session(clinic: Clinic) -> None:
    """The session row is created, the start's rows are refused: the bed stays free, and
    the orphan row is ended as soon as the store takes writes again."""
    real = clinic.store.write_tick

    def refuse(tick: Any) -> None:
        raise clinic.faults._dbapi.OperationalError("injected: refused")

    clinic.store.write_tick = refuse  # type: ignore[method-assign]
    r = clinic.post("spare", {"kind": "start_session", "actor": "instructor"})
    assert r.status_code == 503
    assert r.get_json()["error"] == "not_stored"
    assert clinic.rt.beds["spare"].session is None
    assert clinic.rt.beds["spare"].history == []
    clinic.store.write_tick = real  # type: ignore[method-assign]
    clinic.run(1)
    assert [s["status"] for s in clinic.store.sessions() if s["bed_id"] == "spare"] == ["ended"]
    r = clinic.post("spare", {"kind": "start_session", "actor": "instructor"})
    assert r.status_code == 200


# --- text the database refuses -------------------------------------------------------------


def test_text_postgres_refuses_is_stored_safely_and_poisons_nothing(db_url: str) -> None:
    """A NUL or a lone surrogate arriving by any path (the API refuses them; a device or a
    source may still send them) is stored as U+FFFD; the tick and every bed go on."""
    c = Clinic(db_url)
    try:
        r = c.post("chair1", {"kind": "chart", "params": {"kind": "note", "text": "x\u0000y"}})
        assert r.status_code in (200, 400), r.get_json()
        s = c.session("chair2")
        s.pending.observations.append(
            {"session_id": s.session_id, "t_s": 60.0, "kind": "note", "value": None,
             "text": "a\x00b\ud800c", "actor": "device\x00"})  # fmt: skip
        s.pending.session_events.append(
            {"session_id": s.session_id, "t_s": 60.0, "kind": "device", "source": "hl7",
             "detail": {"label\x00": "Z\u00dcRICH\x00", "bad": "\udfff"}})  # fmt: skip
        c.run(5)

        assert c.rt.health()["status"] in ("ok", "degraded")
        assert c.faults.refused == 0
        (note,) = [o for o in c.store.observations(s.session_id) if o["kind"] == "note"]
        assert (note["text"], note["actor"]) == ("a\ufffdb\ufffdc", "device\ufffd")
        (dev,) = [e for e in c.store.session_events(s.session_id) if e["kind"] == "device"]
        assert dev["detail"] == {"label\ufffd": "Z\u00dcRICH\ufffd", "bad": "\ufffd"}
        events = c.client.get(f"/api/sessions/{s.session_id}/events").get_json()
        assert json.dumps(events)  # and it reads back out as JSON
        for bed in ("chair1", "chair2", "chair3"):
            assert _every_second(c.hr(bed), 65)
        if r.status_code == 200:  # stored safely, if the API let it through
            notes = [o["text"] for o in c.store.observations(c.session("chair1").session_id)]
            assert notes == ["x\ufffdy"]
    finally:
        c.store.close()


def test_a_device_beds_refused_actions_stay_409_and_its_alarm_actions_are_stored(
    tmp_path: Path,
) -> None:
    """The snapshot taken before an action copies only a simulated patient (a device's
    source holds locks and connections); a device refuses pump actions, unchanged."""
    store = Store(tmp_path / "dev.sqlite")
    beds = [BedConfig(id="dev", source="hl7")]
    rt = Runtime(ClinicConfig(beds=beds), store, Feed(store), clock=ManualClock())
    rt.start()
    rt.hl7_source_for("dev")  # the device's first message starts its session
    client = create_server(rt).test_client()
    r = client.post("/api/beds/dev/actions", json={"kind": "pause_pump"})
    assert r.status_code == 409
    assert r.get_json()["error"] == "not_possible"
    r = client.post("/api/beds/dev/actions",
                    json={"kind": "alarm_off", "params": {"channel": "SPO2"}})  # fmt: skip
    assert r.status_code == 200
    sid = rt.beds["dev"].session.session_id  # type: ignore[union-attr]
    assert [a["kind"] for a in store.actions(sid)] == ["alarm_off"]
    store.close()


def test_an_hl7_message_the_store_refuses_is_answered_ae_and_degrades_health(
    tmp_path: Path,
) -> None:
    def send(port: int, control_id: str) -> str:
        text = build_oru([Observation(5.0, "HR", 71.0)], control_id=control_id,
                         epoch0=SENT_AT.timestamp(), device_id="0012AB34CD56EF78",
                         location="INFUSION^^CHAIR7", patient_id="P1")  # fmt: skip

        return str(send_by_hl7_package(port, text, timeout_s=30).segment("MSA")[1])

    c = Hl7Clinic(tmp_path / "hl7.sqlite")
    try:
        client = create_server(c.rt).test_client()
        assert send(c.gateway.port, "OK000001") == "AA"
        assert client.get("/api/health").status_code == 200
        faults = Faults(c.store)
        faults.full = True
        assert send(c.gateway.port, "FULL0001") == "AE"
        r = client.get("/api/health")
        assert r.status_code == 503
        (problem,) = [p for p in r.get_json()["problems"] if p["check"] == "store"]
        assert DISK_FULL in problem["error"]
        faults.full = False
        assert send(c.gateway.port, "FULL0001") == "AA"  # the sender's retry is stored
        c.clock.advance(6.0)  # out of health's window (5 s)
        assert client.get("/api/health").status_code == 200
    finally:
        c.close()
