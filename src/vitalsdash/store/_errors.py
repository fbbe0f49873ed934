"""The store's errors, and the one place where a read learns the database is out of reach.

Private to :mod:`vitalsdash.store`. Every read opens its connection through
:meth:`ReadConnections._read`: when the driver says it cannot reach or read the database
just now (PostgreSQL restarting or down, a connection the restart cut, a SQLite file
locked or that cannot be opened), the read raises :class:`StoreUnavailableError` instead of the
driver's error, so the web tier can answer "try again in a moment" and log one line, and
keep a traceback for what is a bug (a query the database does not understand).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import (
    TimeoutError as PoolTimeoutError,
)

from vitalsdash.errors import VitalsdashError

STORE_UNAVAILABLE_WORDS = (
    "The session records cannot be read just now: nothing was lost. Try again in a moment."
)
"""What a person reads when the store cannot be reached (no driver words, no address)."""
STORE_UNWRITABLE_WORDS = (
    "The change cannot be saved just now: nothing was changed. Try again in a moment."
)
"""The same for a change a person asked for (an account, a token, a class code)."""

# SQLite's primary result codes that mean "not now" rather than "not like this": BUSY and
# LOCKED (another process holds the file), IOERR (the disk), CANTOPEN (the file cannot be
# opened: gone, unreadable), PROTOCOL (a lock race). SQLite's OperationalError also covers
# SQL mistakes ("no such table", code ERROR): those stay what they are, a bug.
_SQLITE_NOT_NOW = frozenset({5, 6, 10, 14, 15})


class StoreError(VitalsdashError, RuntimeError):
    """A store operation that could not be done; nothing of it was written."""


class StoreWriteError(StoreError):
    """The database failed or refused a write (a full disk, a lost connection, a lock held
    too long, a value it does not take); nothing of it was written; trying the same write
    later may succeed."""


class SchemaVersionError(StoreError):
    """The database's schema version is newer than this code understands (or unreadable)."""


class StoreUnavailableError(StoreError):
    """A read found the database out of reach just now (PostgreSQL down or restarting, a
    SQLite file locked or unreadable); reading again later may succeed, and nothing was
    changed. ``str()`` names the database and the driver's reason on one line (for the
    log); ``words`` says it for a person."""

    words = STORE_UNAVAILABLE_WORDS

    def __init__(self, message: str, words: str = STORE_UNAVAILABLE_WORDS) -> None:
        super().__init__(message)
        self.words = words


def unreachable(exc: BaseException) -> bool:
    """Whether a SQLAlchemy error means the database cannot be reached or read just now
    (a connection refused, cut or timed out; a SQLite file locked or unopenable), as
    opposed to a statement it refused."""
    if isinstance(exc, PoolTimeoutError):  # every pooled connection busy for too long
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is None:  # an error of the sqlite3 module itself (closed, misuse)
            return False
        return (int(code) & 0xFF) in _SQLITE_NOT_NOW
    return isinstance(exc, (OperationalError, InterfaceError))


def one_line(exc: BaseException) -> str:
    """The driver's reason on one line (SQLAlchemy's own text adds a help link)."""
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]


class ReadConnections:
    """What the read halves of :class:`~vitalsdash.store.Store` share: a connection for
    one read (``with self._read() as conn``) whose driver errors of an unreachable
    database come out as :class:`StoreUnavailableError`; and, for the changes a person
    asks for through a page or the API (``with self._write() as conn``, one transaction),
    the same, so that they too are refused with "try again", not a 500."""

    _engine: Engine
    _writer: Engine
    _name: str

    def _read(self) -> AbstractContextManager[Connection]:
        return self._reaching(self._engine.connect, "read", STORE_UNAVAILABLE_WORDS)

    def _write(self) -> AbstractContextManager[Connection]:
        return self._reaching(self._writer.begin, "written", STORE_UNWRITABLE_WORDS)

    @contextmanager
    def _reaching(self, opening: Callable[[], AbstractContextManager[Connection]], done: str,
                  words: str) -> Iterator[Connection]:  # fmt: skip
        try:
            with opening() as conn:
                yield conn
        except SQLAlchemyError as exc:
            if not unreachable(exc):
                raise
            raise StoreUnavailableError(
                f"{self._name}: the store cannot be {done} just now: {one_line(exc)}", words
            ) from exc
