"""Waveform rows: a tick's segments as compressed stretches, short ones folded into long.

Private to :mod:`vitalsdash.store`. A row holds a stretch of one wave as vitalsdash.waves'
int16 counts (differences of a smooth wave: small numbers that repeat), compressed with
zlib.

At x1 every tick brings one second of each wave of each bed. Stored as it comes, a second
of ECG is ~250 compressed bytes plus ~60 bytes of row and index, because zlib finds
little to share within one second. So each tick's short stretches are inserted at once
into ``waveforms_recent``, in the tick's own transaction (what the feed shows is
stored), and once the recent rows of a wave join up to :data:`WAVE_ROW_MAX_S` seconds
they are replaced, in the transaction of the tick that completes them, by one row of that
length in ``waveforms``. Either the short rows or the long one exist at any moment, and
both read the same (a read joins both tables).

Why two tables: SQLite appends new rows at the end of a table, so short rows deleted from
between long ones would leave holes that nothing fills (a third of the pages in a
measurement). The recent table's rows all go within seconds, so its pages empty
completely and are reused, and ``waveforms`` only ever receives long rows, densely
(docs/benchmarks.md: bytes per bed-hour).

The folder remembers the recent rows it may fold (their ids and values: a few seconds per
wave per bed); a failed tick changes neither the rows nor that memory. After a restart
the recent rows of that moment are simply left where they are (a read finds them).
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete

from vitalsdash import channels
from vitalsdash.store import _schema
from vitalsdash.store._codec import safe_text
from vitalsdash.waves import MAX_COUNT, WaveSegment, counts_to_values, values_to_counts

WAVE_ROW_MAX_S = _schema.WAVE_ROW_MAX_S
WAVE_ZLIB_LEVEL = 6
"""zlib's default level; level 1 stores ~10% more for about half the time, and neither
time matters at 64 beds (benchmarks/bench_store.py)."""
IDLE_WRITES = 600
"""A wave not written for this many waveform writes (a session ended, a bed held) is
forgotten: its last short rows stay as they are."""

Key = tuple[int, str, int]  # session id, wave, sample rate


@dataclass(frozen=True, slots=True)
class Stretch:
    """Consecutive samples of one session's wave, as a tick brought them."""

    session_id: int
    wave: str
    sample_rate_hz: int
    t0_s: float
    values: np.ndarray  # float64, NaN: no sample

    @property
    def key(self) -> Key:
        return (self.session_id, self.wave, self.sample_rate_hz)


def stretches(waves: Iterable[tuple[int, Any]]) -> list[Stretch]:
    """``TickWrite.waves`` as stretches: consecutive segments of one session's wave (one
    starting where the previous ended) joined, so that a fast clock's many seconds make
    few rows. ValueError/TypeError for a segment that is not one: the tick is then not
    written at all."""
    out: list[Stretch] = []
    last: dict[Key, int] = {}
    for sid, seg in waves:
        if not isinstance(seg, WaveSegment):
            raise TypeError(f"waves: expected (session id, WaveSegment), got {type(seg).__name__}")
        rate, t0 = int(seg.sample_rate_hz), float(seg.t0_s)
        if rate <= 0 or not math.isfinite(t0):
            raise ValueError(f"waves: a segment of {seg.wave!r} at {rate} Hz from {t0} s "
                             "(a wave needs a sample rate above 0 and a finite time)")  # fmt: skip
        values = np.asarray(seg.values, dtype=np.float64).ravel()
        if values.size == 0:
            continue
        s = Stretch(int(sid), safe_text(seg.wave), rate, t0, values)
        i = last.get(s.key)
        if i is not None and _follows(out[i].t0_s, out[i].values.size, rate, t0):
            p = out[i]
            out[i] = Stretch(*s.key, p.t0_s, np.concatenate((p.values, values)))
            continue
        last[s.key] = len(out)
        out.append(s)
    return out


def _follows(t0_s: float, n: int, rate: int, next_t0_s: float) -> bool:
    return abs(t0_s + n / rate - next_t0_s) < 0.5 / rate


def wave_scale(wave: str, values: np.ndarray) -> float:
    """The registry's resolution of ``wave``; for a wave it does not know, one that fits
    the stretch's own range into the int16 counts."""
    if channels.is_known(wave) and channels.get(wave).wave_scale > 0:
        return float(channels.get(wave).wave_scale)
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return top / MAX_COUNT if top > 0 else 1.0


def _row(key: Key, t0_s: float, values: np.ndarray) -> dict[str, Any]:
    sid, wave, rate = key
    scale = wave_scale(wave, values)
    data = zlib.compress(values_to_counts(values, scale).tobytes(), WAVE_ZLIB_LEVEL)
    return {"session_id": sid, "wave": wave, "t0_s": t0_s, "sample_rate_hz": rate,
            "n": int(values.size), "scale": scale, "data": data}  # fmt: skip


