"""Row ids as users type them: in the range the databases can hold, or no such row.

SQLite's INTEGER and PostgreSQL's BIGINT hold at most 2**63 - 1; a larger number reaching
a query raises OverflowError (or a driver error) instead of finding nothing.
"""

from __future__ import annotations

__all__ = ["MAX_ROW_ID", "in_range"]

MAX_ROW_ID = 2**63 - 1


def in_range(row_id: int) -> bool:
    """Whether ``row_id`` can name a stored row at all (ids start at 1)."""
    return 1 <= row_id <= MAX_ROW_ID
