"""Each bed's views built once per change of the runtime, not once per reader.

The central station asks for every bed's view for every open page on every tick, and the
instructor's console for every bed's truth; between two changes of the runtime they are
all the same. So the runtime's lock counts its changes: every section taken with
``with runtime.lock`` (a tick, a command, an HL7 message, start-up, a test reaching in)
may change the beds, and ends by bumping ``version``. The views are read under the same
re-entrant lock taken plainly (``plain``), which counts nothing, and a view built at one
version is handed to every reader until the next. Sharing one view between readers is
safe: views are frozen.

Speed, pause and the tick count are not kept here: ``ClinicView`` is cheap and built on
every call, so a speed change shows at once even though it is not taken under the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

V = TypeVar("V")


class _Bed(Protocol):
    @property
    def id(self) -> str: ...


class CountingLock:
    """A re-entrant lock whose every section ends by bumping ``version``.

    ``with lock:`` / ``acquire()`` and ``release()`` as for ``threading.RLock``, for
    whatever may change the beds; ``with lock.plain:`` for reads, which count nothing."""

    def __init__(self) -> None:
        self.plain = threading.RLock()
        self.version = 0
        self._open = 0  # counted sections open now: only the holder's thread sees it > 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self.plain.acquire(blocking, timeout)
        if got:
            self._open += 1
        return got

    def release(self) -> None:
        self._open -= 1
        self.version += 1  # still held: a reader sees the change and the new version together
        self.plain.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def changing(self) -> bool:
        """A counted section is open (asked under the lock, so in the holder's thread): what
        it changed so far is not counted yet, and nothing built now may be kept."""
        return self._open > 0


class ViewCache:
    """Views of beds by (builder, bed id), valid while the lock's ``version`` stands.

    Every call is under the lock. An entry also remembers the bed object it was built
    from: a bed replaced under the same id is built again."""

    def __init__(self, lock: CountingLock) -> None:
        self._lock = lock
        self._version = -1
        self._kept: dict[tuple[Hashable, str], tuple[_Bed, Any]] = {}

    def get(self, bed: _Bed, build: Callable[[Any], V]) -> V:
        """``build(bed)``, or the view it built since the runtime last changed."""
        lock = self._lock
        if lock.changing:  # asked from inside a change (same thread): build, keep nothing
            return build(bed)
        if self._version != lock.version:
            self._kept.clear()  # also forgets beds that are gone
            self._version = lock.version
        key = (build, bed.id)
        hit = self._kept.get(key)
        if hit is not None and hit[0] is bed:
            return hit[1]  # type: ignore[no-any-return]
        view = build(bed)
        self._kept[key] = (bed, view)
        return view
