"""The live feed as a web worker reads it: from the runtime's Redis streams, and from the
store where the streams cannot answer, with the same answers as the in-process ``Feed``.

A cursor is answered from a bed's stream when the entries of its session, walked back
from the newest along their ``prev`` links, reach one whose floor is at or below the
cursor: then no row newer than the cursor lies before it (see ``_wire``). A broken link
(entries lost while Redis was down, or trimmed by time), a session the stream never had,
or Redis itself down: the store answers, as the in-process feed does for a cursor older
than its rings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import redis

from vitalsdash.bus import _wire
from vitalsdash.bus._memo import TickMemo
from vitalsdash.bus._redis import Link, RedisError
from vitalsdash.feed import SampleTuple
from vitalsdash.store import Store
from vitalsdash.waves import PackedSegment

FEED_FIRST_PAGE = 4
"""Feed entries read first, newest first: a page sent news once a second while the
runtime ticks twice a second needs the two since and the one before them."""
WAVES_FIRST_PAGE = 2
"""Wave entries read first: a stream reads them every tick and needs one new one."""
MAX_PAGE = 256


class RemoteFeed:
    """The Feed's read methods over Redis Streams and the store (module docstring)."""

    def __init__(self, r: redis.Redis, keys: _wire.Keys, store: Store, link: Link,
                 bed_of: Callable[[int], str | None], memo: TickMemo | None = None
                 ) -> None:  # fmt: skip
        self._r, self._keys, self.store, self._link, self._bed_of = r, keys, store, link, bed_of
        self._memo = memo or TickMemo()
        self.reads = {"redis": 0, "store": 0}
        """Cursors answered from the streams and from the store (for health and tests)."""

    # -- the Feed's reads -----------------------------------------------------------------
    def samples_since(self, session_id: int, after_t: float | None,
                      channels: Iterable[str] | None = None) -> list[SampleTuple]:  # fmt: skip
        """Every sample with ``t > after_t`` (all when None), ordered by t, then insertion."""
        after = -math.inf if after_t is None else float(after_t)
        wanted = None if channels is None else {str(c) for c in channels}
        entries = self._covering(session_id, lambda e: e.t_floor <= after, samples=True)
        if entries is None:
            self.reads["store"] += 1
            df = self.store.samples(session_id, since_t=after_t, channels=wanted)
            return list(zip(df["t_s"].tolist(), df["channel"].tolist(), df["value"].tolist(),
                            df["quality"].tolist(), strict=True))  # fmt: skip
        self.reads["redis"] += 1
        rows = [_wire.sample_tuple(r) for e in entries for r in e.samples
                if r[0] > after and (wanted is None or r[1] in wanted)]  # fmt: skip
        rows.sort(key=lambda r: r[0])  # stable: insertion order within a time
        return rows

    def latest(self, session_id: int) -> dict[str, tuple[float, float, str]]:
        """Per channel the newest sample (t, value, quality): what the numerics show."""
        if self._link.usable():
            try:
                raw = self.shared("hgetall", self._keys.latest(session_id))
                self._link.ok()
            except RedisError as exc:
                self._link.failed(exc)
            else:
                if raw:
                    self.reads["redis"] += 1
                    return {k.decode(): _latest(_wire.loads(v)) for k, v in raw.items()}
        self.reads["store"] += 1
        return self.store.latest_samples(session_id)

    def alarm_events_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        """Alarm log rows with ``seq > after_seq``, by seq (as ``Store.alarm_events``)."""
        return self._events_since("alarm_events", session_id, after_seq)

    def actions_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        return self._events_since("actions", session_id, after_seq)

    def observations_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        return self._events_since("observations", session_id, after_seq)

    def session_events_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        return self._events_since("session_events", session_id, after_seq)

    def waves_since(self, session_ids: Iterable[int], after_seq: int = 0
                    ) -> tuple[int, list[tuple[int, PackedSegment]]]:  # fmt: skip
        """The newest wave seq, and ``(session id, segment)`` for every segment after
        ``after_seq`` that the runtime's feed still keeps (its last ``wave_horizon_s``
        seconds of each session), oldest first. Waves are for the sweep only: without
        Redis there are none (the store keeps them for the debrief, not for this)."""
        if not self._link.usable():
            return 0, []
        try:
            meta = self.shared("hgetall", self._keys.meta)
            if not meta:
                return 0, []
            run = meta[b"run"].decode()
            newest = int(meta[b"wave_seq"])
            horizon = float(meta[b"wave_horizon_s"])
            out: list[tuple[int, int, PackedSegment]] = []
            for sid in session_ids:
                bed = self._bed_of(int(sid))
                if bed is not None:
                    out += self._session_waves(bed, int(sid), run, after_seq, horizon)
            self._link.ok()
        except RedisError as exc:
            self._link.failed(exc)
            return 0, []
        out.sort(key=lambda x: x[0])
        return newest, [(sid, seg) for _, sid, seg in out]

    # -- reading the streams --------------------------------------------------------------
    def _events_since(self, kind: str, session_id: int,
                      after_seq: int | None) -> list[dict[str, Any]]:  # fmt: skip
        after = after_seq or 0
        entries = self._covering(session_id, lambda e: e.seq_floor(kind) <= after, events=True)
        if entries is None:
            self.reads["store"] += 1
            return self.store.events(kind, session_id, since_seq=after)
        self.reads["redis"] += 1
        return [r for e in entries for r in e.events.get(kind, ()) if r["seq"] > after]

    def _covering(self, session_id: int, covers: Callable[[_wire.FeedEntry], bool],
                  samples: bool = False, events: bool = False
                  ) -> list[_wire.FeedEntry] | None:  # fmt: skip
        """The session's entries, oldest first, back to the first that ``covers`` the
        cursor; None when the stream cannot answer (no entries, a broken chain, no Redis)."""
        bed = self._bed_of(session_id)
        if bed is None or not self._link.usable():
            return None
        key, sid = self._keys.feed(bed), str(session_id).encode()
        found: list[_wire.FeedEntry] = []
        expected: str | None = None  # the id the next (older) entry of the session must have
        end, count = "+", FEED_FIRST_PAGE
        try:
            while True:
                batch = self.shared("feed_top", key) if end == "+" else self._r.xrevrange(
                    key, max=end, min="-", count=count)  # fmt: skip
                for entry_id, raw in batch:
                    if raw.get(b"sid") != sid:
                        continue
                    eid = entry_id.decode()
                    if expected is not None and eid != expected:
                        return self._ok(None)  # the entry it follows is gone
                    e = _wire.FeedEntry.parse(raw, samples=samples, events=events)
                    found.append(e)
                    if covers(e):
                        found.reverse()
                        return self._ok(found)
                    if not e.prev:
                        return self._ok(None)  # the chain starts here, after the cursor
                    expected = e.prev
                if len(batch) < count:
                    return self._ok(None)  # the stream ends (trimmed) before the cursor
                end = "(" + batch[-1][0].decode()
                count = min(count * 4, MAX_PAGE)
        except RedisError as exc:
            self._link.failed(exc)
            return None

    def shared(self, op: str, key: str) -> Any:
        """``READS[op]`` of ``key``, shared with the worker's other streams of this tick."""
        return self._memo.get((op, key), lambda: READS[op](self._r, key))

    def _ok(self, value: Any) -> Any:
        self._link.ok()
        return value

    def _session_waves(self, bed: str, sid: int, run: str, after_seq: int,
                       horizon_s: float) -> list[tuple[int, int, PackedSegment]]:  # fmt: skip
        """The session's segments the runtime's feed keeps and that came after
        ``after_seq``: those ending within ``horizon_s`` of its newest segment's end (the
        feed's rule for segments that arrive in time order)."""
        key = self._keys.waves(bed)
        found: list[tuple[int, list[PackedSegment]]] = []
        last_end: float | None = None
        end, count = "+", WAVES_FIRST_PAGE
        while end:
            batch = self.shared("waves_top", key) if end == "+" else self._r.xrevrange(
                key, max=end, min="-", count=count)  # fmt: skip
            end = "(" + batch[-1][0].decode() if len(batch) == count else ""
            count = min(count * 4, MAX_PAGE)
            for _, raw in batch:
                e_run, e_sid, seq, segs = _wire.parse_waves(raw)
                if e_run != run:  # an earlier run's entries: this run's feed has none
                    end = ""
                    break
                if e_sid != sid or not segs:
                    continue
                if last_end is None:
                    last_end = segs[-1].end_s
                if seq <= after_seq or max(s.end_s for s in segs) < last_end - horizon_s:
                    end = ""  # older ones are either known to the page or gone from the feed
                    break
                found.append((seq, segs))
        if last_end is None:
            return []
        return [(seq, sid, s) for seq, segs in reversed(found) for s in segs
                if s.end_s >= last_end - horizon_s]  # fmt: skip


READS: dict[str, Callable[[Any, str], Any]] = {
    "get": lambda r, key: r.get(key),
    "hgetall": lambda r, key: r.hgetall(key),
    "feed_top": lambda r, key: r.xrevrange(key, max="+", min="-", count=FEED_FIRST_PAGE),
    "waves_top": lambda r, key: r.xrevrange(key, max="+", min="-", count=WAVES_FIRST_PAGE),
}
"""The reads a tick's streams share, by name: each from a client, or queued on a
pipeline when the worker reads them ahead of its streams (``RemoteRuntime``)."""


def _latest(row: list[Any]) -> tuple[float, float, str]:
    t, v, q = row
    return (float(t), math.nan if v is None else float(v), q)
