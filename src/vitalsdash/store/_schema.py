"""The store's tables (SQLAlchemy Core) and the schema version with its upgrade steps.

Private to :mod:`vitalsdash.store`. The same metadata creates the schema on SQLite and on
PostgreSQL; types that differ (integer keys, JSON) are declared with per-dialect variants.

Versioning: ``schema_meta`` holds ``schema_version``. A database at an older version is
upgraded on open by running ``MIGRATIONS[v]`` (v -> v+1) for each missing step, in the
same transaction that bumps the version; a newer version is refused (see store.py).
To change the schema: edit the tables below, increment ``SCHEMA_VERSION`` and add
``MIGRATIONS[old]`` that brings an existing database from ``old`` to the new layout.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

SCHEMA_VERSION = 8
"""The layout this code reads and writes."""

SESSION_STATUSES = ("running", "ended", "interrupted", "discharged")
SAMPLE_QUALITIES = ("ok", "artefact", "invalid")
ACTION_OUTCOMES = ("ok", "refused")
OBSERVATION_KINDS = ("sedation", "dissociation", "nausea", "pain", "alertness", "note")

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid (auto-assigned, insertion
# ordered); PostgreSQL gets 64-bit identities.
ID = BigInteger().with_variant(Integer(), "sqlite")
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


metadata = MetaData()

schema_meta = Table(
    "schema_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("bed_id", String(64), nullable=False),
    Column("label", String(200), nullable=False),
    Column("scenario", String(200), nullable=True),
    Column("seed", BigInteger, nullable=True),
    Column("protocol", String(200), nullable=True),
    Column("alarm_profile", String(200), nullable=True),
    Column("patient", JSON_DOC, nullable=False),
    Column("status", String(16), nullable=False),
    Column("phase", String(32), nullable=True),
    Column("started_wall", String(40), nullable=False),  # UTC ISO 8601, the t=0 anchor
    Column("last_t_s", Double, nullable=False),
    Column("ended_wall", String(40), nullable=True),
    # UTC ISO 8601 of the last tick written: a restart measures the interruption from it
    Column("last_write_wall", String(40), nullable=True),
    # a discharge (status "discharged"): when (wall, UTC ISO 8601, and session time), who
    # (trainee or instructor) and the note they wrote; NULL for any other end
    Column("discharged_at", String(40), nullable=True),
    Column("discharged_t_s", Double, nullable=True),
    Column("discharged_by", String(32), nullable=True),
    Column("discharge_note", Text, nullable=True),
    CheckConstraint(_in("status", SESSION_STATUSES), name="ck_sessions_status"),
    Index("ix_sessions_status", "status"),
    Index("ix_sessions_bed", "bed_id", "id"),
    sqlite_autoincrement=True,  # never reuse a session id
)

samples = Table(
    "samples",
    metadata,
    # insertion order: "ordered by t, then insertion" sorts by (t_s, id)
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("session_id", ID, ForeignKey("sessions.id"), nullable=False),
    Column("t_s", Double, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("value", Double, nullable=True),  # NULL for NaN (invalid quality)
    Column("quality", String(16), nullable=False),
    Column("true_value", Double, nullable=True),
    CheckConstraint(_in("quality", SAMPLE_QUALITIES), name="ck_samples_quality"),
    Index("ix_samples_session_t", "session_id", "t_s", "id"),
)


def _event_table(name: str, *columns: Column, checks: tuple[CheckConstraint, ...] = ()) -> Table:
    """A per-session log: primary key (session_id, seq), seq counting 1, 2, 3... per session."""
    return Table(
        name,
        metadata,
        Column("session_id", ID, ForeignKey("sessions.id"), primary_key=True),
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("t_s", Double, nullable=False),
        *columns,
        *checks,
        CheckConstraint("seq >= 1", name=f"ck_{name}_seq"),
    )


alarm_events = _event_table(
    "alarm_events",
    Column("condition", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("priority", String(8), nullable=True),  # HIGH | MEDIUM | LOW (in force)
    Column("priority_base", String(8), nullable=True),  # as the profile gives it
    Column("value", Double, nullable=True),
    Column("limit_value", Double, nullable=True),
    Column("actor", String(32), nullable=False),
    Column("detail", JSON_DOC, nullable=False),
)

actions = _event_table(
    "actions",
    Column("actor", String(32), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("params", JSON_DOC, nullable=False),
    Column("outcome", String(8), nullable=False),
    Column("reason", Text, nullable=True),
    Column("user_id", ID, nullable=True),  # who acted, as logged in (no login: NULL)
    Column("user_name", String(64), nullable=True),  # their name then (kept if removed)
    checks=(CheckConstraint(_in("outcome", ACTION_OUTCOMES), name="ck_actions_outcome"),),
)

observations = _event_table(
    "observations",
    Column("kind", String(16), nullable=False),
    Column("value", Double, nullable=True),
    Column("text", Text, nullable=True),
    Column("actor", String(32), nullable=False),
    checks=(CheckConstraint(_in("kind", OBSERVATION_KINDS), name="ck_observations_kind"),),
)

session_events = _event_table(
    "session_events",
    Column("kind", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("detail", JSON_DOC, nullable=False),
)

# finds the few interruption events among a clinic's session events (GET /api/sessions)
Index("ix_session_events_kind", session_events.c.kind)

hl7_received = Table(
    "hl7_received",
    metadata,
    # a device's message control id (MSH-10) once its readings are stored: a resend
    # (lost ACK, reconnect, restart) is recognised, and not stored twice
    Column("sender", String(200), primary_key=True),
    Column("control_id", String(200), primary_key=True),
    Column("session_id", ID, ForeignKey("sessions.id"), nullable=False),
    Column("received_wall", String(40), nullable=False),  # UTC ISO 8601
)

# A course of sessions: a named virtual patient (its scenario and seed make it the same
# simulated person every time) and which stored session was its session 1, 2, 3...
patients = Table(
    "patients",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("scenario", String(200), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("sessions_planned", Integer, nullable=False),
    Column("bed_id", String(64), nullable=True),  # the chair it was created for
    Column("facts", JSON_DOC, nullable=False),  # age, sex, weight, hypertension as drawn
    Column("created_wall", String(40), nullable=False),  # UTC ISO 8601
    CheckConstraint("sessions_planned >= 1", name="ck_patients_planned"),
    sqlite_autoincrement=True,  # never reuse a patient id
)

course_sessions = Table(
    "course_sessions",
    metadata,
    Column("patient_id", ID, ForeignKey("patients.id"), primary_key=True),
    Column("session_number", Integer, primary_key=True, autoincrement=False),
    Column("session_id", ID, ForeignKey("sessions.id"), nullable=False, unique=True),
    CheckConstraint("session_number >= 1", name="ck_course_sessions_number"),
)

# The waveforms (ECG II, pleth, capnogram: hundreds of samples a second per bed), one row
# per stretch of one wave. ``data`` is the stretch as vitalsdash.waves' int16 counts of
# ``scale`` (differences from the previous sample, absolute after a gap, -32768 for no
# sample), compressed with zlib: the differences of a smooth wave are small numbers that
# repeat, so they take a fraction of their 2 bytes a sample (docs/benchmarks.md has the
# bytes per bed-hour). ``scale`` is kept per row so that a later change of a wave's
# resolution leaves stored rows readable. ``waveforms`` holds the stretches of
# WAVE_ROW_MAX_S seconds; ``waveforms_recent`` the last few seconds of each wave, as the
# ticks brought them, until they make such a stretch (store/_waves.py says why two tables).
WAVE_ROW_MAX_S = 10.0
"""The longest stretch one waveform row holds (a read looks this far back for a row that
overlaps its window)."""


def _wave_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", ID, primary_key=True, autoincrement=True),
        Column("session_id", ID, ForeignKey("sessions.id"), nullable=False),
        Column("wave", String(32), nullable=False),  # the channel registry's id: ECG_II ...
        Column("t0_s", Double, nullable=False),  # time of the first sample, session seconds
        Column("sample_rate_hz", Integer, nullable=False),
        Column("n", Integer, nullable=False),  # samples in the row
        Column("scale", Double, nullable=False),  # the wave's unit per count
        Column("data", LargeBinary, nullable=False),  # zlib(int16 little-endian counts)
        CheckConstraint("sample_rate_hz > 0 AND n > 0 AND scale > 0", name=f"ck_{name}_sizes"),
        Index(f"ix_{name}_session_wave_t", "session_id", "wave", "t0_s"),
    )


waveforms = _wave_table("waveforms")
waveforms_recent = _wave_table("waveforms_recent")
WAVE_TABLES = (waveforms, waveforms_recent)

# Who may use the clinic: accounts (instructors and observers with a password, trainees
# who joined with a class code without one), their API tokens (stored as SHA-256 digests:
# the token itself is shown once), the class code trainees join with, which trainee
# looks after which chair, the browsers signed in, and the server's own secrets (the
# session cookie's signing key, shared by every web process that opens this database).
USER_ROLES = ("instructor", "trainee", "observer")
users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("name_key", String(64), nullable=False, unique=True),  # casefolded: one Ana
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=True),  # argon2; NULL: joins by class code
    Column("created_wall", String(40), nullable=False),  # UTC ISO 8601
    CheckConstraint(_in("role", USER_ROLES), name="ck_users_role"),
    sqlite_autoincrement=True,  # a removed user's id is never someone else's
)
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_wall", String(40), nullable=False),
)
sign_ins = Table(  # a browser's signed-in session: ended by signing out, or when it expires
    "sign_ins",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_wall", String(40), nullable=False),
    Column("expires_wall", String(40), nullable=False),
)
class_codes = Table(
    "class_codes",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("created_by", ID, nullable=True),
    Column("created_wall", String(40), nullable=False),
    Column("expires_wall", String(40), nullable=False),
)
chair_assignments = Table(
    "chair_assignments",
    metadata,
    Column("bed_id", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("assigned_by", ID, nullable=True),
    Column("assigned_wall", String(40), nullable=False),
)
app_secrets = Table(
    "app_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)
ACCOUNT_TABLES = (users, api_tokens, class_codes, chair_assignments, app_secrets, sign_ins)

EVENT_TABLES: dict[str, Table] = {
    "alarm_events": alarm_events,
    "actions": actions,
    "observations": observations,
    "session_events": session_events,
}
DATA_TABLES = ("sessions", "samples", *EVENT_TABLES, "hl7_received", "patients",
               "course_sessions", "waveforms", "waveforms_recent")  # fmt: skip


def _v1_to_v2(conn: Connection) -> None:
    """Sessions remember the wall-clock time of their last write (NULL for older rows);
    session events are indexed by kind."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN last_write_wall VARCHAR(40)"))
    conn.execute(text("CREATE INDEX ix_session_events_kind ON session_events (kind)"))


