"""What fault tests of the cluster check after a fault: the store holds every second of
every running session exactly once, and a bedside page's push stream, read as a browser
reads it.

``store_gaps`` answers in words (empty: nothing missing, nothing twice), so a failing test
says which session lost or doubled which seconds. ``BedStreamReader`` reads
``/_vitals/bed/<bed>/stream`` in a thread and keeps each data message with the time it
came and the newest trend second it carried.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from vitalsdash.store import EVENT_KINDS, Store
from vitalsdash.ui.series import X_OFFSET_MS

EVERY_SECOND = ("HR", "SPO2")
"""Channels a simulated session samples once a second, from its first second on."""


def two_chairs(name: str, **clinic: object) -> str:
    """A clinic TOML of two chairs at x1 (an uneventful and a hypertensive patient)."""
    keys = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in clinic.items())
    return (
        f'[clinic]\nname = "{name}"\nspeed = 1\ntick_s = 0.5\n{keys}\n'
        '[[beds]]\nid = "chair1"\nscenario = "uneventful-depression"\nseed = 11\n\n'
        '[[beds]]\nid = "chair2"\nscenario = "hypertensive-responder"\nseed = 12\n'
    )


def running_at(store: Store) -> dict[int, float]:
    """Running sessions' last stored second, by id."""
    return {int(s["id"]): float(s["last_t_s"]) for s in store.sessions(status="running")}


def store_gaps(store: Store, session_id: int, last_t_s: float,
               channels: tuple[str, ...] = EVERY_SECOND) -> list[str]:  # fmt: skip
    """What is wrong with a session's rows in the store: a second of ``channels`` missing
    from its start to ``last_t_s`` (a session at ``last_t_s`` has lived the seconds 0 to
    ``last_t_s`` - 1; later ones stored since count too), any channel's second stored
    twice, an event log whose seqs are not 1, 2, 3..."""
    problems = []
    df = store.samples(session_id)
    twice = Counter(zip(df["channel"], df["t_s"], strict=True))
    doubled = sorted(f"{ch}@{t:g}" for (ch, t), n in twice.items() if n > 1)
    if doubled:
        problems.append(f"session {session_id}: stored twice: {', '.join(doubled[:20])}")
    for ch in channels:
        ts = {int(t) for t in df.loc[df["channel"] == ch, "t_s"].tolist() if t == int(t)}
        top = max([int(last_t_s) - 1, *ts])
        missing = sorted(set(range(top + 1)) - ts)
        if missing:
            problems.append(f"session {session_id}: {ch} missing at {_runs(missing)} s "
                            f"(every second from 0 to {top} expected)")  # fmt: skip
    for kind in EVENT_KINDS:
        seqs = [int(r["seq"]) for r in store.events(kind, session_id)]
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"session {session_id}: {kind} seqs {seqs[:30]}")
    return problems


def _runs(xs: list[int]) -> str:
    out, start = [], xs[0]
    for a, b in zip(xs, [*xs[1:], None], strict=True):
        if b != a + 1:
            out.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(out)


@dataclass
class Message:
    at: float  # time.monotonic() when it came
    props: dict[str, Any]  # component id -> {property: value}

    @property
    def newest_t_s(self) -> float | None:
        """The newest trend second the message adds to the chart (None: no new points)."""
        wire = (self.props.get("bed-wire") or {}).get("data") or {}
        xs = []
        for entry in wire.get("e") or ():
            if isinstance(entry[1], (int, float)):  # [trace, x0, dx, ys]
                xs.append(entry[1] + entry[2] * (len(entry[3]) - 1))
            elif entry[1]:  # [trace, xs, ys, texts]
                xs.append(max(entry[1]))
        return None if not xs else (max(xs) - X_OFFSET_MS) / 1000

    @property
    def now_s(self) -> float | None:
        """The bed's time as the page's cursor says (the view's)."""
        cursor = (self.props.get("bed-cursor") or {}).get("data")
        return None if not cursor else cursor.get("now")


class BedStreamReader:
    """A bedside page's push stream, read until :meth:`close` (use it in a ``with``)."""

    def __init__(self, port: int, bed_id: str) -> None:
        self.messages: list[Message] = []
        self.error: BaseException | None = None
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self._conn.request("GET", f"/_vitals/bed/{bed_id}/stream")
        self._sock = self._conn.sock  # the response keeps it once the connection lets go
        self._response = self._conn.getresponse()
        if self._response.status != 200:
            raise AssertionError(f"stream of {bed_id}: {self._response.status} "
                                 f"{self._response.read()[:300]!r}")  # fmt: skip
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, data = "message", []
        try:
            while True:
                line = self._response.readline()
                if not line:
                    return
                text = line.decode().rstrip("\r\n")
                if text.startswith("event:"):
                    event = text[6:].strip()
                elif text.startswith("data:"):
                    data.append(text[5:].strip())
                elif not text:
                    if data and event == "message":
                        msg = Message(time.monotonic(), json.loads("\n".join(data)))
                        with self._lock:
                            self.messages.append(msg)
                    event, data = "message", []
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self.error = exc

    def since(self, at: float) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.at >= at]

    def close(self) -> None:
        """Hang up (as a closed page does): the reading thread ends at once."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self._response.close()
        self._conn.close()

    def __enter__(self) -> BedStreamReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
