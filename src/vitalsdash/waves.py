"""Waveform segments and the compact binary packet that carries them to a page.

A waveform (ECG II, pleth, capnogram) is hundreds of samples a second per bed: as JSON it
would be several times larger than everything else a page receives. A packet holds, per
bed and wave, the samples quantised to the wave's ``wave_scale`` (channels registry) as
int16 differences from the previous sample, which the page's sweep decodes with a
DataView (assets/waves.js). Layout, little-endian::

    "VW"  u8 version=1  u8 reserved  u32 seq  u16 n_segments
    per segment:
      u8 len + bed id (UTF-8)   u8 len + wave id (ASCII, the registry's)
      u16 sample_rate_hz   f64 t0_s (time of the first sample, session seconds)
      f32 scale (units per count)   u32 n   i16[n]

The first sample of a segment, and each sample after a gap, is absolute; the others are
differences; -32768 marks "no sample" (lead off, probe off). Values are clipped to
+-16383 counts, so a difference always fits. ``seq`` is the cursor a page sends back
(``after=``) to get only what is newer.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from vitalsdash import channels
from vitalsdash.errors import VitalsdashError

__all__ = [
    "GAP",
    "MAX_COUNT",
    "PackedSegment",
    "PacketError",
    "Segment",
    "WaveSegment",
    "counts_to_values",
    "decode_packet",
    "encode_packet",
    "values_to_counts",
]

MAGIC = b"VW"
VERSION = 1
GAP = -32768
MAX_COUNT = 16383
_HEAD = struct.Struct("<2sBBIH")
_SEG = struct.Struct("<HdfI")


class PacketError(VitalsdashError, ValueError):
    """A waveform packet that is not one (wrong magic, version or length)."""


@dataclass(frozen=True, slots=True)
class WaveSegment:
    """Consecutive samples of one wave: sample k is at ``t0_s + k / sample_rate_hz``."""

    wave: str
    sample_rate_hz: int
    t0_s: float
    values: np.ndarray  # float32, NaN where there is no signal

    @property
    def end_s(self) -> float:
        """The time just after the last sample (where the next segment starts)."""
        return self.t0_s + self.values.size / self.sample_rate_hz


class PackedSegment:
    """A segment as a packet carries it: its counts at the registry's ``wave_scale``,
    made once where the samples are made (the runtime) and sent to every page as they
    are. Its values are decoded only when something needs them (a segment trimmed for a
    page's backfill); they are the values a page decodes, quantised to the scale."""

    __slots__ = ("_values", "counts", "sample_rate_hz", "t0_s", "wave")

    def __init__(self, wave: str, sample_rate_hz: int, t0_s: float, counts: np.ndarray) -> None:
        self.wave, self.sample_rate_hz, self.t0_s = wave, sample_rate_hz, t0_s
        self.counts = counts  # "<i2", as values_to_counts makes them
        self._values: np.ndarray | None = None

    @classmethod
    def of(cls, seg: Segment) -> PackedSegment:
        if isinstance(seg, PackedSegment):
            return seg
        counts = _counts(seg.values, channels.get(seg.wave).wave_scale)
        return cls(seg.wave, seg.sample_rate_hz, seg.t0_s, counts)

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            scale = float(np.float32(channels.get(self.wave).wave_scale))  # as the packet has it
            self._values = _values(self.counts, scale)
        return self._values

    @property
    def end_s(self) -> float:
        return self.t0_s + self.counts.size / self.sample_rate_hz

    def __repr__(self) -> str:
        n = self.counts.size
        return f"PackedSegment({self.wave!r}, {self.sample_rate_hz}, {self.t0_s}, n={n})"


Segment = WaveSegment | PackedSegment
"""What a packet is made of: samples, or samples already packed."""


def _counts(values: np.ndarray, scale: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    valid = np.isfinite(v)
    q = np.clip(np.round(np.where(valid, v, 0.0) / scale), -MAX_COUNT, MAX_COUNT).astype(np.int32)
    prev_valid = np.concatenate(([False], valid[:-1]))
    prev = np.concatenate(([0], q[:-1]))
    out = np.where(valid & prev_valid, q - prev, q)
    out[~valid] = GAP
    return out.astype("<i2")


def _values(counts: np.ndarray, scale: float) -> np.ndarray:
    c = counts.astype(np.int32)
    gap = c == GAP
    out = np.empty(c.size, dtype=np.float32)
    # absolute at the start of each run of samples, differences inside it
    run_start = ~gap & np.concatenate(([True], gap[:-1]))
    run_id = np.cumsum(run_start)
    c = np.where(gap, 0, c)
    total = np.cumsum(c)
    start_total = np.zeros(run_id.max(initial=0) + 1, dtype=np.int64)
    start_total[run_id[run_start]] = total[run_start] - c[run_start]
    level = total - start_total[run_id]
    out[:] = level * scale
    out[gap] = np.nan
    return out


def values_to_counts(values: np.ndarray, scale: float) -> np.ndarray:
    """Samples (NaN: none) as the packet's int16 counts of ``scale``: absolute at the start
    and after a gap, differences inside a run, :data:`GAP` where there is no sample. The
    store keeps a segment in this form too (compressed: see vitalsdash.store)."""
    return _counts(values, scale)


def counts_to_values(counts: np.ndarray, scale: float) -> np.ndarray:
    """The inverse of :func:`values_to_counts`: float32 samples, NaN at each gap."""
    return _values(np.asarray(counts, dtype="<i2"), scale)


def encode_packet(seq: int, segments: Iterable[tuple[str, Segment]]) -> bytes:
    """``(bed_id, segment)`` pairs as one packet; ``seq`` is the cursor it brings a page to."""
    parts: list[bytes] = []
    n = 0
    for bed_id, seg in segments:
        bed, wave = bed_id.encode("utf-8"), seg.wave.encode("ascii")
        scale = channels.get(seg.wave).wave_scale
        counts = seg.counts if isinstance(seg, PackedSegment) else _counts(seg.values, scale)
        parts += [
            bytes((len(bed),)), bed, bytes((len(wave),)), wave,
            _SEG.pack(seg.sample_rate_hz, seg.t0_s, scale, counts.size), counts.tobytes(),
        ]  # fmt: skip
        n += 1
    return _HEAD.pack(MAGIC, VERSION, 0, seq & 0xFFFFFFFF, n) + b"".join(parts)


def decode_packet(data: bytes) -> tuple[int, list[tuple[str, WaveSegment]]]:
    """The inverse of :func:`encode_packet` (tests, tools); PacketError if malformed."""
    try:
        magic, version, _, seq, n = _HEAD.unpack_from(data, 0)
        if magic != MAGIC or version != VERSION:
            raise PacketError("not a waveform packet (wrong magic or version)")
        pos, out = _HEAD.size, []
        for _ in range(n):
            bed = data[pos + 1 : pos + 1 + data[pos]].decode("utf-8")
            pos += 1 + data[pos]
            wave = data[pos + 1 : pos + 1 + data[pos]].decode("ascii")
            pos += 1 + data[pos]
            rate, t0, scale, count = _SEG.unpack_from(data, pos)
            pos += _SEG.size
            counts = np.frombuffer(data, dtype="<i2", count=count, offset=pos)
            pos += 2 * count
            out.append((bed, WaveSegment(wave, int(rate), float(t0), _values(counts, scale))))
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, PacketError):
            raise
        raise PacketError(f"truncated or malformed waveform packet: {exc}") from None
    if pos != len(data):
        raise PacketError(f"{len(data) - pos} stray bytes after the last segment")
    return int(seq), out