def _v2_to_v3(conn: Connection) -> None:
    """The table of stored HL7 message control ids (a resend is not stored twice)."""
    hl7_received.create(conn)


_DISCHARGE_COLUMNS = (
    "discharged_at VARCHAR(40)",
    "discharged_t_s DOUBLE PRECISION",
    "discharged_by VARCHAR(32)",
    "discharge_note TEXT",
)


def _v3_to_v4(conn: Connection) -> None:
    """Sessions may end ``discharged``: the status check takes the new value, and four
    columns say when (wall and session time), by whom and with what note.

    PostgreSQL changes the check in place (IF NOT EXISTS: a database another upgrade step
    already gave the columns opens too). SQLite cannot alter a CHECK constraint, so the
    sessions table is rebuilt inside the upgrade's transaction: its rows copied aside, the
    table dropped and created anew, the rows (ids and all) put back. Foreign keys stay on:
    deferred for this transaction (``defer_foreign_keys``), the drop counts the other
    tables' rows as orphaned and putting their sessions back counts them home again, so
    the commit checks that every reference still holds. The AUTOINCREMENT counter is
    carried over (an id is never reused)."""
    new_check = _in("status", SESSION_STATUSES)
    if conn.dialect.name != "sqlite":
        for col in _DISCHARGE_COLUMNS:
            conn.execute(text(f"ALTER TABLE sessions ADD COLUMN IF NOT EXISTS {col}"))
        conn.execute(text("ALTER TABLE sessions DROP CONSTRAINT IF EXISTS ck_sessions_status"))
        conn.execute(text("ALTER TABLE sessions ADD CONSTRAINT ck_sessions_status "
                          f"CHECK ({new_check})"))  # fmt: skip
        return
    added = {"discharged_at", "discharged_t_s", "discharged_by", "discharge_note"}
    cols = ", ".join(c.name for c in sessions.columns if c.name not in added)
    seq = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'sessions'").scalar()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until this transaction ends
    conn.exec_driver_sql(f"CREATE TABLE sessions_v3 AS SELECT {cols} FROM sessions")
    conn.exec_driver_sql("DROP TABLE sessions")  # its indexes and counter go with it
    sessions.create(conn)
    conn.exec_driver_sql(f"INSERT INTO sessions ({cols}) SELECT {cols} FROM sessions_v3 "
                         "ORDER BY id")  # fmt: skip
    conn.exec_driver_sql("DROP TABLE sessions_v3")
    if seq is not None:  # at least the old counter, even if its newest sessions are gone
        conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'sessions'")
        top = conn.exec_driver_sql("SELECT MAX(id) FROM sessions").scalar() or 0
        conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES ('sessions', ?)",
                             (max(int(seq), int(top)),))  # fmt: skip


