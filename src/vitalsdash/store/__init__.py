"""The session store: SQLAlchemy Core over a SQLite file (default) or PostgreSQL (by URL).

One writer (the runtime) commits everything a tick produced, for every bed, in ONE
transaction (:meth:`Store.write_tick`); readers (UI, reports, the feed's fallback) use
short read transactions on pooled connections, so the store may be shared by threads.

Times are seconds from session start (``t_s``); each session row carries its wall-clock
anchor ``started_wall`` (UTC). JSON columns take dicts of plain values (enums are stored
by value, NaN and infinities as null) and read back as dicts.

Sequence numbers. ``alarm_events``, ``actions``, ``observations`` and ``session_events``
each number their rows per session 1, 2, 3... The STORE assigns them inside the tick's
transaction (max + 1 per session and table) and writes them back into the ``seq`` field
of the row objects of the tick, so ``Feed.append(tick)`` after the commit sees the same
numbers (dict rows get a ``"seq"`` key); any ``seq`` the caller set is overwritten, and
restored if the tick fails. The feed and the API use them as cursors (``since_seq`` is
exclusive). Only one process may write a given database (the runtime); the
(session_id, seq) primary key refuses a second writer's clash instead of interleaving.

Sample cursors are times: ``samples(since_t=x)`` returns rows with ``t_s > x`` (and
``t_s <= until_t``), ordered by t, then insertion. The runtime must write each session's
samples in non-decreasing tick order for a time cursor to never skip a late sample.

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
upgrades it (``_store_schema.MIGRATIONS``), a newer one raises :class:`SchemaVersionError`.
"""

from vitalsdash.store._store import (
    EVENT_KINDS,
    SAMPLE_COLUMNS,
    SCHEMA_VERSION,
    ActionRow,
    AlarmEventRow,
    ObservationRow,
    SampleRow,
    SchemaVersionError,
    SessionEventRow,
    Store,
    StoreError,
    StoreWriteError,
    TickWrite,
    as_event_row,
    event_record,
    plain_json,
    safe_text,
    sample_tuples,
)

__all__ = [
    "EVENT_KINDS",
    "SAMPLE_COLUMNS",
    "SCHEMA_VERSION",
    "ActionRow",
    "AlarmEventRow",
    "ObservationRow",
    "SampleRow",
    "SchemaVersionError",
    "SessionEventRow",
    "Store",
    "StoreError",
    "StoreWriteError",
    "TickWrite",
    "as_event_row",
    "event_record",
    "plain_json",
    "safe_text",
    "sample_tuples",
]
