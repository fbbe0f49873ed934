"""The MLLP listener: an asyncio server on its own thread that answers every message.

It binds 127.0.0.1:2575 by default (binding elsewhere is explicit). Each connection's
bytes go through the frame decoder (``_mllp``), each frame through the parser
(``_parse``), each accepted message to ``on_batch``; one ACK goes back per message, in
order, and only after ``on_batch`` returned, so when ``on_batch`` stores the message
(the gateway into the runtime) AA means stored.

Limits: frames are capped (64 KiB default: AR, the connection kept); stray bytes before
a start block are skipped; connections are capped, and closed when idle or when a frame
stays unfinished. Rejects are logged and counted by kind; the whole reason goes into
MSA-3 and ERR-8. Nothing one connection sends can affect another.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from vitalsdash.adapters.hl7._mllp import FRAME, OVERSIZED, FrameDecoder, FrameEvent, frame
from vitalsdash.adapters.hl7._parse import (
    DEFAULT_KEY_ORDER,
    Header,
    Hl7Error,
    ObservationBatch,
    build_ack,
    parse_oru,
    peek_header,
)

log = logging.getLogger("vitalsdash.adapters.hl7")  # one logger for the whole receiver

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2575
DEFAULT_MAX_BYTES = 64 * 1024
DEFAULT_MAX_CONNECTIONS = 64  # a clinic's monitors and gateways, with room to spare
DEFAULT_IDLE_TIMEOUT_S = 300.0  # a monitor sends every few seconds
DEFAULT_FRAME_TIMEOUT_S = 30.0  # a 64 KiB frame takes milliseconds on a LAN

OnBatch = Callable[[ObservationBatch], Any]
OnEvent = Callable[[str, str, str], None]  # (kind "connected"|"disconnected", source key, peer)


class _Connection(asyncio.Protocol):
    """One device connection: frames in, one ACK out per frame, in order."""

    def __init__(self, listener: MllpListener) -> None:
        self.listener = listener
        self.decoder = FrameDecoder(listener.max_bytes)
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.sources: set[str] = set()
        self.refused = False  # over the connection cap: closed at once
        self.last_rx = 0.0  # loop time of the last bytes received
        self.frame_since: float | None = None  # loop time the unfinished frame started

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.last_rx = asyncio.get_running_loop().time()
        addr = transport.get_extra_info("peername")
        self.peer = f"{addr[0]}:{addr[1]}" if isinstance(addr, tuple) else str(addr)
        self.listener._opened(self)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        before = self.decoder.garbage
        now = asyncio.get_running_loop().time()
        self.last_rx = now
        try:
            events = self.decoder.feed(data)
            if not self.decoder.in_frame:
                self.frame_since = None
            elif events or self.frame_since is None:
                self.frame_since = now
            self.listener.garbage_bytes += self.decoder.garbage - before
        except Exception:  # pragma: no cover - the decoder is total; never kill the loop
            log.exception("MLLP decoder failed for %s; closing the connection", self.peer)
            self._abort()
            return
        for ev in events:
            try:
                ack = self.listener._answer(ev, self)
            except Exception:  # pragma: no cover - _answer catches everything itself
                log.exception("HL7 handling failed for %s", self.peer)
                ack = build_ack("AR", None, "receiver internal error")
            if ack is not None and self.transport is not None and not self.transport.is_closing():
                self.transport.write(frame(ack.encode("ascii", "replace")))

    def eof_received(self) -> bool:
        ev = self.decoder.eof()
        if ev is not None:
            self.listener._count_reject("truncated_frame")
            log.warning("HL7 %s: connection closed inside a frame (%d bytes dropped)",
                        self.peer, ev.size)  # fmt: skip
        return False  # close our side once the ACKs written so far are flushed

    def pause_writing(self) -> None:  # the peer does not read its ACKs: stop reading
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.refused:
            return
        ev = self.decoder.eof()
        if ev is not None:
            self.listener._count_reject("truncated_frame")
            log.warning("HL7 %s: connection lost inside a frame (%d bytes dropped)",
                        self.peer, ev.size)  # fmt: skip
        self.listener._closed(self)

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def close_for(self, why: str) -> None:
        """Close a connection the listener gives up on (its unfinished frame is dropped
        and counted here, not again as a truncated frame)."""
        self.decoder = FrameDecoder(self.listener.max_bytes)
        self.frame_since = None
        log.warning("HL7 %s: closing the connection: %s", self.peer, why)
        if self.transport is not None:
            self.transport.close()


class MllpListener:
    """An MLLP server on a background thread that hands accepted ORU^R01 to ``on_batch``.

    ``on_batch(batch)`` runs on the listener's thread, one message at a time, and must be
    quick; it may raise :class:`Hl7Error` to refuse a message (the ACK then carries its
    code and reason), and may return an object with ``duplicate`` (a resend it already
    stored) and ``text`` (for MSA-3). ``dedupe=0`` leaves resends to ``on_batch``.

    Connections: at most ``max_connections`` at once (more are closed as they come,
    counted in ``refused_connections``); one that sends nothing for ``idle_timeout_s``,
    or leaves a frame unfinished for ``frame_timeout_s``, is closed (``idle_closed``,
    ``frame_timeouts``). ``on_event(kind, source_key, peer)`` reports ``"connected"`` (the
    first accepted message of a source on a connection) and ``"disconnected"``.

    Counters: ``accepted``, ``rejected``, ``rejected_by_reason`` (kind -> count),
    ``duplicates``, ``garbage_bytes``, ``connections``; :meth:`stats` snapshots them.
    """

    def __init__(
        self,
        on_batch: OnBatch,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        key_order: Iterable[str] = DEFAULT_KEY_ORDER,
        dedupe: int = 4096,
        on_event: OnEvent | None = None,
        engine: str = "fast",
        app: str = "VITALSDASH",
        facility: str = "VITALSDASH",
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        frame_timeout_s: float = DEFAULT_FRAME_TIMEOUT_S,
    ) -> None:
        if max_connections < 1 or not idle_timeout_s > 0 or not frame_timeout_s > 0:
            raise ValueError("max_connections and the timeouts must be positive")
        self.max_connections = int(max_connections)
        self.idle_timeout_s = float(idle_timeout_s)
        self.frame_timeout_s = float(frame_timeout_s)
        self.refused_connections = 0
        self.idle_closed = 0
        self.frame_timeouts = 0
        self.on_batch = on_batch
        self.on_event = on_event
        self.host = host
        self._port = int(port)
        self.max_bytes = int(max_bytes)
        self.key_order = tuple(key_order)
        for k in self.key_order:
            if k not in ("location", "device", "patient"):
                raise ValueError(f"key_order: {k!r} is not location, device or patient")
        self.engine = engine
        self.app, self.facility = app, facility
        self.dedupe = int(dedupe)
        self._seen: dict[str, OrderedDict[str, None]] = {}
        self._lock = threading.Lock()
        self.accepted = 0
        self.rejected = 0
        self.duplicates = 0
        self.connections = 0
        self.rejected_by_reason: Counter[str] = Counter()
        self._conns: set[_Connection] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.garbage_bytes = 0

    # -- life cycle --------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with port 0)."""
        return self._port

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> MllpListener:
        """Bind and serve on a daemon thread; raises OSError here if the bind fails."""
        if self._thread is not None:
            raise RuntimeError("listener already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure),
                                        name=f"mllp-{self.host}:{self._port}",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        log.info("HL7 MLLP listener on %s:%d (cap %d bytes)", self.host, self._port,
                 self.max_bytes)  # fmt: skip
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: _Connection(self), self.host, self._port)
            )
            self._port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        sweep = min(self.idle_timeout_s, self.frame_timeout_s) / 4
        self._sweep_every = min(1.0, max(0.05, sweep))
        loop.call_later(self._sweep_every, self._sweep)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in list(self._conns):
            if c.transport is not None:
                c.transport.close()
        for _ in range(200):  # let connection_lost run (closes the sockets, notes events)
            if not self._conns:
                break
            await asyncio.sleep(0.005)
        if self._server is not None:
            await self._server.wait_closed()

    def _sweep(self) -> None:
        """Close idle connections and those sitting on an unfinished frame."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return
        now = loop.time()
        for c in list(self._conns):
            if c.transport is None or c.transport.is_closing():
                continue
            if c.frame_since is not None and now - c.frame_since > self.frame_timeout_s:
                with self._lock:
                    self.frame_timeouts += 1
                    self.rejected += 1
                    self.rejected_by_reason["frame_timeout"] += 1
                c.close_for(f"a frame was started {now - c.frame_since:.0f} s ago and not "
                            f"finished (limit {self.frame_timeout_s:g} s)")  # fmt: skip
            elif now - c.last_rx > self.idle_timeout_s:
                with self._lock:
                    self.idle_closed += 1
                c.close_for(f"nothing received for {now - c.last_rx:.0f} s (idle limit "
                            f"{self.idle_timeout_s:g} s)")  # fmt: skip
        loop.call_later(self._sweep_every, self._sweep)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the server and every connection; wait for the thread."""
        if self._thread is None or self._loop is None:
            return
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> MllpListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- counters ------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "accepted": self.accepted,
                "rejected": self.rejected,
                "rejected_by_reason": dict(self.rejected_by_reason),
                "duplicates": self.duplicates,
                "connections": self.connections,
                "open_connections": len(self._conns),
                "garbage_bytes": self.garbage_bytes,
                "refused_connections": self.refused_connections,
                "idle_closed": self.idle_closed,
                "frame_timeouts": self.frame_timeouts,
            }

    def health(self) -> dict[str, Any]:
        """For ``/api/health``: ok while the server thread serves; its counters."""
        listening = self.running and self._server is not None and self._server.is_serving()
        with self._lock:
            return {
                "ok": listening, "listening": listening, "host": self.host, "port": self._port,
                "connections": len(self._conns), "max_connections": self.max_connections,
                "accepted": self.accepted, "rejected": self.rejected,
                "refused_connections": self.refused_connections,
                "idle_closed": self.idle_closed, "frame_timeouts": self.frame_timeouts,
            }  # fmt: skip

    def _count_reject(self, kind: str) -> None:
        with self._lock:
            self.rejected += 1
            self.rejected_by_reason[kind] += 1

    # -- connections ---------------------------------------------------------------------
    def _opened(self, conn: _Connection) -> None:
        if len(self._conns) >= self.max_connections:
            conn.refused = True
            with self._lock:
                self.refused_connections += 1
                n = self.refused_connections
            if n & (n - 1) == 0:  # 1, 2, 4, 8...: a flood does not flood the log
                log.warning("HL7 connection from %s refused: %d connections open, the limit "
                            "is %d (%d refused so far)", conn.peer, len(self._conns),
                            self.max_connections, n)  # fmt: skip
            conn._abort()
            return
        self._conns.add(conn)
        self.connections += 1
        log.info("HL7 connection from %s", conn.peer)

    def _closed(self, conn: _Connection) -> None:
        self._conns.discard(conn)
        log.info("HL7 connection from %s closed", conn.peer)
        for key in sorted(conn.sources):
            self._event("disconnected", key, conn.peer)

    def _event(self, kind: str, key: str, peer: str) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(kind, key, peer)
        except Exception:
            log.exception("HL7 on_event(%s, %s) failed", kind, key)

    # -- messages ------------------------------------------------------------------------
    def _ack(self, code: str, header: Header | None, text: str = "",
             error: Hl7Error | None = None) -> str:  # fmt: skip
        return build_ack(code, header, text, error, app=self.app, facility=self.facility)

    def _reject(self, err: Hl7Error, header: Header | None, peer: str) -> str:
        self._count_reject(err.kind)
        cid = header.control_id if header is not None else ""
        log.warning("HL7 %s from %s, MSH-10 %r: %s", err.code, peer, cid[:40], err)
        return self._ack(err.code, header, error=err)

    def _answer(self, ev: FrameEvent, conn: _Connection) -> str | None:
        """The ACK for one frame event (None: nothing to answer)."""
        if ev.kind != FRAME:
            text = _decode(ev.data)
            header = peek_header(text)
            if ev.kind == OVERSIZED:
                err = Hl7Error("AR", f"message too large: {ev.size} bytes, the limit is "
                               f"{self.max_bytes}", kind="oversized", err_code=207)  # fmt: skip
            else:
                err = Hl7Error("AR", "frame cut short: a new start block came before the end "
                               "block", kind="truncated_frame", err_code=100)  # fmt: skip
            return self._reject(err, header, conn.peer)
        text = _decode(ev.data)
        try:
            batch = parse_oru(text, key_order=self.key_order, engine=self.engine)
        except Hl7Error as err:
            return self._reject(err, err.header, conn.peer)
        except Exception:
            log.exception("HL7 parser failed on a message from %s", conn.peer)
            err = Hl7Error("AR", "receiver could not read the message", kind="internal")
            return self._reject(err, peek_header(text), conn.peer)
        key, cid = batch.source_key, batch.control_id
        seen = self._seen.get(key) if self.dedupe > 0 else None
        if seen is not None and cid in seen:
            self.duplicates += 1
            log.info("HL7 %s from %s resent (already accepted); not stored again", cid, key)
            return self._ack("AA", batch.header, "duplicate of an accepted message")
        try:
            result = self.on_batch(batch)
        except Hl7Error as err:
            return self._reject(err, batch.header, conn.peer)
        except Exception as exc:
            log.exception("HL7 on_batch failed for %s from %s", cid, key)
            err = Hl7Error("AE", "receiver failed to store the message "
                           f"({type(exc).__name__}: {exc})", kind="internal")  # fmt: skip
            return self._reject(err, batch.header, conn.peer)
        if self.dedupe > 0:
            if seen is None:
                seen = self._seen[key] = OrderedDict()
            seen[cid] = None
            if len(seen) > self.dedupe:
                seen.popitem(last=False)
        text = str(getattr(result, "text", "") or "")
        with self._lock:
            if getattr(result, "duplicate", False):
                self.duplicates += 1
            else:
                self.accepted += 1
        if key not in conn.sources:
            conn.sources.add(key)
            self._event("connected", key, conn.peer)
        return self._ack("AA", batch.header, text)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
