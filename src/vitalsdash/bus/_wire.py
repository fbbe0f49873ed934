"""What the runtime puts in Redis and how a web worker reads it back: key names and the
encoding of feed entries, waveform entries and replies, shared by both sides.

A bed's feed stream holds one entry per write (a tick's or an action's) and session:
the samples as the feed keeps them (t, channel, value, quality), the event records as
``store.event_record`` builds them (with the store's seqs), and the chain that tells a
reader what the stream covers: ``prev`` (the id of the publisher's previous entry of the
session, "" when unknown or lost), ``tf`` (no sample of the session newer than this lies
before the entry) and ``ef`` (per event log, the last seq before the entry).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from vitalsdash.store import EVENT_KINDS
from vitalsdash.waves import PackedSegment, Segment

BUS_PREFIX = "vitalsdash"
"""The default prefix of every key (several clinics can share one Redis, each its own)."""
CONSUMER_GROUP = "runtime"
"""The commands stream's consumer group: the runtime (one writer) reads it."""

_JSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> bytes:
    """JSON of plain data, and of the seam's values (``Plain`` dataclasses) as their
    ``to_dict()`` gives it, made by orjson without the copy: a fifth of the time, and the
    runtime writes every bed's view on every tick."""
    return orjson.dumps(obj, default=_mapping, option=_JSON_OPTS)


def _mapping(obj: Any) -> Any:
    """The read-only mappings inside views (orjson writes dicts, not mapping proxies)."""
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"not JSON: {type(obj).__name__}")


def loads(raw: bytes | str) -> Any:
    return orjson.loads(raw)


@dataclass(frozen=True)
class Keys:
    """The key names under one prefix."""

    prefix: str = BUS_PREFIX

    @property
    def clinic(self) -> str:
        """The clinic's header: a ClinicView without its beds, and the bed ids in order."""
        return f"{self.prefix}:clinic"

    @property
    def health(self) -> str:
        """The runtime's own health report (it expires when the runtime stops publishing)."""
        return f"{self.prefix}:health"

    @property
    def beds_json(self) -> str:
        """``/api/beds``'s body as the runtime answers it (``Runtime.beds_json``)."""
        return f"{self.prefix}:beds-json"

    @property
    def meta(self) -> str:
        """The publisher's run id, the newest wave seq and the feed's wave horizon."""
        return f"{self.prefix}:meta"

    @property
    def ticks(self) -> str:
        """A short stream with one entry per tick, for ``wait_for_tick``."""
        return f"{self.prefix}:ticks"

    @property
    def commands(self) -> str:
        return f"{self.prefix}:commands"

    def view(self, bed_id: str) -> str:
        return f"{self.prefix}:view:{bed_id}"

    def truth(self, bed_id: str) -> str:
        return f"{self.prefix}:truth:{bed_id}"

    def feed(self, bed_id: str) -> str:
        return f"{self.prefix}:feed:{bed_id}"

    def waves(self, bed_id: str) -> str:
        return f"{self.prefix}:waves:{bed_id}"

    def latest(self, session_id: int) -> str:
        return f"{self.prefix}:latest:{session_id}"

    def reply(self, request_id: str) -> str:
        return f"{self.prefix}:reply:{request_id}"


# -- feed entries ---------------------------------------------------------------------


@dataclass
class FeedEntry:
    """One session's part of one write, as one stream entry carries it."""

    session_id: int
    prev: str = ""
    t_floor: float = math.inf
    seq_floors: dict[str, int] = field(default_factory=dict)
    samples: list[list[Any]] = field(default_factory=list)  # [t, channel, value|None, quality]
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def fields(self) -> dict[str, bytes | str]:
        out: dict[str, bytes | str] = {
            "sid": str(self.session_id),
            "prev": self.prev,
            "tf": repr(float(self.t_floor)),
            "ef": dumps(self.seq_floors),
        }
        if self.samples:
            out["s"] = dumps(self.samples)
        if self.events:
            out["e"] = dumps(self.events)
        return out

    @classmethod
    def parse(cls, raw: Mapping[bytes, bytes], samples: bool = True,
              events: bool = True) -> FeedEntry:  # fmt: skip
        """An entry read back; only the parts asked for are decoded (a poll for alarm
        rows need not decode a tick's samples)."""
        s, e = raw.get(b"s") if samples else None, raw.get(b"e") if events else None
        return cls(
            session_id=int(raw[b"sid"]),
            prev=raw.get(b"prev", b"").decode(),
            t_floor=float(raw[b"tf"]),
            seq_floors={k: int(v) for k, v in loads(raw[b"ef"]).items()},
            samples=loads(s) if s else [],
            events=loads(e) if e else {},
        )

    def seq_floor(self, kind: str) -> float:
        """The last seq of ``kind`` before this entry (inf: not known)."""
        v = self.seq_floors.get(kind)
        return math.inf if v is None else v


def sample_row(t: Any, channel: Any, value: Any, quality: Any) -> list[Any]:
    """A sample as an entry holds it: the feed's types, NaN as None (JSON has no NaN)."""
    v = None if value is None else float(value)
    if v is not None and math.isnan(v):
        v = None
    return [float(t), str(channel), v, str(quality)]


def latest_row(t: Any, value: Any, quality: Any) -> list[Any]:
    """A channel's newest sample as ``Feed.latest`` gives it: [t, value|None, quality]."""
    _, _, v, q = sample_row(t, "", value, quality)
    return [float(t), v, q]


def sample_tuple(row: list[Any]) -> tuple[float, str, float, str]:
    """Back to the feed's ``(t_s, channel, value, quality)``, NaN where there is none."""
    t, ch, v, q = row
    return (float(t), ch, math.nan if v is None else float(v), q)


def unknown_floors() -> dict[str, int]:
    """No claim about any event log (a reader goes to the store)."""
    return {}


def new_session_floors() -> dict[str, int]:
    """A session whose first write this is: every log starts after seq 0."""
    return dict.fromkeys(EVENT_KINDS, 0)


# -- waveform entries -----------------------------------------------------------------


def wave_fields(run: str, session_id: int, wave_seq: int,
                segments: Iterable[Segment]) -> dict[str, bytes | str]:  # fmt: skip
    """One session's segments of one write: their heads as JSON, the samples packed as a
    page's packet carries them (``PackedSegment``), so that no worker packs them again
    for each page, and half the size of float32."""
    segs = [PackedSegment.of(s) for s in segments]
    head = [[s.wave, int(s.sample_rate_hz), float(s.t0_s), int(s.counts.size)] for s in segs]
    counts = b"".join(s.counts.astype("<i2", copy=False).tobytes() for s in segs)
    return {"run": run, "sid": str(session_id), "seq": str(wave_seq), "h": dumps(head),
            "c": counts}  # fmt: skip


def parse_waves(raw: Mapping[bytes, bytes]) -> tuple[str, int, int, list[PackedSegment]]:
    """(run, session id, wave seq, segments) of one waveform entry (an entry an older
    version wrote has none: it is of an earlier run, which no page reads)."""
    counts = np.frombuffer(raw.get(b"c", b""), dtype="<i2")
    segs, at = [], 0
    for wave, rate, t0, n in loads(raw[b"h"]) if b"c" in raw else ():
        segs.append(PackedSegment(wave, int(rate), float(t0), counts[at : at + n]))
        at += n
    return raw[b"run"].decode(), int(raw[b"sid"]), int(raw[b"seq"]), segs


# -- stream ids -----------------------------------------------------------------------


def parse_id(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def format_id(ms: int, seq: int) -> str:
    return f"{ms}-{seq}"
