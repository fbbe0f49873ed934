"""The store: schema and versions, round trips of every table, one transaction per tick,
session life cycle across restarts, and a SIGKILL in the middle of writing.

Tests taking ``db_url``/``store`` run on SQLite (a file under tmp_path) and on a real
PostgreSQL server (``postgres`` marker; see test_store_postgres.py, which starts it).
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from vitalsdash.alarms import AlarmEvent, Priority
from vitalsdash.model import Channel, Quality
from vitalsdash.store import (
    SCHEMA_VERSION,
    ActionRow,
    AlarmEventRow,
    ObservationRow,
    SampleRow,
    SchemaVersionError,
    SessionEventRow,
    Store,
    StoreError,
    TickWrite,
)
from vitalsdash.store import _schema as _store_schema

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
TABLES = {
    "schema_meta",
    "sessions",
    "samples",
    "alarm_events",
    "actions",
    "observations",
    "session_events",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives: a SQLite path (parents not yet created) or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "nested" / "dir" / "vitals.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    yield s
    s.close()


def new_session(store: Store, bed: str = "bed-1", **kw: object) -> int:
    args: dict[str, object] = {
        "label": f"session on {bed}",
        "scenario": "hypertensive_response",
        "seed": 42,
        "protocol": "standard_0.5",
        "alarm_profile": "adult_default",
        "patient": {"age": 54, "weight_kg": 81.5, "baseline": {"HR": 72, "SBP": 128}},
        "started_wall": T0,
    }
    args.update(kw)
    return store.create_session(bed, **args)  # type: ignore[arg-type]


def same(a: object, b: object) -> bool:
    """Equality where NaN equals NaN (floats anywhere in nested tuples/lists)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def counts(store: Store, sid: int) -> tuple[int, ...]:
    return (
        len(store.samples(sid)),
        len(store.alarm_events(sid)),
        len(store.actions(sid)),
        len(store.observations(sid)),
        len(store.session_events(sid)),
    )


# ------------------------------------------------------------------------ schema


def test_schema_is_created_and_versioned(db_url: str) -> None:
    with Store(db_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        engine = create_engine(store.url)
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            version = conn.execute(
                text("SELECT value FROM schema_meta WHERE key = 'schema_version'")
            ).scalar()
            sample_indexes = {ix["name"] for ix in inspect(conn).get_indexes("samples")}
        engine.dispose()
        assert version == str(SCHEMA_VERSION)
        assert "ix_samples_session_t" in sample_indexes
        assert store.integrity_check() == []
    with Store(db_url) as again:  # reopening keeps it as it is
        assert again.schema_version == SCHEMA_VERSION


def _set_version(url: object, version: int) -> None:
    engine = create_engine(url)  # type: ignore[call-overload]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE schema_meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(version)},
        )
    engine.dispose()


