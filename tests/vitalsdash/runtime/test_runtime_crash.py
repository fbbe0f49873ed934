"""A crash mid-session: nothing committed is lost, no tick is half written, and the
sessions that were running come back ``interrupted``, to be resumed or closed.

How it works (runtime.py): on start-up every session left ``running`` is marked
``interrupted``; a simulator or replay bed gets its latest interrupted session back,
rebuilt exactly as it was at its last written second (deterministic source and alarm
engine, the logged actions applied again at their times), and is not autostarted. The
instructor then ``resume_session`` (it runs on, same id, no gap in session time) or
``close_session`` (it ends at its last written time; the bed is free for a new session).

The first test kills a real ``vitalsdash run --headless`` process with SIGKILL; the second
proves in-process that a resumed session continues exactly as if it had never stopped.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from infusion_start import start_infusion
from served import Served

from vitalsdash.actions import ActionError
from vitalsdash.clock import ManualClock
from vitalsdash.config import BedConfig, ClinicConfig, ClinicSection
from vitalsdash.feed import Feed
from vitalsdash.runtime import Runtime
from vitalsdash.store import Store

pytestmark = pytest.mark.integration

CLINIC_TOML = """
[clinic]
name = "Crash test clinic"
speed = 1
tick_s = 0.25

[[beds]]
id = "chair1"
scenario = "uneventful-depression"
seed = 11

