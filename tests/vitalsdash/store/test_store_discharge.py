"""The store keeps a discharge: status ``discharged`` with when (wall and session time), who
and the note; and a database of schema version 3 (before discharges) is upgraded with
its sessions, their ids, samples and events intact, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import (
    CheckConstraint,
    Index,
    MetaData,
    Table,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.exc import IntegrityError

from vitalsdash.store import SCHEMA_VERSION, Store, StoreError, TickWrite, _schema

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NEW_COLUMNS = ("discharged_at", "discharged_t_s", "discharged_by", "discharge_note")


def _session(store: Store, bed: str) -> int:
    return store.create_session(bed, label=bed, scenario="s", seed=1, protocol="p",
                                alarm_profile="a", patient={}, started_wall=T0)  # fmt: skip


def test_a_discharge_is_stored_with_when_who_and_note(db_url: str) -> None:
    with Store(db_url) as store:
        sid = _session(store, "chair1")
        wall = T0 + timedelta(minutes=110)
        tick = TickWrite()
        tick.session_updates[sid] = {
            "last_t_s": 6600.0, "phase": "ended", "status": "discharged", "ended_wall": wall,
            "discharged_at": wall, "discharged_t_s": 6600.0, "discharged_by": "trainee",
            "discharge_note": "home with her partner\nno driving today",
        }  # fmt: skip
        store.write_tick(tick)
        s = store.session(sid)
        assert s is not None
        assert (s["status"], s["phase"], s["last_t_s"]) == ("discharged", "ended", 6600.0)
        assert s["discharged_at"] == wall
        assert s["discharged_at"].utcoffset() == timedelta(0)
        assert s["ended_wall"] == wall
        assert (s["discharged_t_s"], s["discharged_by"]) == (6600.0, "trainee")
        assert s["discharge_note"] == "home with her partner\nno driving today"
        assert [x["id"] for x in store.sessions(status="discharged")] == [sid]
        other = store.session(_session(store, "chair2"))
        assert other is not None
        assert all(other[k] is None for k in NEW_COLUMNS)  # not discharged: nothing
        bad = TickWrite()
        bad.session_updates[sid] = {"status": "gone home"}
        with pytest.raises(StoreError):
            store.write_tick(bad)
        assert store.session(sid)["status"] == "discharged"  # type: ignore[index]


def _v3_metadata() -> MetaData:
    """The tables as schema version 3 had them: sessions without the discharge columns and
    a status check without ``discharged``; the other tables as now."""
    md = MetaData()
    for t in _schema.metadata.sorted_tables:
        if t.name in ("patients", "course_sessions"):  # a course came with version 5
            continue
        if t.name != "sessions":
            t.to_metadata(md)
            continue
        cols = [c._copy() for c in t.columns if c.name not in NEW_COLUMNS]
        Table(
            "sessions", md, *cols,
            CheckConstraint("status IN ('running', 'ended', 'interrupted')",
                            name="ck_sessions_status"),
            Index("ix_sessions_status", "status"), Index("ix_sessions_bed", "bed_id", "id"),
            sqlite_autoincrement=True,
        )  # fmt: skip
    return md


def _make_v3(url: str) -> list[int]:
    """A version 3 database: three sessions (the newest deleted again), with a sample and
    events of the first two."""
    engine = create_engine(url)
    md = _v3_metadata()
    sessions = md.tables["sessions"]
    base = {"label": "x", "patient": {}, "last_t_s": 60.0, "started_wall": T0.isoformat(),
            "phase": "observation"}  # fmt: skip
    with engine.begin() as conn:
        md.create_all(conn)
        conn.execute(md.tables["schema_meta"].insert(), [{"key": "schema_version", "value": "3"}])
        ids = [
            conn.execute(
                sessions.insert().values(bed_id=b, status=st, **base)
            ).inserted_primary_key[0]
            for b, st in (("chair1", "ended"), ("chair2", "running"), ("chair3", "running"))
        ]
        conn.execute(sessions.delete().where(sessions.c.id == ids[2]))
        conn.execute(md.tables["samples"].insert(), [
            {"session_id": ids[0], "t_s": 1.0, "channel": "HR", "value": 70.0, "quality": "ok"},
            {"session_id": ids[1], "t_s": 1.0, "channel": "HR", "value": 80.0, "quality": "ok"},
        ])  # fmt: skip
        conn.execute(md.tables["session_events"].insert(), [
            {"session_id": i, "seq": 1, "t_s": 0.0, "kind": "session_started",
             "source": "system", "detail": {}} for i in ids[:2]
        ])  # fmt: skip
        # version 3 knew no discharge
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(sessions.update().values(status="discharged"))
    engine.dispose()
    return ids


def test_a_version_3_database_is_upgraded_and_keeps_everything(db_url: str) -> None:
    with Store(db_url) as fresh:
        url = fresh.url
    engine = create_engine(url)
    with engine.begin() as conn:  # start from nothing: the layout of version 3 only
        _schema.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS schema_meta"))
    engine.dispose()
    ids = _make_v3(url)
    with Store(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_check() == []
        rows = store.sessions()
        assert [(r["id"], r["bed_id"], r["status"]) for r in rows] == [
            (ids[0], "chair1", "ended"), (ids[1], "chair2", "running")]  # fmt: skip
        assert rows[0]["started_wall"] == T0
        assert all(r[k] is None for r in rows for k in NEW_COLUMNS)
        assert list(store.samples(ids[0])["value"]) == [70.0]
        assert [e["kind"] for e in store.session_events(ids[1])] == ["session_started"]
        new = _session(store, "chair4")
        assert new > ids[2]  # the deleted session's id is not given again
        tick = TickWrite()
        tick.session_updates[ids[1]] = {"status": "discharged", "discharged_at": T0,
                                        "discharged_t_s": 60.0, "discharged_by": "instructor",
                                        "discharge_note": None}  # fmt: skip
        store.write_tick(tick)
        assert store.session(ids[1])["status"] == "discharged"  # type: ignore[index]
        assert store.integrity_check() == []
    engine = create_engine(url)
    with engine.connect() as conn:
        insp = inspect(conn)
        assert {"ix_sessions_status", "ix_sessions_bed"} <= {
            ix["name"] for ix in insp.get_indexes("sessions")
        }
        assert "sessions_v3" not in insp.get_table_names()
        fks = {fk["referred_table"] for fk in insp.get_foreign_keys("samples")}
        assert fks == {"sessions"}
    engine.dispose()
    with Store(db_url) as again:  # upgraded once: opening again changes nothing
        assert again.schema_version == SCHEMA_VERSION
        assert [r["id"] for r in again.sessions()] == [ids[0], ids[1], new]
