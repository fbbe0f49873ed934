"""MLLP framing (0x0B message 0x1C 0x0D) as an incremental decoder with a size cap.

The ``hl7`` package's ``MLLPStreamReader`` drops the rest of the buffer when a block is
too large (so the next block is misread) and refuses a block preceded by stray bytes; a
device feed needs both handled, hence this small decoder:

- bytes before a start block are skipped (counted as ``garbage``);
- a frame larger than ``max_bytes`` is read to its end but not kept (its first
  ``HEAD_BYTES`` are, so the answer can name MSH-10) and reported as ``OVERSIZED``;
- a start block inside a frame means the frame before it was cut short: ``TRUNCATED``;
- end of stream inside a frame: ``TRUNCATED`` from :meth:`FrameDecoder.eof`.
"""

from __future__ import annotations

from typing import NamedTuple

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"
END = EB + CR
HEAD_BYTES = 4096

FRAME, OVERSIZED, TRUNCATED = "frame", "oversized", "truncated"


class FrameEvent(NamedTuple):
    kind: str  # FRAME | OVERSIZED | TRUNCATED
    data: bytes  # the message (FRAME) or its first HEAD_BYTES
    size: int  # bytes between the start and end blocks


def frame(message: bytes) -> bytes:
    return SB + message + END


class FrameDecoder:
    def __init__(self, max_bytes: int = 64 * 1024) -> None:
        if max_bytes < 16:
            raise ValueError("max_bytes must be at least 16")
        self.max_bytes = max_bytes
        self.garbage = 0
        self._in_frame = False
        self._buf = bytearray()
        self._size = 0
        self._over = False
        self._pending_eb = False  # a 0x1C ended the last chunk; 0x0D may follow

    @property
    def in_frame(self) -> bool:
        return self._in_frame

    def _start(self) -> None:
        self._in_frame, self._size, self._over, self._pending_eb = True, 0, False, False
        self._buf.clear()

    def _append(self, chunk: bytes | memoryview) -> None:
        n = len(chunk)
        if not n:
            return
        if not self._over and self._size + n > self.max_bytes:
            self._over = True
            room = HEAD_BYTES - len(self._buf)
            if room < 0:
                del self._buf[HEAD_BYTES:]
            elif room:
                self._buf += chunk[:room]
        elif not self._over:
            self._buf += chunk
        self._size += n

    def _close(self, kind: str) -> FrameEvent:
        if self._over:
            kind = OVERSIZED if kind == FRAME else kind
            ev = FrameEvent(kind, bytes(self._buf[:HEAD_BYTES]), self._size)
        else:
            ev = FrameEvent(kind, bytes(self._buf), self._size)
        self._in_frame = False
        self._buf.clear()
        return ev

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Consume ``data``; the frames (and problems) it completes, in order."""
        out: list[FrameEvent] = []
        pos, n = 0, len(data)
        while pos < n:
            if not self._in_frame:
                j = data.find(SB, pos)
                if j < 0:
                    self.garbage += n - pos
                    break
                self.garbage += j - pos
                self._start()
                pos = j + 1
                continue
            if self._pending_eb:
                self._pending_eb = False
                if data[pos] == 0x0D:
                    out.append(self._close(FRAME))
                    pos += 1
                    continue
                self._append(EB)
            e = data.find(END, pos)
            v = data.find(SB, pos, e if e >= 0 else n)
            if v >= 0:  # a new frame starts before this one ended
                self._append(memoryview(data)[pos:v])
                out.append(self._close(TRUNCATED))
                pos = v
                continue
            if e >= 0:
                self._append(memoryview(data)[pos:e])
                out.append(self._close(FRAME))
                pos = e + 2
                continue
            stop = n - 1 if data[n - 1] == 0x1C else n
            self._append(memoryview(data)[pos:stop])
            self._pending_eb = stop < n
            pos = n
        return out

    def eof(self) -> FrameEvent | None:
        """The stream ended: the unfinished frame, if any."""
        if not self._in_frame:
            return None
        if self._pending_eb:
            self._append(EB)
        return self._close(TRUNCATED)