[[beds]]
id = "chair2"
scenario = "vasovagal-observation"
seed = 14
"""
INTERRUPTION_KINDS = ("monitoring_interrupted", "monitoring_resumed")
DATA_TABLES = ("samples", "alarm_events", "actions", "observations", "session_events")
TIMEOUT_S = 30.0


# --- a real server process ---------------------------------------------------------------------


def start_server(workdir: Path, db: Path, clinic: Path) -> Served:
    args = ("--headless", "--speed", "120", "--db", str(db), "--clinic", str(clinic))
    return Served(workdir, *args, timeout_s=TIMEOUT_S, poll_s=0.05, http_timeout_s=5).start()


def ticks_past(server: Served, n: int) -> Any:
    return server.wait_for(
        f"{n} ticks", lambda: (h := server.get("/api/health"))["ticks"] >= n and h
    )


def read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def counts(db: Path) -> dict[str, int]:
    with read_only(db) as c:
        return {t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DATA_TABLES}


def check_complete_ticks(db: Path) -> dict[int, float]:
    """Every session's samples end exactly at its last written second and cover every
    second before it: a tick is all there or not at all. Returns last_t_s per session."""
    out = {}
    with read_only(db) as c:
        for sid, last in c.execute("SELECT id, last_t_s FROM sessions"):
            hr = [
                t
                for (t,) in c.execute(
                    "SELECT t_s FROM samples WHERE session_id = ? AND channel = 'HR' ORDER BY t_s",
                    (sid,),
                )
            ]
            assert hr == [float(t) for t in range(int(last))], f"session {sid}"
            per = dict(
                c.execute(
                    "SELECT channel, count(*) FROM samples WHERE session_id = ? GROUP BY channel",
                    (sid,),
                ).fetchall()
            )
            # .get: a session started just before a clean stop may have no second yet
            assert per.get("SPO2", 0) == per.get("HR", 0) == int(last)
            assert per.get("RR", 0) == -(-int(last) // 5)
            top = c.execute("SELECT max(t_s) FROM samples WHERE session_id = ?", (sid,))
            assert (top.fetchone()[0] or -1.0) < last
            out[sid] = last
    return out


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "clinic.toml").write_text(CLINIC_TOML)
    return tmp_path


def test_sigkill_mid_session_loses_nothing_and_sessions_can_be_resumed_or_closed(workdir):
    db, clinic = workdir / "tmp" / "x.sqlite", workdir / "tmp" / "clinic.toml"
    first = start_server(workdir, db, clinic)
    try:
        ticks_past(first, 8)  # 8 ticks of 30 simulated seconds
        before = counts(db)
    finally:
        assert first.kill() == -signal.SIGKILL
    after = counts(db)
    assert all(after[t] >= before[t] for t in DATA_TABLES)
    assert before["samples"] > 0
    last = check_complete_ticks(db)
    with read_only(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        running = [r[0] for r in c.execute("SELECT id FROM sessions WHERE status = 'running'")]
    assert len(running) == 2
    assert min(last.values()) >= 240

    second = start_server(workdir, db, clinic)
    try:
        ticks_past(second, 3)
        interrupted = second.get("/api/sessions?status=interrupted")
        assert sorted(s["id"] for s in interrupted) == sorted(running)
        assert second.get("/api/sessions?status=running") == []  # no autostart over them
        beds = {b["id"]: b["session"] for b in second.get("/api/beds")}
        by_bed = {s["bed_id"]: s for s in interrupted}
        for bed, s in beds.items():
            assert (s["id"], s["status"], s["t_s"]) == (
                by_bed[bed]["id"],
                "interrupted",
                last[s["id"]],
            )
            assert s["phase"] in ("baseline", "infusion")
            assert s["latest"]["HR"]["t_s"] == s["t_s"] - 1
        # an interrupted session does not run; the restart recorded the interruption
        assert counts(db) == {**after, "session_events": after["session_events"] + 2}
        for s in interrupted:
            events = second.get(f"/api/sessions/{s['id']}/events")["session_events"]
            assert [(e["kind"], e["t_s"]) for e in events][-1] == (
                "monitoring_interrupted",
                last[s["id"]],
            )

        one, two = by_bed["chair1"]["id"], by_bed["chair2"]["id"]
        status, body = second.post(
            "/api/beds/chair1/actions", {"kind": "resume_session", "actor": "instructor"}
        )
        assert (status, body["ok"], body["session_id"], body["status"]) == (
            200,
            True,
            one,
            "running",
        )
        status, body = second.post(
            "/api/beds/chair2/actions", {"kind": "close_session", "actor": "instructor"}
        )
        assert (status, body["status"]) == (200, "ended")
        status, body = second.post(
            "/api/beds/chair2/actions", {"kind": "resume_session", "actor": "instructor"}
        )
        assert status == 409
        assert body["error"] == "no_session"
        second.wait_for(
            "chair1 to run on",
            lambda: second.get(f"/api/sessions/{one}")["last_t_s"] >= last[one] + 120,
        )
        closed = second.get(f"/api/sessions/{two}")
        assert (closed["status"], closed["phase"], closed["last_t_s"]) == (
            "ended",
            "ended",
            last[two],
        )
        started = datetime.fromisoformat(closed["started_wall"])
        assert datetime.fromisoformat(closed["ended_wall"]) == started + timedelta(
            seconds=last[two]
        )
        status, body = second.post(
            "/api/beds/chair2/actions", {"kind": "start_session", "actor": "instructor"}
        )
        assert status == 200
        assert body["session_id"] > max(one, two)
        assert second.get("/api/sessions?status=interrupted") == []
    finally:
        assert second.stop() == 0  # a clean stop
    check_complete_ticks(db)  # chair1 ran on with no gap and no second twice
    with read_only(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sessions = dict(c.execute("SELECT id, status FROM sessions").fetchall())
    assert sessions[one] == "running"
    assert sessions[two] == "ended"


# --- resume is exact ---------------------------------------------------------------------------


def _clinic() -> ClinicConfig:
    beds = [
        BedConfig(id="chair1", scenario="uneventful-depression", seed=11),
        BedConfig(id="chair2", scenario="vasovagal-observation", seed=14),
    ]
    return ClinicConfig(clinic=ClinicSection(speed=60, tick_s=1.0), beds=beds)


def _act(rt: Runtime, t: int) -> None:
    """The same trainee in both worlds: pump, chart, alarms, an instructor's event."""
    plan = {
        900: ("chair1", "pause_pump", {}, "trainee"),
        960: ("chair1", "resume_pump", {}, "trainee"),
        1020: (
            "chair2",
            "inject_event",
            {
                "kind": "tachycardia",
                "params": {"hr_rise_bpm": 60, "onset_min": 0.5, "duration_min": 10},
            },
            "instructor",
        ),
        1260: ("chair2", "acknowledge", {"condition": "HR_HI"}, "trainee"),
        1320: ("chair2", "set_limit", {"channel": "HR", "which": "high", "value": 150}, "trainee"),
        2400: ("chair1", "set_rate", {"rate_mg_per_kg_h": 0.5}, "trainee"),
        3300: ("chair1", "chart", {"kind": "alertness", "value": 10}, "trainee"),
    }
    if t == 600:  # the end of the baseline: the infusions start (replayed on a rebuild)
        for bed in ("chair1", "chair2"):
            start_infusion(rt, bed)
    if t in plan:
        bed, kind, params, actor = plan[t]
        rt.submit(bed, kind, params, actor)


