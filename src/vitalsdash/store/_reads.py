"""The store's reads: short read transactions on pooled connections, so any thread may read.

Sample cursors are times: ``samples(since_t=x)`` returns rows with ``t_s > x`` (and
``t_s <= until_t``), ordered by t, then insertion; the runtime writes each session's
samples in non-decreasing tick order, so a time cursor never skips a late sample. Event
cursors are sequence numbers (``since_seq`` is exclusive). Waveforms are read as strips:
:meth:`StoreReads.wave_strip` joins the stored stretches of one wave over a window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Double, Table, and_, cast, func, select

from vitalsdash import interruptions
from vitalsdash.store import _schema
from vitalsdash.store._codec import EVENT_KINDS, parse_wall
from vitalsdash.store._errors import ReadConnections
from vitalsdash.store._waves import row_values
from vitalsdash.waves import WaveSegment

SAMPLE_COLUMNS = ("t_s", "channel", "value", "quality", "true_value")
"""Columns of the DataFrame :meth:`Store.samples` returns."""


def _session_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["started_wall"] = parse_wall(d["started_wall"])
    d["ended_wall"] = parse_wall(d["ended_wall"])
    d["last_write_wall"] = parse_wall(d.get("last_write_wall"))
    d["discharged_at"] = parse_wall(d.get("discharged_at"))
    return d


def _patient_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["created_wall"] = parse_wall(d["created_wall"])
    return d


class StoreReads(ReadConnections):
    """The read half of :class:`~vitalsdash.store.Store` (it inherits these methods); it
    needs only the store's engine. Every read connects through ``_read``: a database out
    of reach raises :class:`~vitalsdash.store.StoreUnavailableError`."""

    def session(self, session_id: int) -> dict[str, Any] | None:
        t = _schema.sessions
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.id == session_id)).first()
        return None if row is None else _session_dict(row)

    def sessions(
        self, status: str | None = None, bed_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Sessions, oldest first, optionally only those with ``status`` and/or on ``bed_id``."""
        t = _schema.sessions
        stmt = select(t).order_by(t.c.id)
        if status is not None:
            stmt = stmt.where(t.c.status == status)
        if bed_id is not None:
            stmt = stmt.where(t.c.bed_id == bed_id)
        with self._read() as conn:
            return [_session_dict(r) for r in conn.execute(stmt)]

    def samples(
        self,
        session_id: int,
        since_t: float | None = None,
        until_t: float | None = None,
        channels: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Samples with ``since_t < t_s <= until_t`` (either end open when None), ordered by
        t, then insertion. Columns t_s, channel, value (NaN when none), quality, true_value."""
        t = _schema.samples
        stmt = select(t.c.t_s, t.c.channel, t.c.value, t.c.quality, t.c.true_value).where(
            t.c.session_id == session_id
        )
        if since_t is not None:
            stmt = stmt.where(t.c.t_s > float(since_t))
        if until_t is not None:
            stmt = stmt.where(t.c.t_s <= float(until_t))
        if channels is not None:
            stmt = stmt.where(t.c.channel.in_(sorted({str(c) for c in channels})))
        stmt = stmt.order_by(t.c.t_s, t.c.id)
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            cols: dict[str, Any] = {c: pd.Series(dtype="float64") for c in SAMPLE_COLUMNS}
            cols["channel"] = pd.Series(dtype=object)
            cols["quality"] = pd.Series(dtype=object)
            return pd.DataFrame(cols)
        ts, chs, vals, qs, tvs = zip(*rows, strict=True)
        return pd.DataFrame(
            {
                "t_s": np.asarray(ts, dtype="float64"),
                "channel": pd.Series(chs, dtype=object),
                "value": np.asarray([np.nan if v is None else v for v in vals], dtype="float64"),
                "quality": pd.Series(qs, dtype=object),
                "true_value": np.asarray(
                    [np.nan if v is None else v for v in tvs], dtype="float64"
                ),
            }
        )

    def latest_samples(self, session_id: int) -> dict[str, tuple[float, float, str]]:
        """Per channel, the last sample (greatest t, then last inserted): (t, value, quality)."""
        t = _schema.samples
        top = (
            select(t.c.channel, func.max(t.c.t_s).label("t_max"))
            .where(t.c.session_id == session_id)
            .group_by(t.c.channel)
            .subquery()
        )
        stmt = (
            select(t.c.channel, t.c.t_s, t.c.value, t.c.quality)
            .join(top, and_(t.c.channel == top.c.channel, t.c.t_s == top.c.t_max))
            .where(t.c.session_id == session_id)
            .order_by(t.c.id)
        )
        out: dict[str, tuple[float, float, str]] = {}
        with self._read() as conn:
            for ch, ts, v, q in conn.execute(stmt):
                out[ch] = (ts, math.nan if v is None else v, q)
        return out

    def _events(
        self, kind: str, session_id: int, since_seq: int | None, limit: int | None
    ) -> list[dict[str, Any]]:
        table: Table = _schema.EVENT_TABLES[kind]
        stmt = select(table).where(table.c.session_id == session_id)
        if since_seq is not None:
            stmt = stmt.where(table.c.seq > since_seq)
        stmt = stmt.order_by(table.c.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def alarm_events(
        self, session_id: int, since_seq: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Alarm log rows with ``seq > since_seq``, by seq."""
        return self._events("alarm_events", session_id, since_seq, limit)

    def actions(
        self, session_id: int, since_seq: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self._events("actions", session_id, since_seq, limit)

    def observations(
        self, session_id: int, since_seq: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self._events("observations", session_id, since_seq, limit)

    def session_events(
        self, session_id: int, since_seq: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self._events("session_events", session_id, since_seq, limit)

    def interruption_events(
        self, session_ids: Iterable[int] | None = None
    ) -> dict[int, list[dict[str, Any]]]:
        """The ``monitoring_interrupted``/``monitoring_resumed`` session events of the given
        sessions (all when None) in one read, by session, each in seq order."""
        t = _schema.session_events
        stmt = select(t).where(t.c.kind.in_(interruptions.KINDS))
        if session_ids is not None:
            stmt = stmt.where(t.c.session_id.in_([int(i) for i in session_ids]))
        out: dict[int, list[dict[str, Any]]] = {}
        with self._read() as conn:
            for r in conn.execute(stmt.order_by(t.c.session_id, t.c.seq)):
                out.setdefault(int(r.session_id), []).append(dict(r._mapping))
        return out

    def events(
        self, kind: str, session_id: int, since_seq: int | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Any of the four logs by name (``EVENT_KINDS``)."""
        if kind not in _schema.EVENT_TABLES:
            raise ValueError(f"unknown event kind {kind!r} (one of {', '.join(EVENT_KINDS)})")
        return self._events(kind, session_id, since_seq, limit)

    def last_seq(self, session_id: int, kind: str) -> int:
        """The highest seq of ``kind`` (an ``EVENT_KINDS`` name) in the session; 0 if none."""
        if kind not in _schema.EVENT_TABLES:
            raise ValueError(f"unknown event kind {kind!r} (one of {', '.join(EVENT_KINDS)})")
        table = _schema.EVENT_TABLES[kind]
        with self._read() as conn:
            top = conn.execute(
                select(func.max(table.c.seq)).where(table.c.session_id == session_id)
            ).scalar()
        return int(top or 0)

    # -- waveforms

    def wave_spans(self, session_id: int) -> dict[str, tuple[float, float]]:
        """Each wave the session recorded: (time of its first sample, end of its last
        stretch), session seconds. Empty for a session without waveforms (a device that
        sends none, a replayed recording, a session stored before waveforms were)."""
        spans: dict[str, tuple[float, float]] = {}
        with self._read() as conn:
            for t in _schema.WAVE_TABLES:
                end = t.c.t0_s + cast(t.c.n, Double) / t.c.sample_rate_hz
                stmt = (select(t.c.wave, func.min(t.c.t0_s), func.max(end))
                        .where(t.c.session_id == int(session_id)).group_by(t.c.wave))  # fmt: skip
                for w, a, b in conn.execute(stmt):
                    lo, hi = spans.get(str(w), (math.inf, -math.inf))
                    spans[str(w)] = (min(lo, float(a)), max(hi, float(b)))
        return spans

    def wave_strip(
        self, session_id: int, wave: str, from_s: float, to_s: float
    ) -> WaveSegment | None:
        """The samples of ``wave`` from ``from_s`` up to (not including) ``to_s``, joined
        from the stored stretches, at the wave's sample rate: sample k at
        ``t0_s + k / sample_rate_hz``, the first one the first sample time at or after
        ``from_s``; NaN where nothing was stored (or there was no signal). None when
        nothing of the wave was stored in the window: no waveform was recorded there.
        A stretch whose samples fall between the grid's is placed on the nearest one."""
        lo, hi = float(from_s), float(to_s)
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ValueError(f"a strip needs from_s < to_s, both finite (got {lo}, {hi})")
        rows = []
        with self._read() as conn:
            for t in _schema.WAVE_TABLES:
                stmt = (
                    select(t.c.t0_s, t.c.sample_rate_hz, t.c.n, t.c.scale, t.c.data)
                    .where(t.c.session_id == int(session_id), t.c.wave == str(wave),
                           t.c.t0_s > lo - _schema.WAVE_ROW_MAX_S - 1.0, t.c.t0_s < hi)
                )  # fmt: skip
                rows += [r for r in conn.execute(stmt) if r.t0_s + r.n / r.sample_rate_hz > lo]
        if not rows:
            return None
        rows.sort(key=lambda r: r.t0_s)
        rate = max(int(r.sample_rate_hz) for r in rows)
        k0 = math.ceil(lo * rate - 1e-6)
        out = np.full(max(math.ceil(hi * rate - 1e-6) - k0, 0), np.nan, dtype=np.float32)
        for r in rows:
            values = row_values(int(r.n), float(r.scale), r.data)
            k = np.rint((r.t0_s + np.arange(r.n) / r.sample_rate_hz) * rate).astype(np.int64)
            k -= k0
            inside = (k >= 0) & (k < out.size)
            out[k[inside]] = values[inside]
        return WaveSegment(str(wave), rate, k0 / rate, out)

    # -- a course of sessions

    def patient(self, patient_id: int) -> dict[str, Any] | None:
        """A named virtual patient (None: no such patient)."""
        t = _schema.patients
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.id == int(patient_id))).first()
        return None if row is None else _patient_dict(row)

    def patients(self) -> list[dict[str, Any]]:
        """Every named virtual patient, oldest first, each with ``sessions_given``: how
        many of its sessions the store holds."""
        t, c = _schema.patients, _schema.course_sessions
        given = (select(c.c.patient_id, func.count().label("n"))
                 .group_by(c.c.patient_id).subquery())  # fmt: skip
        stmt = (select(t, func.coalesce(given.c.n, 0).label("sessions_given"))
                .outerjoin(given, given.c.patient_id == t.c.id).order_by(t.c.id))  # fmt: skip
        with self._read() as conn:
            return [_patient_dict(r) for r in conn.execute(stmt)]

    def course(self, patient_id: int) -> list[dict[str, Any]]:
        """The patient's sessions by session number: ``session_number``, ``session_id``
        and the session's ``bed_id``, ``status``, ``started_wall``, ``ended_wall`` and
        ``last_t_s``."""
        c, s = _schema.course_sessions, _schema.sessions
        stmt = (
            select(c.c.session_number, c.c.session_id, s.c.bed_id, s.c.status,
                   s.c.started_wall, s.c.ended_wall, s.c.last_t_s)
            .join(s, s.c.id == c.c.session_id)
            .where(c.c.patient_id == int(patient_id))
            .order_by(c.c.session_number)
        )  # fmt: skip
        with self._read() as conn:
            out = []
            for r in conn.execute(stmt):
                d = dict(r._mapping)
                d["started_wall"] = parse_wall(d["started_wall"])
                d["ended_wall"] = parse_wall(d["ended_wall"])
                out.append(d)
            return out

    def course_of(self, session_id: int) -> dict[str, Any] | None:
        """Which patient's course a session belongs to: ``patient_id`` and its
        ``session_number`` (None: a session of no course)."""
        c = _schema.course_sessions
        stmt = select(c.c.patient_id, c.c.session_number).where(c.c.session_id == int(session_id))
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else dict(row._mapping)

    # -- HL7 messages already stored (the runtime's check for resends)

    def hl7_received(self, sender: str, control_id: str) -> int | None:
        """The session whose samples hold HL7 message ``control_id`` from ``sender``, if
        it was stored (``TickWrite.hl7_received``); None if not."""
        t = _schema.hl7_received
        stmt = select(t.c.session_id).where(t.c.sender == str(sender),
                                            t.c.control_id == str(control_id))  # fmt: skip
        with self._read() as conn:
            sid = conn.execute(stmt).scalar()
        return None if sid is None else int(sid)

    def hl7_recent(self, sender: str, limit: int) -> dict[str, int]:
        """The ``limit`` HL7 message ids last stored from ``sender``: id -> session."""
        t = _schema.hl7_received
        stmt = (select(t.c.control_id, t.c.session_id).where(t.c.sender == str(sender))
                .order_by(t.c.received_wall.desc()).limit(int(limit)))  # fmt: skip
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return {str(c): int(sid) for c, sid in reversed(rows)}
