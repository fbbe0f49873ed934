"""The row codec: what a tick writes, and how samples and events become rows and back.

The runtime hands the store a :class:`TickWrite` of row records (or plain dicts with the
same keys); :func:`sample_tuples` and :func:`event_record` turn them into the values a
row holds, which are also the dicts a read returns, so the feed's copy of an event and
the store's compare equal. The ``seq`` of an event row is assigned by the store when
the tick is written. The tick's waveform segments become rows in ``_waves``.

Values. JSON columns take dicts of plain values (enums are stored by value, NaN and
infinities as null) and read back as dicts. Text is made safe for both databases
(:func:`safe_text`). Wall-clock times are stored as UTC ISO text and must be
timezone-aware.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple

import numpy as np

from vitalsdash.store import _schema
from vitalsdash.waves import WaveSegment

EVENT_KINDS = tuple(_schema.EVENT_TABLES)
"""The per-session logs numbered by seq: alarm_events, actions, observations, session_events."""


# --------------------------------------------------------------------------- tick rows


class SampleRow(NamedTuple):
    """One sample of one session (a tuple: plain 6-tuples in this order work too)."""

    session_id: int
    t_s: float
    channel: str  # a model.Channel or any channel name
    value: float | None  # NaN or None when there is no usable value (stored as NULL)
    quality: str = "ok"  # a model.Quality: ok | artefact | invalid
    true_value: float | None = None  # the simulator's noiseless value, if known

    @classmethod
    def of(cls, session_id: int, sample: Any, true_value: float | None = None) -> SampleRow:
        """From a ``model.Sample``."""
        return cls(session_id, sample.t_s, sample.channel, sample.value, sample.quality, true_value)


@dataclass(slots=True)
class AlarmEventRow:
    """One line of the alarm log of a session."""

    session_id: int
    t_s: float
    condition: str
    event: str
    priority: str | None = None  # HIGH | MEDIUM | LOW in force (alarms.Priority accepted)
    priority_base: str | None = None  # as the profile gives it
    value: float | None = None
    limit_value: float | None = None
    actor: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None  # assigned by Store.write_tick

    @classmethod
    def of(cls, session_id: int, ev: Any) -> AlarmEventRow:
        """From an ``alarms.AlarmEvent`` (read by attribute; the store does not import alarms)."""
        return cls(
            session_id,
            ev.t_s,
            ev.condition,
            str(ev.event),
            ev.priority,
            ev.base_priority,
            ev.value,
            ev.limit,
            str(ev.actor or ""),
            dict(ev.detail or {}),
        )


@dataclass(slots=True)
class ActionRow:
    """Something a trainee, instructor or the system did, and whether it was carried out."""

    session_id: int
    t_s: float
    actor: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    outcome: str = "ok"  # ok | refused
    reason: str | None = None  # why it was refused
    seq: int | None = None
    user_id: int | None = None  # who acted, as logged in (None: no login)
    user_name: str | None = None


@dataclass(slots=True)
class ObservationRow:
    """A clinical observation scored or noted by a person (sedation, nausea, ... note)."""

    session_id: int
    t_s: float
    kind: str  # sedation | dissociation | nausea | pain | alertness | note
    value: float | None = None
    text: str | None = None
    actor: str = "trainee"
    seq: int | None = None


@dataclass(slots=True)
class SessionEventRow:
    """A phase change, a scripted or injected scenario event, or a device note."""

    session_id: int
    t_s: float
    kind: str
    source: str = "system"
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None


Row = Mapping[str, Any]


@dataclass(slots=True)
class TickWrite:
    """Everything one runtime tick produced across all beds, written in one transaction.

    Each list takes the row dataclasses above or plain dicts with the same keys (samples
    also tuples in SampleRow's order); ``write_tick`` writes ``seq`` into both kinds.
    ``session_updates`` maps a session id to any of ``last_t_s``, ``phase``, ``status``,
    ``last_write_wall`` and ``ended_wall`` (datetimes, timezone-aware), and for a
    discharge ``discharged_at`` (a datetime), ``discharged_t_s``, ``discharged_by`` and
    ``discharge_note``.
    """

    samples: list[SampleRow | tuple[Any, ...] | Row] = field(default_factory=list)
    alarm_events: list[AlarmEventRow | Row] = field(default_factory=list)
    actions: list[ActionRow | Row] = field(default_factory=list)
    observations: list[ObservationRow | Row] = field(default_factory=list)
    session_events: list[SessionEventRow | Row] = field(default_factory=list)
    session_updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (sender, MSH-10, session id) of HL7 messages whose samples are in this tick
    hl7_received: list[tuple[str, str, int]] = field(default_factory=list)
    # (session id, WaveSegment): the waveforms the tick's seconds produced
    waves: list[tuple[int, WaveSegment]] = field(default_factory=list)

    def events(self) -> dict[str, list[Any]]:
        return {
            "alarm_events": self.alarm_events,
            "actions": self.actions,
            "observations": self.observations,
            "session_events": self.session_events,
        }


# ------------------------------------------------------------------ value normalising


def plain_json(obj: Any) -> Any:
    """A JSON-safe copy: enums by value (IntEnums by name), NaN/inf as None, tuples as lists."""
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, Enum):
        if isinstance(obj, str):
            return str(obj.value)
        return obj.name
    if isinstance(obj, str):
        return safe_text(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.generic):
        return plain_json(obj.item())
    if isinstance(obj, Mapping):
        return {str(plain_json(k)): plain_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain_json(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((plain_json(v) for v in obj), key=repr)
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    raise TypeError(f"cannot store a {type(obj).__name__} in a JSON column: {obj!r}")


def json_dumps(obj: Any) -> str:
    return json.dumps(plain_json(obj), separators=(",", ":"), allow_nan=False)


def _opt_float(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


# what PostgreSQL refuses in text and JSON (NUL; lone surrogates are not UTF-8): a row
# holding one would fail its whole transaction, whatever let it through
_REFUSED_CHARS = re.compile("[\x00\ud800-\udfff]")


def safe_text(v: Any) -> str:
    """``str(v)`` with NUL and lone surrogates replaced by U+FFFD, so that no text can fail
    a write (SQLite stores the same text as PostgreSQL)."""
    text = v if type(v) is str else str(v)
    if text.isascii() and "\x00" not in text:  # the common case, fast (no surrogates)
        return text
    return _REFUSED_CHARS.sub("\ufffd", text)


def opt_str(v: Any) -> str | None:
    return None if v is None else safe_text(v)


def _priority(p: Any) -> str | None:
    if p is None:
        return None
    if isinstance(p, Enum) and not isinstance(p, str):
        return p.name
    return str(p).upper()


_ROW_TYPES: dict[str, type] = {
    "alarm_events": AlarmEventRow,
    "actions": ActionRow,
    "observations": ObservationRow,
    "session_events": SessionEventRow,
}


def as_event_row(kind: str, row: Any) -> Any:
    """The row dataclass of ``kind`` for ``row``: the row itself, or one built from a dict
    with the same keys (unknown keys are an error; ``seq`` is read if present)."""
    if not isinstance(row, Mapping):
        return row
    cls = _ROW_TYPES[kind]
    names = set(cls.__dataclass_fields__)
    unknown = set(row) - names
    if unknown:
        raise ValueError(f"{kind} row with unknown keys {sorted(unknown)}: {dict(row)!r}")
    return cls(**row)


def sample_tuples(rows: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Samples as 6-tuples (session_id, t_s, channel, value, quality, true_value) from
    SampleRows, shorter tuples (quality "ok" and true_value None by default) or dicts."""
    out: list[tuple[Any, ...]] = []
    for s in rows:
        if isinstance(s, tuple):
            out.append(s if len(s) == 6 else SampleRow(*s))
        else:
            out.append(
                (
                    s["session_id"],
                    s["t_s"],
                    s["channel"],
                    s.get("value"),
                    s.get("quality", "ok"),
                    s.get("true_value"),
                )
            )
    return out


def event_record(kind: str, row: Any) -> dict[str, Any]:
    """The dict a read returns for one event row (also the insert parameters).

    The feed builds its ring entries with this function, so a feed read and a store read
    of the same events compare equal.
    """
    row = as_event_row(kind, row)
    base = {"session_id": int(row.session_id), "seq": row.seq, "t_s": float(row.t_s)}
    if kind == "alarm_events":
        base.update(
            condition=safe_text(row.condition),
            event=safe_text(row.event),
            priority=_priority(row.priority),
            priority_base=_priority(row.priority_base),
            value=_opt_float(row.value),
            limit_value=_opt_float(row.limit_value),
            actor=safe_text(row.actor or ""),
            detail=plain_json(dict(row.detail or {})),
        )
    elif kind == "actions":
        base.update(
            actor=safe_text(row.actor),
            kind=safe_text(row.kind),
            params=plain_json(dict(row.params or {})),
            outcome=safe_text(row.outcome),
            reason=opt_str(row.reason),
            user_id=None if row.user_id is None else int(row.user_id),
            user_name=opt_str(row.user_name),
        )
    elif kind == "observations":
        base.update(
            kind=safe_text(row.kind),
            value=_opt_float(row.value),
            text=opt_str(row.text),
            actor=safe_text(row.actor),
        )
    elif kind == "session_events":
        base.update(
            kind=safe_text(row.kind),
            source=safe_text(row.source),
            detail=plain_json(dict(row.detail or {})),
        )
    else:
        raise ValueError(f"unknown event kind {kind!r} (one of {', '.join(EVENT_KINDS)})")
    return base


def wall_text(dt: datetime) -> str:
    """A timezone-aware datetime as the UTC ISO text the store keeps."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"wall-clock times must be timezone-aware (got naive {dt.isoformat()})")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def parse_wall(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
