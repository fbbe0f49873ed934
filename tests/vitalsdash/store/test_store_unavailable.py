"""A store out of reach: reads say so with StoreUnavailableError, and read again after.

Real failures, no mocks: a SQLite file locked by another process's connection (exclusive
locking mode: no reader gets in), and a PostgreSQL database whose connections are cut
and refused (``ALLOW_CONNECTIONS false``, as while the server restarts). A statement the
database refuses (a table that is not there) is no outage: it stays the driver's error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlite_lock import sqlite_locked

from vitalsdash.store import (
    STORE_UNAVAILABLE_WORDS,
    SessionEventRow,
    Store,
    StoreError,
    StoreUnavailableError,
    TickWrite,
)

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
LOCK_WAIT_S = 0.2
"""The store's busy timeout in these tests: how long a read waits for a locked file."""

READS: dict[str, Callable[[Store, int], Any]] = {
    "sessions": lambda st, sid: st.sessions(),
    "session": lambda st, sid: st.session(sid),
    "samples": lambda st, sid: st.samples(sid),
    "latest_samples": lambda st, sid: st.latest_samples(sid),
    "session_events": lambda st, sid: st.session_events(sid),
    "interruption_events": lambda st, sid: st.interruption_events(),
    "wave_spans": lambda st, sid: st.wave_spans(sid),
    "patients": lambda st, sid: st.patients(),
    "user_by_name": lambda st, sid: st.user_by_name("Ana"),
    "chair_assignments": lambda st, sid: st.chair_assignments(),
}


def _filled(store: Store) -> int:
    sid = store.create_session("chair1", label="Chair 1", scenario="uneventful-depression",
                               seed=1, protocol=None, alarm_profile=None, patient={},
                               started_wall=T0)  # fmt: skip
    store.write_tick(
        TickWrite(
            samples=[(sid, 1.0, "hr", 72.0, "ok", 72.0)],
            session_events=[SessionEventRow(sid, 1.0, "note", "system", {})],
        )
    )
    return sid


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[tuple[Path, Store, int]]:
    path = tmp_path / "store.sqlite"
    store = Store(path, busy_timeout_s=LOCK_WAIT_S)
    try:
        yield path, store, _filled(store)
    finally:
        store.close()


@pytest.mark.parametrize("read", sorted(READS))
def test_sqlite_locked_reads_raise_store_unavailable_then_read_again(
    sqlite_store: tuple[Path, Store, int], read: str
) -> None:
    path, store, sid = sqlite_store
    before = READS[read](store, sid)
    with sqlite_locked(path, store), pytest.raises(StoreUnavailableError) as caught:
        READS[read](store, sid)
    err = caught.value
    assert isinstance(err, StoreError)  # what the runtime's callers already catch
    assert "database is locked" in str(err)
    assert "\n" not in str(err)  # one line for the log
    assert err.words == STORE_UNAVAILABLE_WORDS
    after = READS[read](store, sid)  # the lock is gone: the same answer as before
    if read == "samples":
        assert after.equals(before)
    else:
        assert after == before


def test_a_missing_table_is_no_outage(sqlite_store: tuple[Path, Store, int]) -> None:
    """SQLite says "no such table" with the same exception type as "database is locked":
    a damaged database is a fault to see in the log, not a moment to wait out."""
    path, store, _ = sqlite_store
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE course_sessions")
    with pytest.raises(OperationalError, match="no such table"):
        store.course(1)


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_cut_and_refused_reads_raise_store_unavailable_then_read_again(
    postgres_url: str,
) -> None:
    url = make_url(postgres_url)
    name = url.database
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    store = Store(postgres_url)
    try:
        sid = _filled(store)
        before = {read: fn(store, sid) for read, fn in READS.items() if read != "samples"}

        def cut(*, refuse: bool) -> None:
            with admin.connect() as conn:
                if refuse:
                    conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = :name AND pid <> pg_backend_pid()"),
                    {"name": name},
                )  # fmt: skip

        cut(refuse=False)  # a restart already over: the pool's pre-ping reconnects unseen
        assert store.sessions() == before["sessions"]
        cut(refuse=True)
        try:
            for read, fn in READS.items():
                with pytest.raises(StoreUnavailableError) as caught:
                    fn(store, sid)
                assert name in str(caught.value), read
                assert "\n" not in str(caught.value)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        assert {read: READS[read](store, sid) for read in before} == before
        assert len(store.samples(sid)) == 1
    finally:
        store.close()
        admin.dispose()
