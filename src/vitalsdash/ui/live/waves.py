"""Waveforms for the pages' sweep: the feed's segments as vitalsdash.waves packets.

A bedside page asks ``GET /_vitals/bed/<bed_id>/waves?after=SEQ`` a few times a second
(or gets the same packets as ``wave`` events on its pushed stream, ui/live/stream.py);
the central station asks ``GET /_vitals/central/waves?after=SEQ`` for the strip wave of
every chair in one packet. ``after`` is the ``seq`` of the last packet the page decoded
(0 on opening). Only the waves of the registry (``channels.waves()``) of each bed's
current session are sent: a segment of another session, of a hidden channel or of an
unknown one never is.

The sweep plays in real time whatever the clinic's speed (assets/waves.js). At x1 every
sample is sent; faster, an answer carries at most the newest :data:`ANSWER_S` seconds of
each wave: at x60 a tick's thirty seconds could never be drawn, and are not sent. A
page's first answer (``after=0``, or a cursor from before a restart) brings the last
:data:`BACKFILL_S` seconds, enough to draw a sweep's width at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request

from vitalsdash import channels
from vitalsdash.errors import VitalsdashError
from vitalsdash.runtime import Runtime
from vitalsdash.waves import Segment, WaveSegment, encode_packet

__all__ = [
    "ANSWER_S",
    "BACKFILL_S",
    "CENTRAL_PATH",
    "CursorError",
    "WaveAnswer",
    "bed_answer",
    "bed_path",
    "central_answer",
    "install",
    "parse_after",
    "shown_waves",
    "strip_waves",
]

ANSWER_S = 2.0
"""Seconds of each wave at most in one answer after the first, faster than x1."""
BACKFILL_S = 12.0
"""Seconds of each wave at most in a page's first answer (and in any at x1)."""
CENTRAL_PATH = "/_vitals/central/waves"
MAX_SEQ = 0xFFFFFFFF  # the packet's u32
_DIGITS = re.compile(r"[0-9]{1,10}")


def bed_path(bed_id: str) -> str:
    return f"/_vitals/bed/{bed_id}/waves"


def shown_waves() -> tuple[str, ...]:
    """The waves a bedside page sweeps: every waveform of the registry, in its order."""
    return tuple(c.id for c in channels.waves())


def strip_waves() -> tuple[str, ...]:
    """The wave a central tile sweeps: the monitor's first (ECG II, by rank)."""
    return shown_waves()[:1]


class CursorError(VitalsdashError, ValueError):
    """An ``after=`` that is not a packet's seq."""


def parse_after(text: str | None) -> int:
    """``after=`` as the seq it names: missing or empty is 0 (a page opening)."""
    if text is None or text == "":
        return 0
    if not _DIGITS.fullmatch(text) or int(text) > MAX_SEQ:
        raise CursorError(
            f"after must be a whole number from 0 to {MAX_SEQ} (the seq of the last packet), "
            f"not {text[:40]!r}"
        )
    return int(text)


class WaveAnswer:
    """One answer: the seq to send back as ``after``, the segments and their packet."""

    __slots__ = ("segments", "seq")

    def __init__(self, seq: int, segments: list[tuple[str, Segment]]) -> None:
        self.seq = seq
        self.segments = segments

    def packet(self) -> bytes:
        return encode_packet(self.seq, self.segments)


def _trim(seg: Segment, since_s: float) -> Segment | None:
    """The part of ``seg`` at or after ``since_s`` (None if nothing is)."""
    if seg.t0_s >= since_s:
        return seg
    k = math.ceil((since_s - seg.t0_s) * seg.sample_rate_hz - 1e-6)
    if k >= seg.values.size:
        return None
    return WaveSegment(seg.wave, seg.sample_rate_hz, seg.t0_s + k / seg.sample_rate_hz,
                       seg.values[k:])  # fmt: skip


def _answer(rt: Runtime, beds: Iterable[tuple[str, int]], after: int,
            waves: tuple[str, ...]) -> WaveAnswer:  # fmt: skip
    bed_of = {sid: bed for bed, sid in beds}
    newest, got = rt.feed.waves_since(bed_of, after)
    fresh = after == 0 or after > newest  # opening, or a cursor from before a restart
    if after > newest:
        newest, got = rt.feed.waves_since(bed_of, 0)
    wanted = frozenset(waves)
    kept = [(bed_of[sid], seg) for sid, seg in got if seg.wave in wanted]
    span = BACKFILL_S if fresh or rt.views(beds=False).speed <= 1.0 else ANSWER_S
    ends: dict[tuple[str, str], float] = {}
    for bed, seg in kept:
        key = (bed, seg.wave)
        ends[key] = max(ends.get(key, -math.inf), seg.end_s)
    out = []
    for bed, seg in kept:
        part = _trim(seg, ends[(bed, seg.wave)] - span)
        if part is not None:
            out.append((bed, part))
    return WaveAnswer(newest & MAX_SEQ, out)


def bed_answer(rt: Runtime, bed_id: str, after: int) -> WaveAnswer:
    """The bed's waves after ``after``; KeyError for an unknown bed. A bed without a
    session has none (the seq still moves on)."""
    view = rt.view(bed_id)
    if view is None:
        raise KeyError(bed_id)
    beds = [] if view.session_id is None else [(view.bed_id, view.session_id)]
    return _answer(rt, beds, after, shown_waves())


def central_answer(rt: Runtime, after: int) -> WaveAnswer:
    """Every chair's strip wave after ``after``, the chairs told apart by their bed ids."""
    beds = [(b.bed_id, b.session_id) for b in rt.views().beds if b.session_id is not None]
    return _answer(rt, beds, after, strip_waves())


def _refused(code: str, message: str, status: int) -> tuple[dict[str, Any], int]:
    return {"error": code, "message": message}, status  # the API's error shape


def _packet(answer: WaveAnswer) -> Response:
    return Response(answer.packet(), mimetype="application/octet-stream",
                    headers={"Cache-Control": "no-store"})  # fmt: skip


def install(server: Flask, runtime: Runtime) -> None:
    """The two wave routes on ``server``."""

    def bed_waves(bed_id: str) -> Any:
        try:
            after = parse_after(request.args.get("after"))
        except CursorError as exc:
            return _refused("bad_cursor", str(exc), 400)
        try:
            return _packet(bed_answer(runtime, bed_id, after))
        except KeyError:
            return _refused("unknown_bed", f"There is no bed {bed_id[:40]!r}.", 404)

    def central_waves() -> Any:
        try:
            after = parse_after(request.args.get("after"))
        except CursorError as exc:
            return _refused("bad_cursor", str(exc), 400)
        return _packet(central_answer(runtime, after))

    server.add_url_rule(bed_path("<bed_id>"), "bed_waves", bed_waves, methods=["GET"])
    server.add_url_rule(CENTRAL_PATH, "central_waves", central_waves, methods=["GET"])
