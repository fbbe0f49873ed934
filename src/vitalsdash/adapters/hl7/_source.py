"""One bed's HL7 readings: a thread-safe queue between the listener and the runtime.

:class:`Hl7Source` is fed on the listener's thread (``push``/``queue``, connection
events) and read on the runtime's (``advance``, ``notes``) in session time, for the
bed's alarm engine. :class:`SourceRegistry` is a ready ``bed_for`` for a gateway that
runs without the runtime: one source per source key.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from vitalsdash.adapters._base import Note, Reading, SourceActionError
from vitalsdash.adapters.hl7._parse import Hl7Error, ObservationBatch

log = logging.getLogger("vitalsdash.adapters.hl7")  # one logger for the whole receiver


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Hl7Source:
    """The readings of one device/bed, fed by the listener, read by the runtime.

    Session time is ``t = observation time - anchor`` in seconds (:meth:`set_anchor`).
    :meth:`advance` returns the readings with ``t < t1_s`` not returned before, in time
    order. A reading that arrives late (its ``t`` is before a ``t1_s`` already passed) is
    still returned, by the next call, **with its own ``t``**; readings before the anchor
    (``t < 0``) are dropped and counted (``dropped_before_start``). Readings held before
    the anchor is set wait for it.

    :meth:`push` refuses (AE) a message with an observation more than ``max_ahead_s``
    ahead of both the session clock (the last ``t1_s``) and the receiver's wall clock: a
    device whose clock is wrong would otherwise be held back silently.

    Notes (``source`` ``"device"``): ``device_connected`` / ``device_disconnected``
    (detail: peer, source key), ``no_data`` once no observation newer than
    ``quiet_after_s`` exists at a ``t1_s`` (the alarm engine raises NO_DATA per channel
    from the missing samples itself), ``data_resumed`` when observations come again.
    Notes are stamped no earlier than the last ``t1_s``, so a runtime that reads notes for
    ``[t_prev, t1)`` sees every one.
    """

    kind = "hl7"
    actions: frozenset[str] = frozenset()
    prestored = False  # True: the runtime's intake stored the readings (the bed must not)

    def __init__(
        self,
        name: str,
        *,
        anchor: datetime | None = None,
        quiet_after_s: float = 10.0,
        max_ahead_s: float = 300.0,
        wall: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.name = name
        self.quiet_after_s = float(quiet_after_s)
        self.max_ahead_s = float(max_ahead_s)
        self._wall = wall
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, Reading]] = []
        self._seq = itertools.count()
        self._anchor: float | None = None
        self._t1 = 0.0
        self._newest: float | None = None  # newest observation time pushed (epoch)
        self._quiet = False
        self._notes: list[Note] = []
        self.received = 0
        self.delivered = 0
        self.late = 0
        self.dropped_before_start = 0
        if anchor is not None:
            self.set_anchor(anchor)

    def set_anchor(self, started_wall: datetime) -> None:
        """The session's wall-clock start (aware; naive is taken as UTC)."""
        if started_wall.tzinfo is None:
            started_wall = started_wall.replace(tzinfo=UTC)
        with self._lock:
            self._anchor = started_wall.timestamp()

    @property
    def anchor(self) -> float | None:
        return self._anchor

    def pending(self) -> int:
        with self._lock:
            return len(self._heap)

    def push(self, batch: ObservationBatch) -> int:
        """Take a batch's readings (thread-safe); all or none. Raises Hl7Error (AE)."""
        rs = batch.readings
        if not rs:
            return 0
        newest = max(r.t_s for r in rs)
        with self._lock:
            a = self._anchor
            if a is not None and newest - a > self._t1 + self.max_ahead_s:
                ahead = newest - max(a + self._t1, self._wall().timestamp())
                if ahead > self.max_ahead_s:
                    raise Hl7Error("AE", f"observation time is {ahead:.0f} s ahead of the "
                                   "session and receiver clocks (device clock wrong?)",
                                   "OBX-14", kind="future_time", err_code=102)  # fmt: skip
            for r in rs:
                heapq.heappush(self._heap, (r.t_s, next(self._seq), r))
            if self._newest is None or newest > self._newest:
                self._newest = newest
            self.received += len(rs)
        return len(rs)

    def queue(self, readings: Iterable[Reading]) -> None:
        """Readings (wall-clock times) for the bed's alarm engine, no checks: the
        runtime's intake has checked and stored them already (thread-safe)."""
        with self._lock:
            for r in readings:
                heapq.heappush(self._heap, (r.t_s, next(self._seq), r))
                if self._newest is None or r.t_s > self._newest:
                    self._newest = r.t_s
                self.received += 1

    def advance(self, t1_s: float) -> list[Reading]:
        out: list[Reading] = []
        with self._lock:
            prev = self._t1
            t1 = float(t1_s)
            a = self._anchor
            if a is None:
                self._t1 = max(prev, t1)
                return out
            heap = self._heap
            while heap:
                t = heap[0][0] - a
                if t >= t1:
                    break
                _, _, r = heapq.heappop(heap)
                if t < 0:
                    self.dropped_before_start += 1
                    continue
                if t < prev:
                    self.late += 1
                out.append(Reading(t, r.channel, r.value, r.quality, r.true_value))
            self.delivered += len(out)
            self._t1 = max(prev, t1)
            newest_t = 0.0 if self._newest is None else max(0.0, self._newest - a)
            if self._quiet and out:
                self._quiet = False
                self._notes.append(Note(max(prev, out[0].t_s), "data_resumed", "device",
                                        {"source": self.name}))  # fmt: skip
            if not self._quiet and t1 - newest_t >= self.quiet_after_s and not heap:
                self._quiet = True
                self._notes.append(Note(max(prev, newest_t + self.quiet_after_s), "no_data",
                                        "device", {"source": self.name, "last_data_s":
                                                   newest_t if self._newest else None,
                                                   "after_s": self.quiet_after_s}))  # fmt: skip
        return out

    def device_event(self, kind: str, source_key: str, peer: str) -> None:
        """A connection event from the listener (thread-safe), noted at the current time."""
        with self._lock:
            a = self._anchor
            now = self._wall().timestamp()
            # a bed that follows its device's clock notes it at its own current second
            t = self._t1 if a is None or self.prestored else max(self._t1, now - a)
            self._notes.append(Note(t, f"device_{kind}", "device",
                                    {"source": source_key, "peer": peer}))  # fmt: skip

    def notes(self) -> list[Note]:
        with self._lock:
            ready = [n for n in self._notes if n.t_s < self._t1]
            self._notes = [n for n in self._notes if n.t_s >= self._t1]
        return sorted(ready, key=lambda n: n.t_s)

    def apply(self, kind: str, actor: str, params: dict[str, Any]) -> None:
        raise SourceActionError("a real device does not take pump actions from the trainer")

    def inject(self, kind: str, params: dict[str, Any]) -> None:
        raise SourceActionError("a real device does not take events from the instructor")

    def pump(self) -> None:
        return None

    def truth(self) -> None:
        return None


class SourceRegistry:
    """A ready ``bed_for``: one :class:`Hl7Source` per source key.

    ``unknown="create"`` (default) makes a source named after an unknown key;
    ``"reject"`` answers AR "unknown source" unless the key was :meth:`add`-ed.
    ``source_kwargs`` go to every new Hl7Source (``anchor``, ``quiet_after_s``...).
    """

    def __init__(self, unknown: str = "create", **source_kwargs: Any) -> None:
        if unknown not in ("create", "reject"):
            raise ValueError("unknown must be 'create' or 'reject'")
        self.unknown = unknown
        self.source_kwargs = source_kwargs
        self.sources: dict[str, Hl7Source] = {}
        self._lock = threading.Lock()

    def add(self, key: str, source: Hl7Source | None = None) -> Hl7Source:
        with self._lock:
            src = self.sources[key] = source or Hl7Source(key, **self.source_kwargs)
            return src

    def __call__(self, key: str) -> Hl7Source | None:
        with self._lock:
            src = self.sources.get(key)
            if src is None and self.unknown == "create":
                src = self.sources[key] = Hl7Source(key, **self.source_kwargs)
                log.info("HL7: new source %r", key)
            return src
