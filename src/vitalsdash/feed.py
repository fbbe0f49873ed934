"""Live reads by cursor for the UI: per-session ring buffers in memory, the store behind them.

The runtime (the one writer) calls :meth:`Feed.append` with each tick AFTER
``Store.write_tick`` committed it (so event rows carry their store-assigned ``seq``).
Readers (Dash callbacks, any number of threads) ask for what came after their cursor:

- samples by time: :meth:`Feed.samples_since` returns every sample with ``t > after_t``,
  ordered by t, then insertion, exactly as ``Store.samples(session_id, since_t=after_t)``;
- events by seq: :meth:`Feed.alarm_events_since` (and actions, observations,
  session events) return the rows with ``seq > after_seq``, as the store's reads do.

Each session keeps the last ``horizon_s`` seconds of samples (numpy arrays, compacted in
place; also capped at ``max_samples`` per session) and the last ``event_capacity`` rows of
each event log. A cursor the ring does not cover (older than the horizon, a session this
feed never saw, a restart) is answered from the store, seamlessly: the caller cannot tell
the difference. Memory is therefore bounded by horizon x sample rate per session, and
:meth:`forget` drops a session that ended (its data stays in the store).

Coverage rule. A ring answers a sample cursor ``after_t`` only when ``after_t >= floor``,
where every stored sample with ``t > floor`` is in the ring: ``floor`` starts at the
newest t the store held when the feed first saw the session (the tick just committed
included; one writer, so everything later is appended here too) and rises to the
largest t of any sample evicted. So a feed that joins mid-session (a restart) is exact
too: older cursors read the store. Event rings work the same way with seqs, which the
store numbers without gaps.

Thread safety: one lock around ring updates and ring reads; reads copy the few rows they
return, and store fallbacks run outside the lock.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import numpy as np

from vitalsdash.store import (
    EVENT_KINDS,
    Store,
    TickWrite,
    as_event_row,
    event_record,
    sample_tuples,
)
from vitalsdash.waves import WaveSegment

__all__ = ["Feed", "FeedListener", "SampleTuple"]

log = logging.getLogger(__name__)

SampleTuple = tuple[float, str, float, str]
"""(t_s, channel, value (NaN when none), quality)."""

FeedListener = Callable[[TickWrite, int | None], None]
"""``fn(tick, wave_seq)``: a write the feed took, and the wave seq its segments got."""

_INITIAL_CAPACITY = 256
WAVE_HORIZON_S = 12.0
"""Seconds of waveform kept per session: a monitor's sweep is 4-10 s wide; the debrief
reads its strips from the store."""


class _SampleRing:
    """One session's recent samples in insertion order, in arrays compacted in place.

    ``tmax[i]`` is the running maximum of ``t`` up to ``i`` (non-decreasing even when a
    late sample arrives), so a binary search finds where samples newer than a cursor can
    start and eviction by time is a search too.
    """

    __slots__ = ("ch", "end", "floor", "q", "start", "t", "tmax", "val")

    def __init__(self, floor: float) -> None:
        self.floor = floor
        self.start = 0
        self.end = 0
        self._alloc(_INITIAL_CAPACITY)

    def _alloc(self, capacity: int) -> None:
        self.t = np.empty(capacity, dtype=np.float64)
        self.tmax = np.empty(capacity, dtype=np.float64)
        self.val = np.empty(capacity, dtype=np.float64)
        self.ch = np.empty(capacity, dtype=np.uint16)
        self.q = np.empty(capacity, dtype=np.uint8)

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def nbytes(self) -> int:
        return self.t.nbytes + self.tmax.nbytes + self.val.nbytes + self.ch.nbytes + self.q.nbytes

    def _make_room(self, n: int) -> None:
        live = self.end - self.start
        capacity = len(self.t)
        if self.end + n <= capacity:
            return
        need = live + n
        if need * 4 > capacity * 3:  # keep a quarter free, so compactions stay rare
            new_capacity = capacity
            while need * 4 > new_capacity * 3:
                new_capacity *= 2
            old = (self.t, self.tmax, self.val, self.ch, self.q)
            self._alloc(new_capacity)
            for dst, src in zip((self.t, self.tmax, self.val, self.ch, self.q), old, strict=True):
                dst[:live] = src[self.start : self.end]
        else:
            s, e = self.start, self.end
            for arr in (self.t, self.tmax, self.val, self.ch, self.q):
                arr[:live] = arr[s:e]  # numpy copies overlapping slices correctly
        self.start, self.end = 0, live

    def append(
        self,
        t: np.ndarray,
        ch: np.ndarray,
        val: np.ndarray,
        q: np.ndarray,
        horizon: float,
        cap: int,
    ) -> None:
        n = len(t)
        if n == 0:
            return
        self._make_room(n)
        s, e = self.end, self.end + n
        self.t[s:e] = t
        self.val[s:e] = val
        self.ch[s:e] = ch
        self.q[s:e] = q
        run = np.maximum.accumulate(t)
        if s > self.start:
            np.maximum(run, self.tmax[s - 1], out=run)
        self.tmax[s:e] = run
        self.end = e
        # evict by time: everything at or before (newest - horizon) ...
        cut = self.start + int(
            np.searchsorted(self.tmax[self.start : e], run[-1] - horizon, side="right")
        )
        # ... and by count, should the rate be far above what the horizon was sized for
        cut = max(cut, e - cap)
        if cut > self.start:
            self.floor = max(self.floor, float(self.tmax[cut - 1]))
            self.start = cut

    def since(self, after_t: float, codes: np.ndarray | None) -> tuple[np.ndarray, ...]:
        s, e = self.start, self.end
        i = s + int(np.searchsorted(self.tmax[s:e], after_t, side="right"))
        t = self.t[i:e]
        mask = t > after_t
        if codes is not None:
            mask &= np.isin(self.ch[i:e], codes)
        idx = np.flatnonzero(mask)
        return t[idx], self.ch[i:e][idx], self.val[i:e][idx], self.q[i:e][idx]


class _EventRing:
    """The last rows of one event log of one session; every row with seq > floor is here."""

    __slots__ = ("floor", "rows")

    def __init__(self, floor: int, capacity: int) -> None:
        self.floor = floor
        self.rows: deque[dict[str, Any]] = deque(maxlen=capacity)

    @property
    def last_seq(self) -> int:
        return self.rows[-1]["seq"] if self.rows else self.floor

    def append(self, record: dict[str, Any]) -> None:
        if len(self.rows) == self.rows.maxlen:
            self.floor = self.rows[0]["seq"]
        self.rows.append(record)

    def since(self, after_seq: int) -> list[dict[str, Any]]:
        out = []
        for r in reversed(self.rows):
            if r["seq"] <= after_seq:
                break
            out.append(r)
        out.reverse()
        return out


class _SessionFeed:
    __slots__ = ("events", "latest", "sample_floor", "samples", "waves")

    def __init__(self, sample_floor: float | None = None) -> None:
        self.sample_floor = sample_floor  # where a new sample ring's coverage starts
        self.samples: _SampleRing | None = None
        self.latest: dict[str, tuple[float, float, str]] = {}
        self.events: dict[str, _EventRing] = {}
        self.waves: deque[tuple[int, WaveSegment]] = deque()  # (wave seq, segment)


class Feed:
    """In-process live feed over a :class:`~vitalsdash.store.Store`.

    ``horizon_s``: seconds of samples kept per session; ``event_capacity``: rows kept per
    session and event log; ``max_samples``: hard cap of samples per session (default:
    horizon x 50 samples/s, far above any monitor's rate).
    """

    def __init__(
        self,
        store: Store,
        horizon_s: float = 7200.0,
        *,
        event_capacity: int = 500,
        max_samples: int | None = None,
        wave_horizon_s: float = WAVE_HORIZON_S,
    ) -> None:
        if horizon_s <= 0 or event_capacity < 1:
            raise ValueError("horizon_s must be > 0 and event_capacity >= 1")
        self.store = store
        self.horizon_s = float(horizon_s)
        self.event_capacity = int(event_capacity)
        self.max_samples = int(max_samples or max(1000, math.ceil(horizon_s * 50)))
        self._lock = threading.Lock()
        self._sessions: dict[int, _SessionFeed] = {}
        self._ch_codes: dict[str, int] = {}
        self._ch_names: list[str] = []
        self._q_codes: dict[str, int] = {}
        self._q_names: list[str] = []
        self.wave_horizon_s = float(wave_horizon_s)
        self._wave_seq = 0
        self._listeners: list[FeedListener] = []

    def add_listener(self, fn: FeedListener) -> None:
        """Call ``fn(tick, wave_seq)`` after every :meth:`append`: the write just taken
        (its event rows carry the store's seqs) and the wave seq its segments got (None
        when it had none), so another process can carry the same entries
        (``vitalsdash.bus``). It runs in the writer's thread: it must be quick; an
        exception is logged, never raised into the writer."""
        self._listeners.append(fn)

    # -- writing (the runtime thread)

    def _code(self, codes: dict[str, int], names: list[str], name: Any) -> int:
        code = codes.get(name)
        if code is None:
            code = codes[name] = len(names)
            names.append(str(name))
            if len(names) > np.iinfo(np.uint16).max:
                raise ValueError("more than 65535 distinct channel names")
        return code

    def append(self, tick: TickWrite) -> None:
        """Add a tick the store has just committed (the same object: its event rows carry
        the seqs ``Store.write_tick`` assigned). Call it from the writer thread, right after
        ``write_tick`` and before the next one."""
        groups: dict[int, tuple[list[float], list[int], list[float], list[int]]] = {}
        latest: dict[int, dict[str, tuple[float, float, str]]] = {}
        # the name -> code registries only grow, and only this (the writer) thread adds
        ch_codes, q_codes = self._ch_codes, self._q_codes
        for s in sample_tuples(tick.samples):
            sid, t, ch, v, q = int(s[0]), float(s[1]), s[2], s[3], s[4]
            g = groups.get(sid)
            if g is None:
                g = groups[sid] = ([], [], [], [])
                latest[sid] = {}
            v = math.nan if v is None else float(v)
            c = ch_codes.get(ch)
            if c is None:
                c = self._code(ch_codes, self._ch_names, ch)
            qc = q_codes.get(q)
            if qc is None:
                qc = self._code(q_codes, self._q_names, q)
            g[0].append(t)
            g[1].append(c)
            g[2].append(v)
            g[3].append(qc)
            lat = latest[sid]
            name = self._ch_names[c]
            prev = lat.get(name)
            if prev is None or t >= prev[0]:
                lat[name] = (t, v, self._q_names[qc])

        records: dict[int, dict[str, list[dict[str, Any]]]] = {}
        for kind, rows in tick.events().items():
            for r in map(partial(as_event_row, kind), rows):
                if r.seq is None:
                    raise ValueError(
                        f"{kind} row without seq: append a tick after Store.write_tick"
                    )
                records.setdefault(int(r.session_id), {}).setdefault(kind, []).append(
                    event_record(kind, r)
                )

        # First sight of a session: where do its event logs start? This tick's rows if it
        # has any, else the store's last seq (the tick is committed and, one writer, the
        # next one is not written before this append returns). And what did its channels
        # last show (NIBP may be minutes old)? Asked of the store outside the lock.
        mentioned = set(groups) | set(records) | {int(k) for k in tick.session_updates}
        with self._lock:
            unseen = [sid for sid in mentioned if sid not in self._sessions]
        seeds = {sid: self.store.latest_samples(sid) for sid in unseen}
        floors = {
            sid: {
                kind: (
                    records[sid][kind][0]["seq"] - 1
                    if kind in records.get(sid, {})
                    else self.store.last_seq(sid, kind)
                )
                for kind in EVENT_KINDS
            }
            for sid in unseen
        }

        with self._lock:
            for sid, kinds in floors.items():
                if sid not in self._sessions:
                    # the ring will hold every sample after the newest one stored now
                    newest = max((v[0] for v in seeds[sid].values()), default=-math.inf)
                    sf = self._sessions[sid] = _SessionFeed(newest)
                    sf.latest.update(seeds[sid])  # channels last seen before this feed
                    for kind, floor in kinds.items():
                        sf.events[kind] = _EventRing(floor, self.event_capacity)
            for sid, (t, ch, val, q) in groups.items():
                sf = self._session(sid)
                t_arr = np.asarray(t, dtype=np.float64)
                if sf.samples is None:
                    floor = sf.sample_floor
                    sf.samples = _SampleRing(float(t_arr.max()) if floor is None else floor)
                sf.samples.append(
                    t_arr,
                    np.asarray(ch, dtype=np.uint16),
                    np.asarray(val, dtype=np.float64),
                    np.asarray(q, dtype=np.uint8),
                    self.horizon_s,
                    self.max_samples,
                )
                for name, entry in latest[sid].items():
                    prev = sf.latest.get(name)
                    if prev is None or entry[0] >= prev[0]:
                        sf.latest[name] = entry
            wave_seq = None
            if tick.waves:
                self._wave_seq += 1
                wave_seq = self._wave_seq
                for sid, seg in tick.waves:
                    ring = self._session(int(sid)).waves
                    ring.append((self._wave_seq, seg))
                    while ring and ring[0][1].end_s < seg.end_s - self.wave_horizon_s:
                        ring.popleft()
            for sid, kinds in records.items():
                sf = self._session(sid)
                for kind, recs in kinds.items():
                    ring = sf.events.get(kind)
                    if ring is None or recs[0]["seq"] != ring.last_seq + 1:
                        # a gap (an append was skipped): claim only what follows it
                        ring = sf.events[kind] = _EventRing(recs[0]["seq"] - 1, self.event_capacity)
                    for rec in recs:
                        ring.append(rec)
        for listener in self._listeners:
            try:
                listener(tick, wave_seq)
            except Exception:  # the rows are stored and in the rings: go on
                log.exception("feed listener failed")

    def _session(self, sid: int) -> _SessionFeed:
        sf = self._sessions.get(sid)
        if sf is None:  # forgotten while this append ran: start over, event rings unknown
            sf = self._sessions[sid] = _SessionFeed()
        return sf

    def begin(self, session_id: int) -> None:
        """A session the writer has just created: everything it will ever hold passes
        through :meth:`append`, so the rings answer every cursor from its start on."""
        with self._lock:
            sf = self._sessions[session_id] = _SessionFeed(-math.inf)
            for kind in EVENT_KINDS:
                sf.events[kind] = _EventRing(0, self.event_capacity)

    def forget(self, session_id: int) -> None:
        """Drop a session's rings (when it ended); reads then come from the store."""
        with self._lock:
            self._sessions.pop(session_id, None)

    # -- reading (any thread)

    def samples_since(
        self, session_id: int, after_t: float | None, channels: Iterable[str] | None = None
    ) -> list[SampleTuple]:
        """Every sample with ``t > after_t`` (all when None), ordered by t, then insertion."""
        after = -math.inf if after_t is None else float(after_t)
        wanted = None if channels is None else {str(c) for c in channels}
        with self._lock:
            sf = self._sessions.get(session_id)
            ring = None if sf is None else sf.samples
            if ring is not None and after >= ring.floor:
                codes = None
                if wanted is not None:
                    codes = np.asarray(
                        [self._ch_codes[c] for c in wanted if c in self._ch_codes], dtype=np.uint16
                    )
                t, ch, val, q = ring.since(after, codes)
                ch_names, q_names = list(self._ch_names), list(self._q_names)
            else:
                ring = None
        if ring is None:
            df = self.store.samples(session_id, since_t=after_t, channels=wanted)
            return list(
                zip(
                    df["t_s"].tolist(),
                    df["channel"].tolist(),
                    df["value"].tolist(),
                    df["quality"].tolist(),
                    strict=True,
                )
            )
        if len(t) > 1 and not bool(np.all(t[1:] >= t[:-1])):
            order = np.argsort(t, kind="stable")
            t, ch, val, q = t[order], ch[order], val[order], q[order]
        return [
            (tt, ch_names[c], v, q_names[qq])
            for tt, c, v, qq in zip(t.tolist(), ch.tolist(), val.tolist(), q.tolist(), strict=True)
        ]

    def latest(self, session_id: int) -> dict[str, tuple[float, float, str]]:
        """Per channel the newest sample (t, value, quality): what the numerics show."""
        with self._lock:
            sf = self._sessions.get(session_id)
            if sf is not None:
                return dict(sf.latest)
        return self.store.latest_samples(session_id)

    def _events_since(
        self, kind: str, session_id: int, after_seq: int | None
    ) -> list[dict[str, Any]]:
        after_seq = after_seq or 0
        with self._lock:
            sf = self._sessions.get(session_id)
            ring = None if sf is None else sf.events.get(kind)
            if ring is not None and after_seq >= ring.floor:
                return copy.deepcopy(ring.since(after_seq))
        return self.store.events(kind, session_id, since_seq=after_seq)

    def alarm_events_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        """Alarm log rows with ``seq > after_seq``, by seq (as ``Store.alarm_events``)."""
        return self._events_since("alarm_events", session_id, after_seq)

    def actions_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        return self._events_since("actions", session_id, after_seq)

    def observations_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        return self._events_since("observations", session_id, after_seq)

    def session_events_since(self, session_id: int, after_seq: int = 0) -> list[dict[str, Any]]:
        return self._events_since("session_events", session_id, after_seq)

    def waves_since(
        self, session_ids: Iterable[int], after_seq: int = 0
    ) -> tuple[int, list[tuple[int, WaveSegment]]]:
        """The newest wave seq, and ``(session id, segment)`` for every waveform segment
        appended after ``after_seq`` (at most the last ``wave_horizon_s`` seconds of each
        session), oldest first. Waves are for the live sweep only: a cursor older than the
        ring gets what the ring still holds."""
        with self._lock:
            out = []
            for sid in session_ids:
                sf = self._sessions.get(int(sid))
                if sf is not None:
                    out += [(seq, int(sid), seg) for seq, seg in sf.waves if seq > after_seq]
            newest = self._wave_seq
        out.sort(key=lambda x: x[0])
        return newest, [(sid, seg) for _, sid, seg in out]

    # -- introspection

    def nbytes(self) -> int:
        """Bytes held by the sample arrays of every session (event rows not counted)."""
        with self._lock:
            return sum(
                sf.samples.nbytes for sf in self._sessions.values() if sf.samples is not None
            )

    def ring_size(self, session_id: int) -> int:
        """Samples of the session held in memory (0 if none)."""
        with self._lock:
            sf = self._sessions.get(session_id)
            return 0 if sf is None or sf.samples is None else sf.samples.size
