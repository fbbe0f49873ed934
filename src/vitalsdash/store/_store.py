"""The session store: SQLAlchemy Core over a SQLite file (default) or PostgreSQL (by URL).

One writer (the runtime) commits everything a tick produced, for every bed, in ONE
transaction (:meth:`Store.write_tick`); the reads (``_reads``) use short read
transactions on pooled connections, so the store may be shared by threads; a read that
finds the database out of reach raises :class:`StoreUnavailableError` (``_errors``).
What a tick carries and how its rows are encoded is ``_codec``; the tables are
``_schema``.

Times are seconds from session start (``t_s``); each session row carries its wall-clock
anchor ``started_wall`` (UTC).

Sequence numbers. ``alarm_events``, ``actions``, ``observations`` and ``session_events``
each number their rows per session 1, 2, 3... The STORE assigns them inside the tick's
transaction (max + 1 per session and table) and writes them back into the ``seq`` field
of the row objects of the tick, so ``Feed.append(tick)`` after the commit sees the same
numbers (dict rows get a ``"seq"`` key); any ``seq`` the caller set is overwritten, and
restored if the tick fails. The feed and the API use them as cursors (``since_seq`` is
exclusive). Only one process may write a given database (the runtime); the
(session_id, seq) primary key refuses a second writer's clash instead of interleaving.

Durability. SQLite runs in WAL mode with ``synchronous=NORMAL``: a commit is appended to
the WAL (in the OS's page cache) before ``write_tick`` returns, so killing the process
(SIGKILL, a crash) loses nothing committed (the crash test proves it); only an OS crash
or power loss may roll back the most recent commits, the file staying consistent. Power
loss is out of scope for a training tool (use ``synchronous=FULL`` or PostgreSQL if it
ever matters). Foreign keys are on; a busy timeout lets readers in other processes
wait out a checkpoint. On start-up the runtime calls :meth:`Store.mark_running_interrupted`:
sessions left ``running`` by a crash become ``interrupted`` and can be resumed or closed;
given the restart's wall time it also records a ``monitoring_interrupted`` session event in
each, measured from the session's ``last_write_wall`` (set by every tick's update).

Schema. ``schema_meta.schema_version`` names the layout; opening an older database
upgrades it (``_schema.MIGRATIONS``), a newer one raises :class:`SchemaVersionError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from vitalsdash import __version__, interruptions
from vitalsdash.store import _schema
from vitalsdash.store._accounts import StoreAccounts
from vitalsdash.store._codec import (
    TickWrite,
    as_event_row,
    event_record,
    json_dumps,
    opt_str,
    parse_wall,
    plain_json,
    safe_text,
    sample_tuples,
    wall_text,
)
from vitalsdash.store._errors import (
    SchemaVersionError,
    StoreError,
    StoreWriteError,
)
from vitalsdash.store._reads import StoreReads
from vitalsdash.store._waves import WaveFolder

SCHEMA_VERSION = _schema.SCHEMA_VERSION

_UPDATE_KEYS = frozenset({"last_t_s", "phase", "status", "last_write_wall", "ended_wall",
                          "discharged_at", "discharged_t_s", "discharged_by",
                          "discharge_note"})  # fmt: skip
_MISSING = object()
_PG_SCHEMA_LOCK = 0x76697461  # pg_advisory_xact_lock key held while creating/upgrading
_SAMPLE_KEYS = ("session_id", "t_s", "channel", "value", "quality", "true_value")


def _get_seq(row: Any) -> Any:
    return row.get("seq", _MISSING) if isinstance(row, Mapping) else row.seq


def _set_seq(row: Any, seq: Any) -> None:
    if not isinstance(row, Mapping):
        row.seq = seq
    elif seq is _MISSING:
        row.pop("seq", None)
    else:
        row["seq"] = seq


def _url_of(url_or_path: str | os.PathLike[str] | URL) -> URL:
    if isinstance(url_or_path, URL):
        url = url_or_path
    elif isinstance(url_or_path, os.PathLike) or "://" not in str(url_or_path):
        path = Path(url_or_path).expanduser().resolve()
        return URL.create("sqlite+pysqlite", database=str(path))
    else:
        url = make_url(str(url_or_path))
    if url.drivername == "postgresql":  # the driver this project installs
        url = url.set(drivername="postgresql+psycopg")
    return url


# ------------------------------------------------------------------------------ store


class Store(StoreReads, StoreAccounts):
    """The database of sessions, samples and events.

    ``Store(path)`` opens (creating it and its parent folders) a SQLite file;
    ``Store("postgresql+psycopg://user@host/db")`` a PostgreSQL database (``postgresql://``
    means the same). The schema is created or upgraded on open.
    """

    def __init__(
        self, url_or_path: str | os.PathLike[str] | URL, *, busy_timeout_s: float = 10.0
    ) -> None:
        try:
            url = _url_of(url_or_path)
        except (SQLAlchemyError, ValueError) as exc:  # ArgumentError: not a URL at all
            raise StoreError(f"{url_or_path!s:.200}: not a database URL ({exc})") from None
        self.url = url
        self.dialect = url.get_backend_name()
        self._name = url.render_as_string(hide_password=True)
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(f"{self._name}: {self.dialect} databases are not supported "
                             "(use a SQLite file path or a postgresql:// URL)")  # fmt: skip
        kwargs: dict[str, Any] = {
            "json_serializer": json_dumps,
            "json_deserializer": json.loads,
        }
        if self.dialect == "sqlite":
            database = url.database or ""
            memory = database in ("", ":memory:") or "mode=memory" in str(url)
            # the driver's own wait for a locked file (the set-up PRAGMAs of a new connection
            # run under it) is the busy timeout too, not pysqlite's default 5 s
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_s}
            if memory:
                kwargs["poolclass"] = StaticPool
            else:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._engine = create_engine(url, **kwargs)
            self._install_sqlite_hooks(self._engine, busy_timeout_s, memory)
        else:
            self._engine = create_engine(url, pool_pre_ping=True, **kwargs)
        self._writer = self._engine.execution_options(vitalsdash_write=True)
        self._waves = WaveFolder()
        self._sample_sql: str | None = None
        if self.dialect == "sqlite":
            compiled = _schema.samples.insert().compile(
                dialect=self._engine.dialect, column_keys=list(_SAMPLE_KEYS)
            )
            if compiled.positiontup != list(_SAMPLE_KEYS):  # pragma: no cover - SQLAlchemy change
                raise StoreError(f"unexpected sample insert parameters {compiled.positiontup}")
            self._sample_sql = str(compiled)
        try:
            self.schema_version = self._open_schema()
        except BaseException:
            self._engine.dispose()
            raise

    # -- set-up

    def _install_sqlite_hooks(self, engine: Engine, busy_timeout_s: float, memory: bool) -> None:
        name = self._name

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # we issue BEGIN ourselves (below), so pysqlite must not open transactions
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            try:
                mode = cur.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if not memory and str(mode).lower() != "wal":
                    raise StoreError(f"{name}: SQLite refused WAL journal mode (got {mode!r})")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # writers take the write lock up front: no deadlock-prone lock upgrade mid-tick
            write = conn.get_execution_options().get("vitalsdash_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    def _open_schema(self) -> int:
        try:
            with self._writer.begin() as conn:
                if self.dialect == "postgresql":  # processes opening at once: one at a time
                    conn.execute(select(func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
                tables = set(inspect(conn).get_table_names())
                if "schema_meta" not in tables:
                    ours = sorted(tables & set(_schema.DATA_TABLES))
                    if ours:
                        raise SchemaVersionError(
                            f"{self._name}: has tables {', '.join(ours)} but no schema_meta "
                            "table: not a vitalsdash database (or a damaged one)"
                        )
                    _schema.metadata.create_all(conn)
                    self._set_version(conn, _schema.SCHEMA_VERSION, insert=True)
                    return _schema.SCHEMA_VERSION
                found = self._read_version(conn)
                current = _schema.SCHEMA_VERSION
                if found > current:
                    raise SchemaVersionError(
                        f"{self._name}: the database has schema version {found}, newer than "
                        f"version {current} that vitalsdash {__version__} understands; "
                        "open it with a newer vitalsdash (or use another database file)"
                    )
                for v in range(found, current):
                    step = _schema.MIGRATIONS.get(v)
                    if step is None:
                        raise SchemaVersionError(
                            f"{self._name}: no upgrade from schema version {v} to {v + 1} "
                            f"(database at version {found}, code at version {current})"
                        )
                    step(conn)
                if found < current:
                    self._set_version(conn, current)
                return current
        except SQLAlchemyError as exc:
            # the driver's words on one line (SQLAlchemy's own text adds a help link)
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            raise StoreError(f"{self._name}: cannot open the store: {reason}") from exc

    def _read_version(self, conn: Connection) -> int:
        t = _schema.schema_meta
        raw = conn.execute(select(t.c.value).where(t.c.key == "schema_version")).scalar()
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SchemaVersionError(
                f"{self._name}: schema_meta has no readable schema_version (got {raw!r})"
            ) from None

    @staticmethod
    def _set_version(conn: Connection, version: int, *, insert: bool = False) -> None:
        t = _schema.schema_meta
        if insert:
            conn.execute(t.insert(), [{"key": "schema_version", "value": str(version)}])
        else:
            conn.execute(update(t).where(t.c.key == "schema_version").values(value=str(version)))

    def close(self) -> None:
        """Close every pooled connection (SQLite checkpoints the WAL on the last one)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._name!r})"

    # -- sessions

    def create_session(
        self,
        bed_id: str,
        *,
        label: str,
        scenario: str | None,
        seed: int | None,
        protocol: str | None,
        alarm_profile: str | None,
        patient: Mapping[str, Any],
        started_wall: datetime,
        course: tuple[int, int] | None = None,
    ) -> int:
        """A new ``running`` session at t = 0; ``started_wall`` (timezone-aware) anchors it.
        ``course``: (patient id, session number) when it is a session of a patient's
        course, recorded in the same transaction (StoreError if that number is taken)."""
        values = {
            "bed_id": safe_text(bed_id),
            "label": safe_text(label),
            "scenario": opt_str(scenario),
            "seed": None if seed is None else int(seed),
            "protocol": opt_str(protocol),
            "alarm_profile": opt_str(alarm_profile),
            "patient": plain_json(dict(patient)),
            "status": "running",
            "phase": None,
            "started_wall": wall_text(started_wall),
            "last_t_s": 0.0,
            "ended_wall": None,
        }
        t = _schema.sessions
        try:
            with self._writer.begin() as conn:
                sid = int(conn.execute(t.insert().values(**values)).inserted_primary_key[0])
                if course is not None:
                    self._add_to_course(conn, sid, *course)
                return sid
        except SQLAlchemyError as exc:
            raise StoreWriteError(f"session not created: {exc}") from exc

    @staticmethod
    def _add_to_course(conn: Connection, session_id: int, patient_id: int, number: int) -> None:
        c = _schema.course_sessions
        same = (c.c.patient_id == int(patient_id)) & (c.c.session_number == int(number))
        taken = conn.execute(select(c.c.session_id).where(same)).scalar()
        if taken is not None:
            raise StoreError(f"session not created: session {number} of patient {patient_id} "
                             f"is already session {taken}")  # fmt: skip
        conn.execute(c.insert().values(patient_id=int(patient_id), session_number=int(number),
                                       session_id=int(session_id)))  # fmt: skip

    # -- a course of sessions

    def create_patient(
        self,
        *,
        name: str,
        scenario: str,
        seed: int,
        sessions_planned: int,
        bed_id: str | None,
        facts: Mapping[str, Any],
        created_wall: datetime,
    ) -> int:
        """A new named virtual patient for a course of ``sessions_planned`` sessions: the
        ``scenario`` with ``seed`` is who the patient is; ``facts`` what was drawn."""
        if int(sessions_planned) < 1:
            raise ValueError(f"sessions_planned must be at least 1 (got {sessions_planned})")
        values = {
            "name": safe_text(name),
            "scenario": safe_text(scenario),
            "seed": int(seed),
            "sessions_planned": int(sessions_planned),
            "bed_id": opt_str(bed_id),
            "facts": plain_json(dict(facts)),
            "created_wall": wall_text(created_wall),
        }
        t = _schema.patients
        try:
            with self._writer.begin() as conn:
                return int(conn.execute(t.insert().values(**values)).inserted_primary_key[0])
        except SQLAlchemyError as exc:
            raise StoreWriteError(f"patient not created: {exc}") from exc

    def _transition(
        self,
        session_id: int,
        allowed_from: tuple[str, ...],
        values: dict[str, Any] | Callable[[Any], dict[str, Any]],
        what: str,
    ) -> None:
        """Change a session's row if its status is one of ``allowed_from`` (else StoreError);
        ``values`` may be computed from the current row."""
        t = _schema.sessions
        try:
            with self._writer.begin() as conn:
                row = conn.execute(select(t).where(t.c.id == session_id).with_for_update()).first()
                if row is None:
                    raise StoreError(f"cannot {what} session {session_id}: no such session")
                if row.status not in allowed_from:
                    raise StoreError(
                        f"cannot {what} session {session_id}: it is {row.status} "
                        f"(must be {' or '.join(allowed_from)})"
                    )
                if callable(values):
                    values = values(row)
                conn.execute(update(t).where(t.c.id == session_id).values(**values))
        except SQLAlchemyError as exc:
            raise StoreWriteError(f"cannot {what} session {session_id}: {exc}") from exc

    def end_session(
        self, session_id: int, status: str = "ended", *, ended_wall: datetime | None = None
    ) -> None:
        """A running (or interrupted) session ends: ``ended``, phase ended, ``ended_wall`` now
        or as given (``close_session`` dates an interrupted one at its last time instead);
        or a running one stops resumably: ``interrupted`` (e.g. a clean shutdown)."""
        if status == "ended":
            wall = wall_text(ended_wall or datetime.now(UTC))
            values: dict[str, Any] = {"status": "ended", "phase": "ended", "ended_wall": wall}
            allowed: tuple[str, ...] = ("running", "interrupted")
        elif status == "interrupted":
            values, allowed = {"status": "interrupted"}, ("running",)
        else:
            raise ValueError(f"status must be 'ended' or 'interrupted' (got {status!r})")
        self._transition(session_id, allowed, values, "end")

    def mark_running_interrupted(self, restart_wall: datetime | None = None) -> list[int]:
        """On start-up: every session still ``running`` (the last process died) becomes
        ``interrupted``. Returns their ids, ascending. With ``restart_wall`` each also gets
        a ``monitoring_interrupted`` session event at its last stored second, in the same
        transaction (a crash now cannot leave one marked but unrecorded)."""
        t = _schema.sessions
        try:
            with self._writer.begin() as conn:
                rows = conn.execute(
                    select(t.c.id, t.c.last_t_s, t.c.last_write_wall)
                    .where(t.c.status == "running")
                    .order_by(t.c.id)
                ).all()
                ids = [int(r.id) for r in rows]
                if ids:
                    conn.execute(update(t).where(t.c.id.in_(ids)).values(status="interrupted"))
                if ids and restart_wall is not None:
                    wall_text(restart_wall)  # timezone-aware, or refused
                    events = [
                        {"session_id": int(r.id), "t_s": float(r.last_t_s),
                         "kind": interruptions.INTERRUPTED, "source": "system",
                         "detail": interruptions.interrupted_detail(
                             parse_wall(r.last_write_wall), restart_wall)}
                        for r in rows
                    ]  # fmt: skip
                    self._insert_events(conn, "session_events", events)
                return ids
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot mark running sessions interrupted: {exc}") from exc

    def resume_session(self, session_id: int) -> dict[str, Any]:
        """An interrupted session runs again; returns it (``last_t_s`` says where it stopped)."""
        self._transition(session_id, ("interrupted",), {"status": "running"}, "resume")
        session = self.session(session_id)
        assert session is not None
        return session

    def close_session(self, session_id: int) -> None:
        """An interrupted session is given up: ``ended``, its end at the last time written."""

        def values(row: Any) -> dict[str, Any]:
            end = datetime.fromisoformat(row.started_wall) + timedelta(seconds=row.last_t_s)
            return {"status": "ended", "phase": "ended", "ended_wall": wall_text(end)}

        self._transition(session_id, ("interrupted",), values, "close")

    # -- the tick

    def write_tick(self, tick: TickWrite) -> None:
        """Write everything in ``tick`` in ONE transaction: all of it or, on any error
        (:class:`StoreError`), none of it. Assigns ``seq`` to the tick's event rows. The
        waveform segments go into the same transaction, where short rows written by
        earlier ticks may be folded into longer ones (``_waves``): a tick whose samples
        are stored has its waveforms stored too."""
        events = tick.events()
        saved = {k: [_get_seq(r) for r in rows] for k, rows in events.items()}
        try:
            with self._waves.lock if tick.waves else nullcontext():
                # compressed before the database's write lock is taken
                waves = self._waves.plan(tick.waves) if tick.waves else None
                with self._writer.begin() as conn:
                    if tick.samples:
                        self._insert_samples(conn, tick.samples)
                    if waves is not None:
                        waves.execute(conn)
                    for kind, rows in events.items():
                        if rows:
                            self._insert_events(conn, kind, rows)
                    if tick.session_updates:
                        self._update_sessions(conn, tick.session_updates)
                    if tick.hl7_received:
                        self._insert_hl7_received(conn, tick.hl7_received)
                if waves is not None:
                    self._waves.committed(waves)
        except BaseException as exc:
            for kind, seqs in saved.items():
                for row, seq in zip(events[kind], seqs, strict=True):
                    _set_seq(row, seq)
            if isinstance(exc, StoreError):
                raise
            if isinstance(exc, (SQLAlchemyError, ValueError, TypeError, IndexError)):
                reason = getattr(exc, "orig", None) or exc
                msg = f"tick not written (nothing of it was stored): {reason}"
                raise StoreWriteError(msg) from exc
            raise

    @staticmethod
    def _insert_hl7_received(conn: Connection, rows: list[tuple[str, str, int]]) -> None:
        now = wall_text(datetime.now(UTC))
        conn.execute(_schema.hl7_received.insert(),
                     [{"sender": str(k), "control_id": str(c), "session_id": int(sid),
                       "received_wall": now} for k, c, sid in rows])  # fmt: skip

    def _insert_samples(self, conn: Connection, rows: list[Any]) -> None:
        params = [
            (
                int(s[0]),
                float(s[1]),
                safe_text(s[2]),
                None if s[3] is None or s[3] != s[3] else float(s[3]),
                safe_text(s[4]),
                None if s[5] is None or s[5] != s[5] else float(s[5]),
            )
            for s in sample_tuples(rows)
        ]
        if self._sample_sql is not None:
            # SQLite: the statement compiled from the table, executemany on the driver:
            # twice the rate of per-row parameter processing (see benchmarks/bench_store.py)
            conn.exec_driver_sql(self._sample_sql, params)
        else:
            conn.execute(
                _schema.samples.insert(), [dict(zip(_SAMPLE_KEYS, p, strict=True)) for p in params]
            )

    @staticmethod
    def _insert_events(conn: Connection, kind: str, rows: list[Any]) -> None:
        table = _schema.EVENT_TABLES[kind]
        typed = [as_event_row(kind, r) for r in rows]
        ids = {int(r.session_id) for r in typed}
        nxt = {
            int(sid): int(top)
            for sid, top in conn.execute(
                select(table.c.session_id, func.max(table.c.seq))
                .where(table.c.session_id.in_(ids))
                .group_by(table.c.session_id)
            )
        }
        for original, r in zip(rows, typed, strict=True):
            sid = int(r.session_id)
            nxt[sid] = nxt.get(sid, 0) + 1
            r.seq = nxt[sid]
            if original is not r:  # a dict: the caller (and the feed) read seq from it
                original["seq"] = r.seq
        conn.execute(table.insert(), [event_record(kind, r) for r in typed])

    @staticmethod
    def _update_sessions(conn: Connection, updates: Mapping[int, Mapping[str, Any]]) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for session_id, changes in updates.items():
            unknown = set(changes) - _UPDATE_KEYS
            if unknown:
                raise ValueError(
                    f"session_updates[{session_id}]: unknown keys {sorted(unknown)} "
                    f"(allowed: {', '.join(sorted(_UPDATE_KEYS))})"
                )
            params: dict[str, Any] = {"b_id": int(session_id)}
            if "last_t_s" in changes:
                params["b_last_t_s"] = float(changes["last_t_s"])
            if "phase" in changes:
                params["b_phase"] = opt_str(changes["phase"])
            if "status" in changes:
                params["b_status"] = str(changes["status"])
            if "last_write_wall" in changes:
                params["b_last_write_wall"] = wall_text(changes["last_write_wall"])
            if "ended_wall" in changes:  # an end stored with the tick that ends it
                params["b_ended_wall"] = wall_text(changes["ended_wall"])
            if "discharged_at" in changes:  # a discharge: when, by whom, the note
                params["b_discharged_at"] = wall_text(changes["discharged_at"])
            if "discharged_t_s" in changes:
                params["b_discharged_t_s"] = float(changes["discharged_t_s"])
            if "discharged_by" in changes:
                params["b_discharged_by"] = opt_str(changes["discharged_by"])
            if "discharge_note" in changes:
                params["b_discharge_note"] = opt_str(changes["discharge_note"])
            keys = tuple(k[2:] for k in params if k != "b_id")
            if keys:
                groups.setdefault(keys, []).append(params)
        t = _schema.sessions
        ids = {p["b_id"] for rows in groups.values() for p in rows}
        if not ids:
            return
        found = set(conn.execute(select(t.c.id).where(t.c.id.in_(ids))).scalars())
        if found != ids:
            raise StoreError(
                "tick not written (nothing of it was stored): session_updates names "
                f"sessions that do not exist: {sorted(ids - found)}"
            )
        for keys, rows in groups.items():
            stmt = (
                update(t)
                .where(t.c.id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in keys})
            )
            conn.execute(stmt, rows)

    # -- checks

    def integrity_check(self) -> list[str]:
        """Problems found (empty when fine): SQLite's integrity and foreign-key checks;
        on PostgreSQL a round trip and the schema version."""
        problems: list[str] = []
        try:
            with self._engine.connect() as conn:
                if self.dialect == "sqlite":
                    rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                    if rows != ["ok"]:
                        problems.extend(str(r) for r in rows)
                    for r in conn.exec_driver_sql("PRAGMA foreign_key_check"):
                        problems.append(f"foreign key violation: {tuple(r)}")
                else:
                    conn.exec_driver_sql("SELECT 1").scalar()
                version = self._read_version(conn)
                if version != _schema.SCHEMA_VERSION:
                    problems.append(f"schema version {version}, expected {_schema.SCHEMA_VERSION}")
        except (SQLAlchemyError, StoreError) as exc:
            problems.append(f"check failed: {exc}")
        return problems