def row_values(n: int, scale: float, data: bytes) -> np.ndarray:
    """One stored row's samples (float32, NaN where there was none)."""
    counts = np.frombuffer(zlib.decompress(data), dtype="<i2")
    if counts.size != n:
        raise ValueError(f"a waveform row holds {counts.size} samples, its n says {n}")
    return counts_to_values(counts, scale)


@dataclass
class _Open:
    """The short rows of one wave that the next stretches may complete."""

    t0_s: float
    parts: list[np.ndarray]
    ids: list[int]  # stored rows
    pending: list[int] = field(default_factory=list)  # rows of the plan being written
    touched: int = 0

    @property
    def n(self) -> int:
        return sum(p.size for p in self.parts)


@dataclass
class Plan:
    """One tick's waveform rows: the long rows, the recent (short) rows and which recent
    rows the folds replace."""

    long_rows: list[dict[str, Any]] = field(default_factory=list)
    recent_rows: list[dict[str, Any] | None] = field(default_factory=list)  # None: folded
    delete_ids: list[int] = field(default_factory=list)
    opens: dict[Key, _Open | None] = field(default_factory=dict)
    ids: list[int | None] = field(default_factory=list)  # of recent_rows, once inserted

    def execute(self, conn: Connection) -> None:
        """Insert and delete, in the caller's transaction; remembers the new rows' ids."""
        long, recent = _schema.waveforms, _schema.waveforms_recent
        if self.delete_ids:
            conn.execute(delete(recent).where(recent.c.id.in_(self.delete_ids)))
        if self.long_rows:
            conn.execute(long.insert(), self.long_rows)
        live = [r for r in self.recent_rows if r is not None]
        got: list[int] = []
        if live:
            stmt = recent.insert().returning(recent.c.id, sort_by_parameter_order=True)
            got = [int(i) for i in conn.execute(stmt, live).scalars()]
        it = iter(got)
        self.ids = [None if r is None else next(it) for r in self.recent_rows]


class WaveFolder:
    """Plans each tick's waveform rows against the recent rows written before, and learns
    the outcome only once the tick's transaction is committed (:meth:`committed`)."""

    def __init__(self, max_s: float = WAVE_ROW_MAX_S) -> None:
        self.max_s = float(max_s)
        self.lock = threading.Lock()  # held from a plan to its commit (one writer at a time)
        self._open: dict[Key, _Open] = {}
        self._writes = 0

    def plan(self, waves: Iterable[tuple[int, Any]]) -> Plan:
        plan = Plan()
        for s in stretches(waves):
            o = plan.opens[s.key] if s.key in plan.opens else self._open.get(s.key)
            step = max(1, int(self.max_s * s.sample_rate_hz))
            if o is not None and _follows(o.t0_s, o.n, s.sample_rate_hz, s.t0_s):
                t0, parts = o.t0_s, [*o.parts, s.values]
                ids, pending = list(o.ids), list(o.pending)
            else:  # the first stretch, or after a gap: older recent rows stay as they are
                t0, parts, ids, pending = s.t0_s, [s.values], [], []
            if sum(p.size for p in parts) < step:
                pending.append(len(plan.recent_rows))
                plan.recent_rows.append(_row(s.key, s.t0_s, s.values))
                plan.opens[s.key] = _Open(t0, parts, ids, pending)
                continue
            joined = np.concatenate(parts)  # fold: long rows replace the recent ones
            plan.delete_ids += ids
            for i in pending:
                plan.recent_rows[i] = None
            plan.opens[s.key] = None
            for i in range(0, joined.size, step):
                chunk, at = joined[i : i + step], t0 + i / s.sample_rate_hz
                if chunk.size == step:
                    plan.long_rows.append(_row(s.key, at, chunk))
                else:  # the rest is a recent row again
                    plan.recent_rows.append(_row(s.key, at, chunk))
                    plan.opens[s.key] = _Open(at, [chunk], [], [len(plan.recent_rows) - 1])
        return plan

    def committed(self, plan: Plan) -> None:
        """The plan's transaction is committed: remember its recent rows."""
        self._writes += 1
        for key, o in plan.opens.items():
            if o is None:
                self._open.pop(key, None)
                continue
            ids = o.ids + [i for i in (plan.ids[k] for k in o.pending) if i is not None]
            self._open[key] = _Open(o.t0_s, o.parts, ids, touched=self._writes)
        if self._writes % 100 == 0:
            idle = [k for k, o in self._open.items() if o.touched < self._writes - IDLE_WRITES]
            for k in idle:
                del self._open[k]
