"""Server push for the bedside page: one Server-Sent Events stream per open page.

Used when the clinic says ``live_updates = "push"``; polling stays the default
(dash-notes "Live updates"). A stream keeps the page's cursor on the server and wakes on
the runtime's tick, so all open pages are served together right after the tick that
produced their news, with no request to parse, route and dispatch per update. Each
message is the same tick as the polling callback's, as component id -> {property: value};
assets/bedside.js applies it with ``dash_clientside.set_props``. The bed's waveforms go on
the same stream as events of their own (``event: wave``, the packet of ui/live/waves.py in
base64), after every tick that produced some: the sweep's jitter buffer wants them as soon
as they exist, not once a period.

A stream holds one server thread while it is open: their number is capped
(``max_streams``), and a page refused one (HTTP 503) falls back to polling.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response
from plotly.io.json import to_json_plotly

from vitalsdash.errors import VitalsdashError
from vitalsdash.runtime import Runtime
from vitalsdash.store import StoreUnavailableError
from vitalsdash.ui.live import waves
from vitalsdash.ui.live.bedside import bedside_tick, component_props

__all__ = ["HEARTBEAT_S", "StreamHub", "StreamsFullError", "hub_of", "install", "stream_path"]

MAX_STREAMS = 32
"""Open streams at most; each holds a server thread (serve adds as many)."""
PERIOD_S = 1.0
"""At most one message a second, as the polling page's Interval."""
HEARTBEAT_S = 15.0
"""A comment line this often on a quiet stream, so a closed page frees its thread."""
NEXT_NEWS = 0.6
"""Periods after news before the next may go: more than the half period between two ticks
(twice a second at x1), so that a fast clinic still gets news once a period; well under
one period, so that a tick that comes a few hundred ms early (the runtime published the
last one late, or this stream woke late for it) still sends its second at once."""
RETRY_MS = 2000
"""How soon the browser reconnects after the server went away."""
EXTENSION = "vitalsdash.streams"
log = logging.getLogger("vitalsdash.ui")


def stream_path(bed_id: str) -> str:
    return f"/_vitals/bed/{bed_id}/stream"


class StreamsFullError(VitalsdashError):
    """Every stream slot is taken."""