def test_newer_schema_version_is_refused_with_both_versions(db_url: str) -> None:
    with Store(db_url) as store:
        url = store.url
    _set_version(url, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError) as err:
        Store(db_url)
    msg = str(err.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in msg
    assert f"version {SCHEMA_VERSION} " in msg
    assert "newer" in msg


def test_older_schema_version_is_upgraded(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(db_url) as store:
        sid = new_session(store)
    ran: list[int] = []

    def v1_to_v2(conn: object) -> None:
        ran.append(1)
        conn.execute(text("CREATE INDEX ix_samples_channel ON samples (channel)"))  # type: ignore[attr-defined]

    monkeypatch.setattr(_store_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(_store_schema.MIGRATIONS, SCHEMA_VERSION, v1_to_v2)
    with Store(db_url) as upgraded:
        assert upgraded.schema_version == SCHEMA_VERSION + 1
        assert upgraded.session(sid) is not None  # data kept
        url = upgraded.url
    assert ran == [1]
    with Store(db_url):  # already upgraded: the step does not run twice
        pass
    assert ran == [1]
    engine = create_engine(url)
    with engine.connect() as conn:
        assert "ix_samples_channel" in {ix["name"] for ix in inspect(conn).get_indexes("samples")}
    engine.dispose()
    monkeypatch.undo()  # this code again: the upgraded database is now too new for it
    with pytest.raises(SchemaVersionError, match="newer"):
        Store(db_url)


def test_missing_upgrade_step_is_a_clear_error(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(db_url).close()
    monkeypatch.setattr(_store_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(
        SchemaVersionError, match=f"no upgrade from schema version {SCHEMA_VERSION}"
    ):
        Store(db_url)


def test_foreign_tables_without_schema_meta_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE samples (x INTEGER)"))
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="not a vitalsdash database"):
        Store(path)


# -------------------------------------------------------------------- round trips


def test_session_round_trip(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    sid = new_session(store, "bed-7", started_wall=datetime(2025, 3, 1, 9, 30, tzinfo=paris))
    other = new_session(store, "bed-8", seed=None, scenario=None, patient={})
    s = store.session(sid)
    assert s is not None
    assert s["id"] == sid
    assert s["bed_id"] == "bed-7"
    assert s["label"] == "session on bed-7"
    assert (s["scenario"], s["seed"], s["protocol"], s["alarm_profile"]) == (
        "hypertensive_response",
        42,
        "standard_0.5",
        "adult_default",
    )
    assert s["patient"] == {"age": 54, "weight_kg": 81.5, "baseline": {"HR": 72, "SBP": 128}}
    assert s["status"] == "running"
    assert s["phase"] is None
    assert s["last_t_s"] == 0.0
    assert s["started_wall"] == T0  # the same instant, stored in UTC
    assert s["started_wall"].utcoffset() == timedelta(0)
    assert s["ended_wall"] is None
    assert store.session(other)["seed"] is None
    assert store.session(10_000) is None
    assert [x["id"] for x in store.sessions()] == [sid, other]
    assert [x["id"] for x in store.sessions(bed_id="bed-8")] == [other]
    assert [x["id"] for x in store.sessions(status="ended")] == []


def test_naive_wall_clock_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        new_session(store, started_wall=datetime(2025, 1, 1, 12, 0))


def test_samples_round_trip_order_and_filters(store: Store) -> None:
    sid = new_session(store)
    other = new_session(store, "bed-2")
    first = [
        SampleRow(sid, 1.0, Channel.HR, 72.0, Quality.OK, 71.5),
        SampleRow(sid, 0.0, Channel.SPO2, 97.0, "ok", None),
        SampleRow(sid, 1.0, Channel.SPO2, math.nan, Quality.INVALID, 97.2),
        SampleRow(sid, 2.0, "NIBP_SYS", 128, "artefact", None),
        SampleRow(other, 1.5, Channel.HR, 80.0, "ok", 80.0),
    ]
    second = [  # a late sample (t = 1.0 again) and a plain tuple
        SampleRow(sid, 1.0, Channel.RR, 14.0, "ok", 14.0),
        (sid, 3.0, "HR", None, "invalid", None),
    ]
    store.write_tick(TickWrite(samples=first))
    store.write_tick(TickWrite(samples=second))  # type: ignore[list-item]

    df = store.samples(sid)
    assert list(df.columns) == ["t_s", "channel", "value", "quality", "true_value"]
    assert df["t_s"].dtype == "float64"
    assert df["value"].dtype == "float64"
    rows = list(df.itertuples(index=False, name=None))
    expected = [  # by t, then insertion
        (0.0, "SPO2", 97.0, "ok", math.nan),
        (1.0, "HR", 72.0, "ok", 71.5),
        (1.0, "SPO2", math.nan, "invalid", 97.2),
        (1.0, "RR", 14.0, "ok", 14.0),
        (2.0, "NIBP_SYS", 128.0, "artefact", math.nan),
        (3.0, "HR", math.nan, "invalid", math.nan),
    ]
    assert same(rows, expected)
    assert list(store.samples(sid, since_t=1.0)["t_s"]) == [2.0, 3.0]  # since is exclusive
    assert list(store.samples(sid, since_t=0.0, until_t=2.0)["t_s"]) == [1.0, 1.0, 1.0, 2.0]
    hr = store.samples(sid, channels=[Channel.HR, "RR"])
    assert list(zip(hr["t_s"], hr["channel"], strict=True)) == [
        (1.0, "HR"),
        (1.0, "RR"),
        (3.0, "HR"),
    ]
    assert len(store.samples(other)) == 1
    empty = store.samples(sid, since_t=10.0)
    assert empty.empty
    assert list(empty.columns) == list(df.columns)
    latest = store.latest_samples(sid)
    assert same(latest["HR"], (3.0, math.nan, "invalid"))
    assert latest["SPO2"] == (1.0, latest["SPO2"][1], "invalid")
    assert latest["NIBP_SYS"] == (2.0, 128.0, "artefact")


def test_event_tables_round_trip_with_store_assigned_seq(store: Store) -> None:
    a, b = new_session(store, "bed-1"), new_session(store, "bed-2")
    alarm = AlarmEventRow(
        a,
        12.5,
        "hr_high",
        "onset",
        "HIGH",
        Priority.MEDIUM,
        131.0,
        120.0,
        "system",
        {"settings": {"high": 120, "delay_s": 10}, "why": ["x", 1], "nan": math.nan},
    )
    tick = TickWrite(
        alarm_events=[alarm, AlarmEventRow(b, 13.0, "spo2_low", "onset")],
        actions=[
            ActionRow(a, 14.0, "trainee", "pause_pump", {"reason": "SBP"}),
            ActionRow(
                a,
                15.0,
                "trainee",
                "give_drug",
                {"drug": "labetalol", "mg": 10},
                "refused",
                "no order",
            ),
        ],
        observations=[
            ObservationRow(a, 20.0, "sedation", 2.0, None, "instructor"),
            ObservationRow(a, 21.0, "note", None, "patient anxious"),
        ],
        session_events=[SessionEventRow(a, 0.0, "phase", "runtime", {"phase": "infusion"})],
    )
    store.write_tick(tick)
    assert [e.seq for e in tick.alarm_events] == [1, 1]  # per session
    assert [e.seq for e in tick.actions] == [1, 2]
    store.write_tick(
        TickWrite(alarm_events=[AlarmEventRow(a, 30.0, "hr_high", "end", actor="system")])
    )

    events = store.alarm_events(a)
    assert [e["seq"] for e in events] == [1, 2]
    assert events[0] == {
        "session_id": a,
        "seq": 1,
        "t_s": 12.5,
        "condition": "hr_high",
        "event": "onset",
        "priority": "HIGH",
        "priority_base": "MEDIUM",
        "value": 131.0,
        "limit_value": 120.0,
        "actor": "system",
        "detail": {"settings": {"high": 120, "delay_s": 10}, "why": ["x", 1], "nan": None},
    }
    assert events[1]["priority"] is None
    assert events[1]["value"] is None
    assert events[1]["detail"] == {}
    assert [e["seq"] for e in store.alarm_events(a, since_seq=1)] == [2]
    assert store.alarm_events(a, limit=1)[0]["seq"] == 1
    assert store.alarm_events(b)[0]["condition"] == "spo2_low"
    assert store.actions(a) == [
        {
            "session_id": a,
            "seq": 1,
            "t_s": 14.0,
            "actor": "trainee",
            "kind": "pause_pump",
            "params": {"reason": "SBP"},
            "outcome": "ok",
            "reason": None,
            "user_id": None,
            "user_name": None,
        },
        {
            "session_id": a,
            "seq": 2,
            "t_s": 15.0,
            "actor": "trainee",
            "kind": "give_drug",
            "params": {"drug": "labetalol", "mg": 10},
            "outcome": "refused",
            "reason": "no order",
            "user_id": None,
            "user_name": None,
        },
    ]
    assert store.observations(a) == [
        {
            "session_id": a,
            "seq": 1,
            "t_s": 20.0,
            "kind": "sedation",
            "value": 2.0,
            "text": None,
            "actor": "instructor",
        },
        {
            "session_id": a,
            "seq": 2,
            "t_s": 21.0,
            "kind": "note",
            "value": None,
            "text": "patient anxious",
            "actor": "trainee",
        },
    ]
    assert store.session_events(a) == [
        {
            "session_id": a,
            "seq": 1,
            "t_s": 0.0,
            "kind": "phase",
            "source": "runtime",
            "detail": {"phase": "infusion"},
        },
    ]
    assert store.last_seq(a, "alarm_events") == 2
    assert store.last_seq(b, "actions") == 0
    assert store.events("observations", a, since_seq=1)[0]["text"] == "patient anxious"


def test_rows_may_be_plain_dicts(store: Store) -> None:
    sid = new_session(store)
    tick = TickWrite(
        samples=[
            {"session_id": sid, "t_s": 1.0, "channel": "HR", "value": 70.0, "quality": "ok",
             "true_value": 69.0},
            {"session_id": sid, "t_s": 2.0, "channel": "SPO2", "value": math.nan,
             "quality": "invalid"},
            (sid, 3.0, "RR", 14.0),
        ],
        alarm_events=[{"session_id": sid, "t_s": 1.0, "condition": "hr_high", "event": "onset",
                       "priority": "HIGH", "detail": {"a": 1}}],
        actions=[{"session_id": sid, "t_s": 1.0, "actor": "trainee", "kind": "pause_pump"}],
        observations=[{"session_id": sid, "t_s": 1.0, "kind": "note", "text": "calm",
                       "actor": "instructor"}],
        session_events=[{"session_id": sid, "t_s": 0.0, "kind": "session_started",
                         "source": "system", "detail": {"bed": "bed-1"}}],
    )  # fmt: skip
    store.write_tick(tick)
    assert [r["seq"] for r in tick.alarm_events] == [1]  # type: ignore[index]
    assert tick.observations[0]["seq"] == 1  # type: ignore[index]
    rows = list(store.samples(sid).itertuples(index=False, name=None))
    assert same(
        rows,
        [
            (1.0, "HR", 70.0, "ok", 69.0),
            (2.0, "SPO2", math.nan, "invalid", math.nan),
            (3.0, "RR", 14.0, "ok", math.nan),
        ],
    )
    assert store.alarm_events(sid)[0]["detail"] == {"a": 1}
    assert store.observations(sid)[0]["text"] == "calm"
    assert store.session_events(sid)[0]["kind"] == "session_started"

    bad = TickWrite(
        alarm_events=[{"session_id": sid, "t_s": 2.0, "condition": "c", "event": "onset"}],
        session_events=[{"session_id": sid, "t_s": 2.0, "kind": "x", "colour": "red"}],
    )
    with pytest.raises(StoreError, match="unknown keys"):
        store.write_tick(bad)
    assert "seq" not in bad.alarm_events[0]  # restored as it was
    assert len(store.alarm_events(sid)) == 1


def test_alarm_engine_events_convert(store: Store) -> None:
    sid = new_session(store)
    ev = AlarmEvent(
        40.0,
        "sbp_high",
        "escalated",
        Priority.HIGH,
        Priority.MEDIUM,
        182.0,
        180.0,
        "system",
        "bed-1",
        {"from": "MEDIUM"},
    )
    store.write_tick(TickWrite(alarm_events=[AlarmEventRow.of(sid, ev)]))
    (row,) = store.alarm_events(sid)
    assert (row["priority"], row["priority_base"], row["limit_value"]) == ("HIGH", "MEDIUM", 180.0)
    assert row["detail"] == {"from": "MEDIUM"}


def test_session_updates(store: Store) -> None:
    sid = new_session(store)
    store.write_tick(TickWrite(session_updates={sid: {"last_t_s": 61.0, "phase": "infusion"}}))
    s = store.session(sid)
    assert (s["last_t_s"], s["phase"], s["status"]) == (61.0, "infusion", "running")
    with pytest.raises(StoreError, match="unknown keys"):
        store.write_tick(TickWrite(session_updates={sid: {"bed_id": "x"}}))


# ------------------------------------------------------------ one transaction per tick


def _good_tick(sid: int, t: float) -> TickWrite:
    return TickWrite(
        samples=[SampleRow(sid, t + i, Channel.HR, 70.0 + i, "ok", 70.0) for i in range(5)],
        alarm_events=[AlarmEventRow(sid, t, "hr_high", "onset", "HIGH", "HIGH")],
        actions=[ActionRow(sid, t, "trainee", "acknowledge")],
        observations=[ObservationRow(sid, t, "pain", 3.0)],
        session_events=[SessionEventRow(sid, t, "note", "device")],
        session_updates={sid: {"last_t_s": t + 4}},
    )


BREAKERS = {
    "sample of an unknown session": lambda t: t.samples.append(SampleRow(99_999, 1, "HR", 1.0)),
    "event of an unknown session": lambda t: t.session_events.append(
        SessionEventRow(99_999, 1, "note")
    ),
    "bad quality": lambda t: t.samples.append(SampleRow(t.samples[0][0], 1, "HR", 1.0, "good")),
    "bad observation kind": lambda t: t.observations.append(
        ObservationRow(t.samples[0][0], 1, "mood", 1.0)
    ),
    "bad outcome": lambda t: t.actions.append(
        ActionRow(t.samples[0][0], 1, "trainee", "x", outcome="maybe")
    ),
    "update of an unknown session": lambda t: t.session_updates.update({99_999: {"phase": "x"}}),
    "bad status": lambda t: t.session_updates.update({t.samples[0][0]: {"status": "paused"}}),
    "unserialisable detail": lambda t: t.session_events.append(
        SessionEventRow(t.samples[0][0], 1, "note", detail={"x": object()})
    ),
}


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_failed_tick_leaves_nothing_and_keeps_what_was_committed(
    store: Store, breaker: str
) -> None:
    sid = new_session(store)
    store.write_tick(_good_tick(sid, 0.0))
    before = counts(store, sid)
    assert before == (5, 1, 1, 1, 1)

    bad = _good_tick(sid, 100.0)
    BREAKERS[breaker](bad)
    with pytest.raises(StoreError, match="nothing of it was stored"):
        store.write_tick(bad)
    assert counts(store, sid) == before
    assert store.session(sid)["last_t_s"] == 4.0
    assert store.session(sid)["status"] == "running"
    assert all(r.seq is None for r in [*bad.alarm_events, *bad.actions, *bad.observations])

    after = _good_tick(sid, 200.0)  # and the store goes on, numbering without a gap
    store.write_tick(after)
    assert after.alarm_events[0].seq == 2
    assert counts(store, sid) == (10, 2, 2, 2, 2)
    assert store.integrity_check() == []


# ----------------------------------------------------------------- session life cycle


def test_mark_running_interrupted_after_reopening(db_url: str) -> None:
    with Store(db_url) as store:
        running = [new_session(store, f"bed-{i}") for i in range(3)]
        ended = new_session(store, "bed-9")
        store.end_session(ended)
        paused = new_session(store, "bed-10")
        store.end_session(paused, "interrupted")
        store.write_tick(TickWrite(session_updates={running[0]: {"last_t_s": 90.0}}))
    with Store(db_url) as store:
        assert store.mark_running_interrupted() == running
        assert store.mark_running_interrupted() == []
        status = {s["id"]: s["status"] for s in store.sessions()}
        assert status == {
            **dict.fromkeys(running, "interrupted"),
            ended: "ended",
            paused: "interrupted",
        }
        assert store.session(ended)["ended_wall"] is not None

        resumed = store.resume_session(running[0])
        assert resumed["status"] == "running"
        assert resumed["last_t_s"] == 90.0
        store.close_session(running[1])
        closed = store.session(running[1])
        assert (closed["status"], closed["phase"]) == ("ended", "ended")
        assert closed["ended_wall"] == closed["started_wall"]  # last_t_s was 0
        store.close_session(running[2])

        with pytest.raises(StoreError, match="it is running"):
            store.close_session(running[0])
        with pytest.raises(StoreError, match="it is ended"):
            store.resume_session(ended)
        with pytest.raises(StoreError, match="no such session"):
            store.end_session(12_345)
        with pytest.raises(ValueError, match="ended"):
            store.end_session(running[0], "paused")
        store.end_session(running[0], ended_wall=T0 + timedelta(hours=2))
        assert store.session(running[0])["ended_wall"] == T0 + timedelta(hours=2)


def test_close_session_ends_at_the_last_time_written(store: Store) -> None:
    sid = new_session(store)
    store.write_tick(TickWrite(session_updates={sid: {"last_t_s": 3600.5}}))
    assert store.mark_running_interrupted() == [sid]
    store.close_session(sid)
    assert store.session(sid)["ended_wall"] == T0 + timedelta(seconds=3600.5)


# --------------------------------------------------------------------------- SQLite


def test_sqlite_settings_and_url_forms(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "v.db"
    with Store(path) as store:
        assert path.exists()
        engine = store._engine
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    url_path = tmp_path / "c" / "u.db"
    with Store(f"sqlite:///{url_path}") as store:
        new_session(store)
    assert url_path.exists()


def test_readers_in_threads_while_the_writer_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "v.db")
    sid = new_session(store)
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        try:
            seen = 0
            while not done.is_set():
                n = len(store.samples(sid))
                assert n % 50 == 0  # whole ticks only
                assert n >= seen
                seen = n
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for th in threads:
        th.start()
    for k in range(40):
        store.write_tick(
            TickWrite(samples=[SampleRow(sid, k * 50 + i, "HR", 1.0) for i in range(50)])
        )
    done.set()
    for th in threads:
        th.join()
    store.close()
    assert errors == []


# ---------------------------------------------------------------------- crash (SIGKILL)

BEDS, SECONDS, CHANNELS = 6, 60, ("HR", "SPO2", "RR", "PUMP_RATE", "KET_CE")
PER_SESSION = SECONDS * len(CHANNELS)

CHILD = f"""
import sys
from datetime import UTC, datetime
from vitalsdash.store import AlarmEventRow, SampleRow, SessionEventRow, Store, TickWrite

store = Store(sys.argv[1])
def new(bed):
    return store.create_session(bed, label=bed, scenario=None, seed=1, protocol=None,
                                alarm_profile=None, patient={{}}, started_wall=datetime.now(UTC))
sids = [new(f"bed-{{i}}") for i in range({BEDS})]
ended = new("bed-ended")
store.end_session(ended)
print("sessions", ended, *sids, flush=True)
k = 0
while True:
    tick = TickWrite()
    for sid in sids:
        for j in range({SECONDS}):
            t = k * {SECONDS} + j
            for c in {CHANNELS!r}:
                tick.samples.append(SampleRow(sid, t, c, float(k), "ok", float(j)))
        tick.alarm_events.append(AlarmEventRow(sid, k * {SECONDS}, "tick", "onset",
                                               detail={{"tick": k}}))
        tick.session_events.append(SessionEventRow(sid, k * {SECONDS}, "tick", detail={{"k": k}}))
        tick.session_updates[sid] = {{"last_t_s": k * {SECONDS} + {SECONDS - 1}}}
    store.write_tick(tick)
    print(k, flush=True)
    k += 1
"""


def test_sigkill_mid_run_loses_nothing_committed(db_url: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[int] = []
    try:
        assert child.stdout is not None
        header = child.stdout.readline().split()
        assert header[:1] == ["sessions"], child.stderr.read() if child.stderr else ""
        ended, sids = int(header[1]), [int(x) for x in header[2:]]
        target = random.Random().randint(6, 14)
        while len(reported) < target:
            line = child.stdout.readline()
            assert line, f"child died: {child.stderr.read() if child.stderr else ''}"
            reported.append(int(line))
        time.sleep(random.Random().uniform(0.0, 0.03))  # land inside a later write
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()  # what it printed before dying was committed
        reported += [int(x) for x in rest.split()]
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert reported == list(range(len(reported)))
    last = reported[-1]

    with Store(db_url) as store:
        assert store.integrity_check() == []
        for sid in sids:
            df = store.samples(sid)
            ticks = (df["t_s"] // SECONDS).astype(int)
            per_tick = ticks.value_counts().sort_index()
            present = list(per_tick.index)
            # every reported tick in full, at most one more (committed, not yet printed)
            assert present[: last + 1] == list(range(last + 1))
            assert len(present) in (last + 1, last + 2)
            assert (per_tick == PER_SESSION).all(), "a partial tick was stored"
            assert (df["value"] == ticks.astype(float)).all()
            n = len(present)
            assert [e["detail"]["tick"] for e in store.alarm_events(sid)] == list(range(n))
            assert [e["detail"]["k"] for e in store.session_events(sid)] == list(range(n))
            assert store.session(sid)["last_t_s"] == (n - 1) * SECONDS + SECONDS - 1
        assert store.mark_running_interrupted() == sorted(sids)
        assert store.session(ended)["status"] == "ended"
        store.write_tick(  # and the store carries on where it stopped
            TickWrite(samples=[SampleRow(sids[0], 1e6, "HR", 1.0)])
        )
        assert store.integrity_check() == []
