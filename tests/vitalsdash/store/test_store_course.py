"""The store keeps a course of sessions: named virtual patients and which stored session
was their session 1, 2, 3...; and a database of schema version 4 (before courses) is
upgraded with its sessions, samples and events intact, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, create_engine, inspect, text

from vitalsdash.store import SCHEMA_VERSION, Store, StoreError, TickWrite, _schema

pytestmark = pytest.mark.integration

T0 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
COURSE_TABLES = ("patients", "course_sessions")
FACTS = {"age_years": 52.0, "sex": "female", "weight_kg": 71.0, "hypertension": "treated"}


def _patient(store: Store, name: str = "Mrs Jane Doe") -> int:
    return store.create_patient(name=name, scenario="uneventful-depression", seed=41,
                                sessions_planned=6, bed_id="chair1", facts=FACTS,
                                created_wall=T0)  # fmt: skip


def _session(store: Store, course: tuple[int, int] | None = None, days: int = 0) -> int:
    return store.create_session("chair1", label="Chair 1", scenario="uneventful-depression",
                                seed=41, protocol="p", alarm_profile="a", patient=FACTS,
                                started_wall=T0 + timedelta(days=days), course=course)  # fmt: skip


def test_a_patient_and_its_sessions_are_kept_by_number(db_url: str) -> None:
    with Store(db_url) as store:
        pid = _patient(store)
        other = _patient(store, "Mr Tom Roe")
        alone = _session(store)  # a session of no course
        s1 = _session(store, (pid, 1))
        s2 = _session(store, (pid, 2), days=7)
        p = store.patient(pid)
        assert p is not None
        assert (p["name"], p["scenario"], p["seed"], p["sessions_planned"], p["bed_id"]) == (
            "Mrs Jane Doe", "uneventful-depression", 41, 6, "chair1")  # fmt: skip
        assert p["facts"] == FACTS
        assert p["created_wall"] == T0
        assert store.patient(other + 100) is None
        course = store.course(pid)
        assert [(c["session_number"], c["session_id"]) for c in course] == [(1, s1), (2, s2)]
        assert course[1]["started_wall"] == T0 + timedelta(days=7)
        assert course[0]["status"] == "running"
        assert store.course(other) == []
        assert store.course_of(s2) == {"patient_id": pid, "session_number": 2}
        assert store.course_of(alone) is None
        listed = {r["id"]: r["sessions_given"] for r in store.patients()}
        assert listed == {pid: 2, other: 0}


def test_a_session_number_is_given_once(db_url: str) -> None:
    with Store(db_url) as store:
        pid = _patient(store)
        first = _session(store, (pid, 1))
        before = len(store.sessions())
        with pytest.raises(StoreError, match=f"session 1 of patient {pid} is already session"):
            _session(store, (pid, 1))
        assert len(store.sessions()) == before  # nothing of it was written
        assert [c["session_id"] for c in store.course(pid)] == [first]
        with pytest.raises(StoreError, match="session not created"):
            _session(store, (pid + 99, 1))  # no such patient: the foreign key refuses it
        with pytest.raises(ValueError, match="sessions_planned must be at least 1"):
            store.create_patient(name="x", scenario="s", seed=1, sessions_planned=0,
                                 bed_id=None, facts={}, created_wall=T0)  # fmt: skip


def _v4_metadata() -> MetaData:
    """The tables as schema version 4 had them: all but the course's (and the waveforms'
    of version 6)."""
    md = MetaData()
    for t in _schema.metadata.sorted_tables:
        if t.name not in COURSE_TABLES and t not in _schema.WAVE_TABLES:
            t.to_metadata(md)
    return md


def _make_v4(url: str) -> list[int]:
    """A version 4 database with two sessions (one discharged), samples and events."""
    engine = create_engine(url)
    md = _v4_metadata()
    sessions = md.tables["sessions"]
    base = {"label": "x", "patient": {"age_years": 40}, "last_t_s": 60.0,
            "started_wall": T0.isoformat(), "phase": "ended"}  # fmt: skip
    with engine.begin() as conn:
        _schema.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS schema_meta"))
        md.create_all(conn)
        conn.execute(md.tables["schema_meta"].insert(), [{"key": "schema_version", "value": "4"}])
        ids = [
            conn.execute(
                sessions.insert().values(bed_id=b, status=st, **base)
            ).inserted_primary_key[0]
            for b, st in (("chair1", "discharged"), ("chair2", "ended"))
        ]
        conn.execute(md.tables["samples"].insert(), [
            {"session_id": ids[0], "t_s": 1.0, "channel": "NIBP_SYS", "value": 131.0,
             "quality": "ok"},
            {"session_id": ids[1], "t_s": 1.0, "channel": "HR", "value": 80.0, "quality": "ok"},
        ])  # fmt: skip
        conn.execute(md.tables["observations"].insert(), [
            {"session_id": ids[0], "seq": 1, "t_s": 30.0, "kind": "dissociation", "value": 4.0,
             "text": None, "actor": "trainee"}])  # fmt: skip
    engine.dispose()
    return ids


def test_a_version_4_database_is_upgraded_and_keeps_everything(db_url: str) -> None:
    with Store(db_url) as fresh:
        url = fresh.url
    ids = _make_v4(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert not set(COURSE_TABLES) & set(inspect(conn).get_table_names())
    engine.dispose()
    with Store(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION  # through version 5 and on
        assert store.integrity_check() == []
        rows = store.sessions()
        assert [(r["id"], r["status"]) for r in rows] == [(ids[0], "discharged"), (ids[1], "ended")]
        assert rows[0]["patient"] == {"age_years": 40}
        assert list(store.samples(ids[0])["value"]) == [131.0]
        assert [o["value"] for o in store.observations(ids[0])] == [4.0]
        assert store.patients() == []
        assert store.course_of(ids[0]) is None
        pid = _patient(store)  # the new tables work
        sid = _session(store, (pid, 1))
        assert sid > ids[1]
        tick = TickWrite()
        tick.session_updates[sid] = {"status": "ended", "last_t_s": 10.0}
        store.write_tick(tick)
        assert [c["session_id"] for c in store.course(pid)] == [sid]
        assert store.integrity_check() == []
    with Store(db_url) as again:  # upgraded once: opening again changes nothing
        assert again.schema_version == SCHEMA_VERSION
        assert [p["id"] for p in again.patients()] == [pid]
