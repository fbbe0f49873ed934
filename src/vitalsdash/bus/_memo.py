"""Redis reads shared by a worker's push streams for the length of one tick.

Every open bedside stream wakes on the same published tick and asks Redis the same
things: the bed's view, the top of its feed and wave streams, the newest readings. The
runtime publishes a tick's entries, views and the tick itself in one transaction, so
what a stream reads after seeing tick T holds at least T's news; until the next tick
those answers can be shared. Only a thread that has waited for a tick reads through the
memo (``at_tick``); requests, the API and commands always read Redis afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TickMemo:
    """Answers by key for one tick; the values must be treated as read-only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tick = -1
        self._values: dict[Hashable, Any] = {}
        self._local = threading.local()

    def at_tick(self, tick: int | None) -> None:
        """This thread reads as of ``tick`` from now on (None: never through the memo)."""
        self._local.tick = tick

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """``load()``'s answer, shared with the other streams of this thread's tick."""
        tick = getattr(self._local, "tick", None)
        if tick is None:
            return load()
        with self._lock:
            if tick > self._tick:
                self._tick, self._values = tick, {}
            elif tick == self._tick and key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
        value = load()  # outside the lock: two streams may load at once, both are right
        with self._lock:
            if tick == self._tick:
                self._values[key] = value
        return value
