"""Redis reads shared by a worker's push streams for the length of one tick.

Every open bedside stream wakes on the same published tick and asks Redis the same
things: the bed's view, the top of its feed and wave streams, the newest readings. The
runtime publishes a tick's entries, views and the tick itself in one transaction, so
what a stream reads after seeing tick T holds at least T's news; until the next tick
those answers can be shared. Only a thread that has waited for a tick reads through the
memo (``at_tick``); requests, the API and commands always read Redis afresh.

The memo also remembers what the streams asked in the last few seconds (``wanted``):
the worker's tick watcher reads all of it again in one round trip as soon as it sees the
next tick, and ``fill``s the memo before it wakes the streams. Woken, a stream then
computes its page without waiting on Redis at all; each round trip it would otherwise make is a
wait for the reply and then for the interpreter, which the worker's other streams hold.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

WANTED_S = 3.0
"""A key no stream asked for in this many seconds is no longer read ahead."""


class TickMemo:
    """Answers by key for one tick; the values must be treated as read-only."""

    def __init__(self, wanted_s: float = WANTED_S,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._lock = threading.Lock()
        self._tick = -1
        self._values: dict[Hashable, Any] = {}
        self._asked: dict[Hashable, float] = {}  # key -> when it was last asked (clock)
        self._wanted_s = wanted_s
        self._clock = clock
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
            self._asked[key] = self._clock()
            if tick > self._tick:
                self._tick, self._values = tick, {}
            elif tick == self._tick and key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
        value = load()  # outside the lock: two streams may load at once, both are right
        with self._lock:
            if tick == self._tick:
                self._values[key] = value
        return value

    def wanted(self) -> list[Hashable]:
        """The keys asked in the last ``wanted_s``: what the streams will most likely ask
        at the tick about to be read ahead. Older keys are forgotten."""
        with self._lock:
            since = self._clock() - self._wanted_s
            self._asked = {k: at for k, at in self._asked.items() if at >= since}
            return list(self._asked)

    def fill(self, tick: int, values: Mapping[Hashable, Any]) -> None:
        """Answers read at ``tick`` (or later: a read ahead is never older than the tick);
        an answer a stream already loaded for ``tick`` is kept."""
        with self._lock:
            if tick > self._tick:
                self._tick, self._values = tick, dict(values)
            elif tick == self._tick:
                self._values = {**values, **self._values}