def _rows(store: Store, sid: int, after: float) -> dict[str, Any]:
    """What the session produced after ``after``, without the record of the interruption
    (which only the restarted world has)."""
    df = store.samples(sid, since_t=after)
    return {
        "samples": df.to_dict("list"),
        **{
            k: [
                {x: v for x, v in r.items() if x != "seq"}
                for r in store.events(k, sid)
                if r["t_s"] > after and r.get("kind") not in INTERRUPTION_KINDS
            ]
            for k in ("alarm_events", "session_events", "observations")
        },
    }


def test_a_resumed_session_runs_on_exactly_as_if_it_never_stopped(tmp_path: Path):
    crash_at, end = 1500, 4200
    live_store = Store(tmp_path / "live.sqlite")
    live = Runtime(_clinic(), live_store, Feed(live_store), clock=ManualClock())
    live.start()
    for t in range(0, crash_at, 60):
        _act(live, t)
        live.advance(60)
    at_crash = {b: live.bed_summary(b) for b in live.beds}
    # the crash: what is on disk now is all the next process has
    with sqlite3.connect(tmp_path / "crashed.sqlite") as dst:
        src = sqlite3.connect(tmp_path / "live.sqlite")
        src.backup(dst)
        src.close()
    store = Store(tmp_path / "crashed.sqlite")
    again = Runtime(_clinic(), store, Feed(store), clock=ManualClock())
    again.start()
    sids = {b: live.beds[b].session.session_id for b in live.beds}  # type: ignore[union-attr]
    assert again.interrupted == sorted(sids.values())
    for b in again.beds:
        summary = again.bed_summary(b)
        assert summary["session"]["status"] == "interrupted"
        summary["session"]["status"] = "running"
        assert summary == at_crash[b]  # the same patient, pump, alarms and readiness
        assert again.submit(b, "resume_session", {}, "instructor")["status"] == "running"
    # both worlds run on with the same actions
    for t in range(crash_at, end, 60):
        for rt in (live, again):
            _act(rt, t)
            rt.advance(60)
    for b, sid in sids.items():
        assert _rows(store, sid, crash_at - 1) == _rows(live_store, sid, crash_at - 1), b
        marks = [
            (e["t_s"], e["kind"], e["source"])
            for e in store.session_events(sid)
            if e["kind"] in INTERRUPTION_KINDS
        ]
        assert marks == [
            (crash_at, "monitoring_interrupted", "system"),
            (crash_at, "monitoring_resumed", "instructor"),
        ]
        assert len(store.samples(sid)) == len(live_store.samples(sid))
    assert [
        p for _, p in [(0, s["session"]["phase"]) for s in map(again.bed_summary, again.beds)]
    ] == [live.bed_summary(b)["session"]["phase"] for b in live.beds]
    live_store.close()
    store.close()


def test_close_frees_the_bed_and_unknown_beds_stay_interrupted(tmp_path: Path):
    store = Store(tmp_path / "x.sqlite")
    first = Runtime(_clinic(), store, Feed(store), clock=ManualClock())
    first.start()
    first.advance(300)
    ids = [b.session.session_id for b in first.beds.values()]  # type: ignore[union-attr]
    # the clinic changed while the server was down: chair2 is gone
    smaller = ClinicConfig(clinic=_clinic().clinic, beds=_clinic().beds[:1])
    rt = Runtime(smaller, store, Feed(store), clock=ManualClock())
    rt.start()
    assert rt.interrupted == ids
    with pytest.raises(ActionError, match="resume or close it first"):
        rt.submit("chair1", "start_session", {}, "instructor")
    r = rt.submit("chair1", "close_session", {}, "instructor")
    assert r == {"ok": True, "session_id": ids[0], "status": "ended", "t_s": 300.0}
    row = store.session(ids[0])
    assert (row["status"], row["phase"], row["last_t_s"]) == ("ended", "ended", 300.0)
    assert store.session(ids[1])["status"] == "interrupted"  # no bed to resume it on
    assert rt.submit("chair1", "start_session", {}, "instructor")["ok"]
    rt.advance(60)
    assert [s["status"] for s in store.sessions()] == ["ended", "interrupted", "running"]
    store.close()
    assert os.path.exists(tmp_path / "x.sqlite")
