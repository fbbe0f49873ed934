"""The session store: SQLAlchemy Core over a SQLite file (default) or PostgreSQL (by URL).

One writer (the runtime) commits each tick in one transaction; readers share the store
across threads. Which module does what:

- ``_store``: :class:`Store`, opening, the schema check, sessions and the tick's write
  (sequence numbers, durability).
- ``_reads``: the reads :class:`Store` inherits (sessions, samples, the event logs, and
  strips of the waveforms: :meth:`Store.wave_strip`).
- ``_codec``: the rows a tick carries (:class:`TickWrite`, :class:`SampleRow`,
  :class:`AlarmEventRow`...) and how they become stored values and read dicts.
- ``_waves``: the tick's waveform segments as compressed rows, short rows folded into
  10-second ones in the transaction of the tick that completes them.
- ``_accounts``: users, API tokens, the class code, chair assignments, the server's
  secrets (what logins need).
- ``_schema``: the tables, the schema version and its upgrades.
- ``_errors``: the store's errors, and the one connection every read opens, which turns a
  database out of reach (PostgreSQL down, a SQLite file locked) into
  :class:`StoreUnavailableError`.
"""

from vitalsdash.store._accounts import UserExistsError, name_key
from vitalsdash.store._codec import (
    EVENT_KINDS,
    ActionRow,
    AlarmEventRow,
    ObservationRow,
    SampleRow,
    SessionEventRow,
    TickWrite,
    as_event_row,
    event_record,
    plain_json,
    safe_text,
    sample_tuples,
)
from vitalsdash.store._errors import (
    STORE_UNAVAILABLE_WORDS,
    STORE_UNWRITABLE_WORDS,
    StoreUnavailableError,
)
from vitalsdash.store._reads import SAMPLE_COLUMNS
from vitalsdash.store._store import (
    SCHEMA_VERSION,
    SchemaVersionError,
    Store,
    StoreError,
    StoreWriteError,
)

__all__ = [
    "EVENT_KINDS",
    "SAMPLE_COLUMNS",
    "SCHEMA_VERSION",
    "STORE_UNAVAILABLE_WORDS",
    "STORE_UNWRITABLE_WORDS",
    "ActionRow",
    "AlarmEventRow",
    "ObservationRow",
    "SampleRow",
    "SchemaVersionError",
    "SessionEventRow",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "StoreWriteError",
    "TickWrite",
    "UserExistsError",
    "as_event_row",
    "event_record",
    "name_key",
    "plain_json",
    "safe_text",
    "sample_tuples",
]
