"""A SQLite store made unreachable for real: another connection holds its file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vitalsdash.store import Store


@contextmanager
def sqlite_locked(path: Path, store: Store) -> Iterator[None]:
    """Another connection holds the file exclusively (its locking mode keeps the lock until
    it closes). The store's pooled connections are closed first, as a restart cuts them:
    in WAL mode an open connection keeps everyone else from taking the file."""
    store.close()
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("DELETE FROM schema_meta WHERE key = 'no such key'")  # takes the lock
        yield
    finally:
        holder.close()