def _v4_to_v5(conn: Connection) -> None:
    """A course of sessions: the tables of named virtual patients and of which session
    was their session 1, 2, 3... (new tables only; the sessions keep every row as is).
    A table already there (a database another step gave it) is left alone."""
    patients.create(conn, checkfirst=True)
    course_sessions.create(conn, checkfirst=True)


def _v5_to_v6(conn: Connection) -> None:
    """The waveform tables and their indexes (new tables: every other row stays as it is;
    older sessions simply have no waveforms). A table already there is left alone."""
    for table in WAVE_TABLES:
        table.create(conn, checkfirst=True)


def _v6_to_v7(conn: Connection) -> None:
    """Logins: the account tables (new), and who acted on each action (two nullable
    columns: older actions were taken before logins and name nobody)."""
    for table in ACCOUNT_TABLES:
        table.create(conn, checkfirst=True)
    have = {c["name"] for c in inspect(conn).get_columns("actions")}
    for name, sql in (("user_id", "BIGINT"), ("user_name", "VARCHAR(64)")):
        if name not in have:
            conn.execute(text(f"ALTER TABLE actions ADD COLUMN {name} {sql}"))


def _v7_to_v8(conn: Connection) -> None:
    """Browsers' sign-ins kept on the server, so that signing out ends one for good (a new
    table; browsers signed in before it sign in again)."""
    sign_ins.create(conn, checkfirst=True)


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6, 6: _v6_to_v7,
    7: _v7_to_v8,
}  # fmt: skip
"""``MIGRATIONS[v](conn)`` upgrades a database from version v to v+1."""
