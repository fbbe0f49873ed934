"""A bound on concurrent heavy renders (reports, exports), refusing rather than queueing.

A 6-hour session's HTML report or Parquet export takes a few hundred milliseconds and
tens to a hundred-odd MB while it is built; 40 downloads at once took the server to 1.2 GB
and every other request (``/api/beds``) to seconds. Past the bound a render is refused at
once (the caller answers 503 with Retry-After), so waiting requests hold neither memory
nor server threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from vitalsdash.errors import VitalsdashError

__all__ = ["RenderBusyError", "RenderSlots"]


class RenderBusyError(VitalsdashError):
    """Every render slot is taken; try again after ``retry_after_s``."""

    def __init__(self, limit: int, retry_after_s: int) -> None:
        super().__init__(
            f"the server is already preparing {limit} downloads; try again in a few seconds"
        )
        self.retry_after_s = retry_after_s


class RenderSlots:
    """At most ``limit`` renders at once (``with slots.slot(): ...``)."""

    def __init__(self, limit: int, retry_after_s: int = 5) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self._free = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block; RenderBusyError at once when none is free."""
        if not self._free.acquire(blocking=False):
            raise RenderBusyError(self.limit, self.retry_after_s)
        try:
            yield
        finally:
            self._free.release()
