"""A restart after a crash leaves a trace: each session the dead process left running gets a
``monitoring_interrupted`` event at its last stored second (with the wall-clock gap), a
``monitoring_resumed`` event when it runs on, and the bedside chart, the review figure,
the report and the API all say so.

The first test kills a real ``vitalsdash run --headless`` with SIGKILL and starts it again
on the same database; the others drive the runtime in process with an injected wall clock,
so the gap is exact.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from served import Served, vitalsdash
from sqlalchemy import create_engine, inspect, text

from vitalsdash.api import create_server
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.debrief import compute_debrief, session_from_store
from vitalsdash.feed import Feed
from vitalsdash.report import render_report, timeline_figure
from vitalsdash.runtime import Runtime
from vitalsdash.store import SCHEMA_VERSION, Store, TickWrite
from vitalsdash.ui.live.bedside import bedside_tick
from vitalsdash.ui.review.figure import dark_timeline
from vitalsdash.ui.theme import PALETTE

pytestmark = pytest.mark.integration

TIMEOUT_S = 60.0
LABEL = "Monitoring interrupted 2 min 13 s (server restart)"
CLINIC_TOML = """
[clinic]
name = "Interruption test clinic"
speed = 120
tick_s = 0.25
resume_interrupted = true

[[beds]]
id = "chair1"
scenario = "uneventful-depression"
seed = 11
"""


# --- a real server, killed -----------------------------------------------------------------


def start_server(workdir: Path, db: Path, clinic: Path) -> Served:
    return Served(workdir, "--headless", "--db", str(db), "--clinic", str(clinic),
                  timeout_s=TIMEOUT_S).start()  # fmt: skip


def test_kill_9_then_restart_records_the_interruption_in_api_and_report(tmp_path: Path):
    db, clinic = tmp_path / "clinic.sqlite", tmp_path / "clinic.toml"
    clinic.write_text(CLINIC_TOML)
    first = start_server(tmp_path, db, clinic)
    try:
        first.wait_for("data", lambda: [s for s in first.get("/api/sessions")
                                        if s["last_t_s"] >= 120])  # fmt: skip
    finally:
        assert first.kill() == -signal.SIGKILL
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        [(sid, last_t, status)] = c.execute("SELECT id, last_t_s, status FROM sessions")
    assert status == "running"  # what the crash left behind

    second = start_server(tmp_path, db, clinic)
    try:
        session = second.wait_for("the restart", lambda: second.get(f"/api/sessions/{sid}"))
        events = second.get(f"/api/sessions/{sid}/events")["session_events"]
        listed = {s["id"]: s for s in second.get("/api/sessions")}
    finally:
        assert second.stop() == 0
    [gap] = [e for e in events if e["kind"] == "monitoring_interrupted"]
    assert gap["t_s"] == last_t  # at the last stored second
    assert gap["detail"]["gap_s"] > 0
    assert datetime.fromisoformat(gap["detail"]["restart_wall"]) > datetime.fromisoformat(
        gap["detail"]["last_write_wall"]
    )
    [resumed] = [e for e in events if e["kind"] == "monitoring_resumed"]
    assert (resumed["t_s"], resumed["detail"]["actor"]) == (last_t, "system")
    for row in (session, listed[sid]):
        assert row["status"] == "running"
        assert row["resumed"] is True
        [entry] = row["interruptions"]
        assert (entry["t_s"], entry["resumed_by"]) == (last_t, "system")
        assert entry["gap_s"] == gap["detail"]["gap_s"]

    out = tmp_path / "r.html"
    done = subprocess.run(vitalsdash("report", str(sid), "--db", str(db), "--out", str(out)),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert "Monitoring was interrupted once" in html
    assert "(server restart)" in html
    assert "Monitoring resumed by system" in html


# --- in process, with a wall clock of our own -------------------------------------------------


class Wall:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _clinic(resume: bool, *beds: BedConfig) -> ClinicConfig:
    beds = beds or (BedConfig(id="c1", scenario="hypertensive-responder", seed=5),)
    return ClinicConfig(clinic=ClinicSection(resume_interrupted=resume), beds=list(beds))


def _crash_and_restart(db: Path, resume: bool, wall: Wall, *beds: BedConfig) -> Runtime:
    """Run 300 s, die (the store is simply closed: sessions stay running), restart 133 s
    of wall-clock time later."""
    store = Store(db)
    first = Runtime(_clinic(resume, *beds), store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    first.advance(300)
    store.close()
    wall.now += timedelta(seconds=133)
    store = Store(db)
    again = Runtime(_clinic(resume, *beds), store, Feed(store), clock=ManualClock(), wall=wall)
    again.start()
    return again


def _marks(store: Store, sid: int) -> list[tuple[float, str, str]]:
    return [
        (e["t_s"], e["kind"], e["source"])
        for e in store.session_events(sid)
        if e["kind"].startswith("monitoring_")
    ]


def test_a_waiting_session_is_marked_and_says_who_resumed_it(tmp_path: Path) -> None:
    wall = Wall()
    rt = _crash_and_restart(tmp_path / "x.sqlite", False, wall)
    client = create_server(rt).test_client()
    [row] = client.get("/api/sessions").json
    sid = row["id"]
    assert (row["status"], row["resumed"]) == ("interrupted", False)
    assert row["interruptions"] == [
        {"t_s": 300.0, "gap_s": 133.0, "last_write_wall": "2026-03-02T09:00:00+00:00",
         "restart_wall": "2026-03-02T09:02:13+00:00", "resumed_by": None, "resumed_wall": None}
    ]  # fmt: skip
    assert _marks(rt.store, sid) == [(300.0, "monitoring_interrupted", "system")]

    wall.now += timedelta(seconds=40)  # the instructor comes back and resumes it
    r = client.post("/api/beds/c1/actions", json={"kind": "resume_session", "actor": "instructor"})
    assert r.status_code == 200
    assert _marks(rt.store, sid)[-1] == (300.0, "monitoring_resumed", "instructor")  # stored
    one = client.get(f"/api/sessions/{sid}").json
    assert (one["status"], one["resumed"]) == ("running", True)
    assert one["interruptions"][0]["resumed_by"] == "instructor"
    assert one["interruptions"][0]["resumed_wall"] == "2026-03-02T09:02:53+00:00"
    assert client.get("/api/sessions?status=running").json[0]["resumed"] is True
    rt.store.close()


def test_a_second_crash_adds_a_second_interruption(tmp_path: Path) -> None:
    wall, db = Wall(), tmp_path / "x.sqlite"
    rt = _crash_and_restart(db, True, wall)
    rt.advance(60)
    rt.store.close()
    wall.now += timedelta(seconds=5)
    store = Store(db)
    rt = Runtime(_clinic(True), store, Feed(store), clock=ManualClock(), wall=wall)
    rt.start()
    found = create_server(rt).test_client().get("/api/sessions/1").json["interruptions"]
    assert [(i["t_s"], i["gap_s"], i["resumed_by"]) for i in found] == [
        (300.0, 133.0, "system"),
        (360.0, 5.0, "system"),
    ]
    store.close()


def test_hl7_sessions_that_stay_interrupted_are_marked_too(tmp_path: Path) -> None:
    monitor = BedConfig(id="mon", source="hl7", hl7_source="MON1")
    db, wall = tmp_path / "x.sqlite", Wall()
    store = Store(db)
    first = Runtime(_clinic(True, monitor), store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    first.hl7_source_for("MON1")  # the device's first message opens a session
    first.advance(0)
    sid = first.beds["mon"].session.session_id  # type: ignore[union-attr]
    store.close()
    wall.now += timedelta(seconds=133)
    store = Store(db)
    again = Runtime(_clinic(True, monitor), store, Feed(store), clock=ManualClock(), wall=wall)
    again.start()
    assert store.session(sid)["status"] == "interrupted"  # it cannot be rebuilt
    [ev] = [e for e in store.session_events(sid) if e["kind"] == "monitoring_interrupted"]
    assert ev["detail"]["gap_s"] == 133.0
    store.close()


def test_the_bedside_review_and_report_show_it_in_words(tmp_path: Path) -> None:
    rt = _crash_and_restart(tmp_path / "x.sqlite", True, Wall())
    sid = rt.beds["c1"].session.session_id  # type: ignore[union-attr]
    first = bedside_tick(rt, "c1", None)  # a page opened after the restart
    assert first["wire"]["d"]["i"] == [[first["cursor"]["ip"][0][0], LABEL]]
    rt.advance(30)
    nxt = bedside_tick(rt, "c1", first["cursor"])
    assert "d" not in nxt.get("wire", {})  # drawn once, kept in the cursor

    data = session_from_store(rt.store, sid)
    fig = timeline_figure(data, compute_debrief(data))
    [note] = [a for a in fig.layout.annotations if a.name == "interruption"]
    assert (note.x, note.text) == (5.0, LABEL)
    [band] = [s for s in fig.layout.shapes if s.name == "interruption"]
    assert band.x0 == band.x1 == 5.0
    dark = dark_timeline(fig)
    [dark_band] = [s for s in dark.layout.shapes if s.name == "interruption"]
    [dark_note] = [a for a in dark.layout.annotations if a.name == "interruption"]
    assert dark_band.line.color == dark_note.font.color == PALETTE["medium"]  # a warning
    html = render_report(data)
    assert "Monitoring was interrupted once: at 0:05:00 for 2 min 13 s" in html
    assert LABEL in html
    rt.store.close()


def test_a_page_open_across_the_restart_gets_the_marker(tmp_path: Path) -> None:
    """The bedside page keeps its cursor through a restart (same session): the
    interruption arrives as new decor on its next tick."""
    wall, db = Wall(), tmp_path / "x.sqlite"
    store = Store(db)
    first = Runtime(_clinic(True), store, Feed(store), clock=ManualClock(), wall=wall)
    first.start()
    first.advance(300)
    cursor = bedside_tick(first, "c1", None)["cursor"]
    assert cursor["ip"] == []
    store.close()
    wall.now += timedelta(seconds=133)
    store = Store(db)
    again = Runtime(_clinic(True), store, Feed(store), clock=ManualClock(), wall=wall)
    again.start()
    nxt = bedside_tick(again, "c1", cursor)
    assert [label for _, label in nxt["wire"]["d"]["i"]] == [LABEL]
    store.close()


# --- the store, on SQLite and PostgreSQL ------------------------------------------------------


def test_a_database_from_before_the_last_write_column_opens_and_is_marked(db_url: str):
    wall = Wall()
    store = Store(db_url)
    rt = Runtime(_clinic(True), store, Feed(store), clock=ManualClock(), wall=wall)
    rt.start()
    rt.advance(120)
    url = store.url
    store.close()
    engine = create_engine(url)  # as version 1 left it
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_session_events_kind"))
        conn.execute(text("ALTER TABLE sessions DROP COLUMN last_write_wall"))
        if "hl7_received" in inspect(conn).get_table_names():
            conn.execute(text("DROP TABLE hl7_received"))
        conn.execute(text("UPDATE schema_meta SET value = '1' WHERE key = 'schema_version'"))
    engine.dispose()
    store = Store(db_url)
    assert store.schema_version == SCHEMA_VERSION
    rt = Runtime(_clinic(True), store, Feed(store), clock=ManualClock(), wall=wall)
    rt.start()
    [ev] = [e for e in store.session_events(1) if e["kind"] == "monitoring_interrupted"]
    assert ev["t_s"] == 120.0
    assert ev["detail"]["gap_s"] is None  # unknown: no wall time of the last write
    rt.advance(10)
    assert store.session(1)["last_write_wall"] == wall.now  # written from now on
    data = session_from_store(store, 1)
    assert "Monitoring interrupted (server restart)" in render_report(data)
    store.close()


def test_the_store_marks_and_records_in_one_go(db_url: str) -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with Store(db_url) as store:
        running, ended = (store.create_session(b, label=b, scenario=None, seed=None,
                          protocol=None, alarm_profile=None, patient={}, started_wall=t0)
                          for b in ("a", "b"))  # fmt: skip
        tick = TickWrite()
        tick.session_updates[running] = {"last_t_s": 42.0, "last_write_wall": t0}
        tick.session_updates[ended] = {"last_t_s": 7.0, "last_write_wall": t0}
        store.write_tick(tick)
        store.end_session(ended)
        assert store.session(running)["last_write_wall"] == t0
        restart = t0 + timedelta(minutes=2, seconds=13)
        assert store.mark_running_interrupted(restart_wall=restart) == [running]
        [ev] = store.session_events(running)
        assert (ev["seq"], ev["t_s"], ev["kind"], ev["source"]) == (
            1,
            42.0,
            "monitoring_interrupted",
            "system",
        )
        assert ev["detail"]["gap_s"] == 133.0
        assert store.session_events(ended) == []  # ended sessions were not interrupted
        assert store.interruption_events() == {running: [ev]}
        assert store.interruption_events([ended]) == {}
        assert store.mark_running_interrupted(restart_wall=restart) == []  # once only