class StreamHub:
    """Opens bedside streams for one runtime, counts them, and ends them all on close."""

    def __init__(
        self,
        runtime: Runtime,
        max_streams: int = MAX_STREAMS,
        period_s: float = PERIOD_S,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runtime = runtime
        self.max_streams = max_streams
        self.period_s = period_s
        self.heartbeat_s = heartbeat_s
        self.clock = clock
        self._closed = threading.Event()
        self._count = threading.Condition()
        self.open_streams = 0
        self._woke: tuple[int, float] = (-1, 0.0)  # the newest tick, when a stream first woke

    def open_bed(self, bed_id: str) -> BedStream:
        """The SSE byte stream for ``bed_id``'s page; a slot is taken at once (KeyError for
        an unknown bed, StreamsFullError when none is free) and freed when the stream ends
        or is closed, even before it started."""
        if self.runtime.view(bed_id) is None:
            raise KeyError(bed_id)
        with self._count:
            if self._closed.is_set() or self.open_streams >= self.max_streams:
                raise StreamsFullError(f"all {self.max_streams} live streams are in use")
            self.open_streams += 1
        return BedStream(self, bed_id)

    def _release(self) -> None:
        with self._count:
            self.open_streams -= 1
            self._count.notify_all()

    def close(self, timeout_s: float = 5.0) -> None:
        """End every stream (each at its next wake-up) and wait for them to be gone."""
        self._closed.set()
        with self._count:
            self._count.wait_for(lambda: self.open_streams == 0, timeout=timeout_s)

    @property
    def closed(self) -> bool:
        return self._closed.is_set() or self.runtime.stopping

    def _messages(self, bed_id: str) -> Iterator[bytes]:
        """The stream's bytes: the retry hint, the backfill, then news after each tick (the
        page's tick at most once a period, its waves after every tick that made some)."""
        yield f"retry: {RETRY_MS}\n\n".encode()
        cursor: dict[str, Any] | None = None
        shown_now: Any = ()
        wave_seq = 0
        seen = self.runtime.tick_count
        sent_at = due = now = self.clock()
        tick_due, early = True, False
        pace = _Pace(self.period_s)
        while not self.closed:
            try:
                with self.runtime.shared_reads(seen):  # the other streams of this tick read alike
                    out = bedside_tick(self.runtime, bed_id, cursor) if tick_due else None
            except StoreUnavailableError as exc:  # the page keeps what it has; the next tick
                log.warning("bedside stream for %s: %s", bed_id, exc)  # tries again
                out = None
            if out is not None:
                props = component_props(out)
                if "cursor" in out:
                    cursor = out["cursor"]
                    props.pop("bed-cursor")
                    page_now = None if cursor is None else {"now": cursor["now"]}
                    if page_now != shown_now:  # the page needs only the time (trend window)
                        props["bed-cursor"] = {"data": page_now}
                        shown_now = page_now
                frame = _frame(props)
                if frame is not None:
                    yield frame
                    sent_at, due = now, now + NEXT_NEWS * self.period_s
                    pace.sent()
                early = False
            # the waves after the news: the other streams' news goes out before this
            # stream's waves are made (the sweep's jitter buffer has time; the numbers not)
            with self.runtime.shared_reads(seen):
                wave_seq, wave = _wave_frame(self.runtime, bed_id, wave_seq)
            if wave is not None:
                yield wave
                sent_at = now
            if now - sent_at >= self.heartbeat_s:
                yield b": quiet\n\n"
                sent_at = now
            seen, ticked = self._wait(seen, due, early, quiet_until=sent_at + self.heartbeat_s)
            now = self._tick_time(seen) if ticked else self.clock()
            # a tick before the period is up sends its waves now and its news at the next
            # tick after ``due`` (a period after ``due`` at the latest); a quiet timeout
            # looks for news too
            tick_due = not ticked or now >= due
            if ticked and cursor is not None:
                with self.runtime.shared_reads(seen):
                    view = self.runtime.view(bed_id)
                shows = None if view is None else view.t_s
                tick_due = pace.due(shows, cursor["now"], now, due, sent_at)
            early = early or (ticked and not tick_due)

    def _tick_time(self, tick: int) -> float:
        """When the first stream woke for ``tick``: the time every stream paces from. The
        others wake one after another as the interpreter frees up, a few hundred ms later
        under load; a stream pacing from its own wake would find the next second's tick
        "too early" whenever it woke late the time before, and send that second a tick
        late."""
        now = self.clock()
        with self._count:
            if tick > self._woke[0]:
                self._woke = (tick, now)
            return self._woke[1] if tick == self._woke[0] else now

    def _wait(self, seen: int, due: float, early: bool, quiet_until: float) -> tuple[int, bool]:
        """Until the next runtime tick (or ``quiet_until``; or ``due`` + a period when a
        tick came early), so that the streams of all open pages wake together, right after
        a tick. Returns the tick count and whether a tick came."""
        while not self.closed:
            now = self.clock()
            until = min(quiet_until, due + self.period_s) if early else quiet_until
            if now >= until:
                break
            tick = self.runtime.wait_for_tick(seen, timeout_s=until - now)
            if tick > seen:
                return tick, True
        return seen, False


class _Pace:
    """When a tick's news goes out, so that each second reaches the page on the tick that
    computed it. A clinic may tick more often than seconds come (twice a second at x1):
    news goes out once a period, on a tick that brings a new second; a stream that fell in
    step with the in-between ticks (its news a tick late each time, say after a backfill
    between two ticks) takes the next tick that brings a second, even before its period
    is up, and is in step with the seconds from then on."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.waiting: float | None = None  # a second that came on a tick not yet due
        self.late = False  # the last news went out a tick after its second came

    def due(self, shows: float | None, page_now: float, now: float, due: float,
            sent_at: float) -> bool:  # fmt: skip
        """Whether a tick that the bed shows second ``shows`` on is one to send news."""
        fresh = shows is None or shows != page_now
        if now >= due:  # news, or a period past due with none (paused: other news)
            go = fresh or now >= due + self.period_s
        else:
            go = fresh and self.late and shows != self.waiting and (
                now - sent_at >= 0.4 * self.period_s)  # fmt: skip
        if go:
            self.late = fresh and shows == self.waiting
            self.waiting = None
        elif fresh and self.waiting is None:
            self.waiting = shows
        return go

    def sent(self) -> None:
        """News went out (also the backfill, which no tick decided)."""
        self.waiting = None


class BedStream:
    """One page's stream: an iterable WSGI body whose ``close`` frees its slot."""

    def __init__(self, hub: StreamHub, bed_id: str) -> None:
        self._hub = hub
        self._messages = hub._messages(bed_id)
        self._open = True

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._messages
        finally:
            self.close()

    def close(self) -> None:
        if self._open:
            self._open = False
            self._messages.close()
            self._hub._release()


def _frame(props: dict[str, dict[str, Any]]) -> bytes | None:
    """One SSE message (None for nothing new)."""
    if not props:
        return None
    return b"data: " + to_json_plotly(props).encode() + b"\n\n"


def _wave_frame(runtime: Runtime, bed_id: str, after: int) -> tuple[int, bytes | None]:
    """The bed's waves after ``after`` as one ``wave`` event (None if there are none)."""
    try:
        answer = waves.bed_answer(runtime, bed_id, after)
    except KeyError:  # the bed went away: nothing to sweep
        return after, None
    if not answer.segments:
        return answer.seq, None
    return answer.seq, b"event: wave\ndata: " + base64.b64encode(answer.packet()) + b"\n\n"


def hub_of(server: Flask) -> StreamHub | None:
    return server.extensions.get(EXTENSION)


def install(server: Flask, runtime: Runtime) -> StreamHub:
    """The stream route on ``server``; its hub is ``hub_of(server)``."""
    hub = StreamHub(runtime, max_streams=runtime.clinic.clinic.push_streams_max)
    server.extensions[EXTENSION] = hub

    def bed_stream(bed_id: str) -> Any:
        try:
            body = hub.open_bed(bed_id)
        except KeyError:  # the API's error shape: {"error": code, "message": why}
            return {"error": "unknown_bed", "message": f"There is no bed {bed_id!r}."}, 404
        except StreamsFullError as exc:
            return {"error": "streams_full", "message": f"{exc}; poll instead."}, 503
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(body, mimetype="text/event-stream", headers=headers)

    server.add_url_rule(stream_path("<bed_id>"), "bed_stream", bed_stream, methods=["GET"])
    return hub
