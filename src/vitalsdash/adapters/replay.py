"""A recorded session (``vitalsim run`` format) played back as a source, at any speed."""

from __future__ import annotations

import bisect
import json
import math
from pathlib import Path
from typing import Any

from vitalsdash import channels
from vitalsdash.adapters._base import Note, PumpStatus, Reading, SourceActionError
from vitalsdash.recording import read_events, read_recording

__all__ = ["ReplaySource"]


class ReplaySource:
    kind = "replay"
    actions: frozenset[str] = frozenset()

    def __init__(self, path: str | Path) -> None:
        df = read_recording(path)
        self.path = Path(path)
        self._t = df["t"].astype(float).tolist()
        self._rows = list(zip(self._t, df["channel"].astype(str).tolist(),
                              df["value"].astype(float).tolist(),
                              df["quality"].astype(str).tolist(),
                              df["true_value"].astype(float).tolist(), strict=True))  # fmt: skip
        self._i = 0
        self._pump_channel = channels.pump_rate_channel()
        self._notes = _read_events(self.path)
        self._j = 0
        self._now = 0.0
        self._rate = 0.0
        self._started: float | None = None
        self._ended: float | None = None

    def advance(self, t1_s: int) -> list[Reading]:
        k = bisect.bisect_left(self._t, float(t1_s), lo=self._i)
        out = []
        for t, ch, v, q, tv in self._rows[self._i : k]:
            out.append(Reading(t, ch, v, q, None if math.isnan(tv) else tv))
            if ch == self._pump_channel:
                self._track_pump(t, v)
        self._i, self._now = k, float(t1_s)
        return out

    def _track_pump(self, t: float, rate: float) -> None:
        if rate > 0 and self._started is None:
            self._started = t
        self._rate = rate

    def notes(self) -> list[Note]:
        k = self._j
        while k < len(self._notes) and self._notes[k].t_s < self._now:
            k += 1
        out, self._j = self._notes[self._j : k], k
        for n in out:
            if n.kind == "phase" and n.detail.get("phase") == "observation":
                self._ended = n.t_s
        return out

    def apply(self, kind: str, actor: str, params: dict[str, Any]) -> None:
        raise SourceActionError(f"a replayed recording cannot respond to {kind}")

    def inject(self, kind: str, params: dict[str, Any]) -> None:
        raise SourceActionError("events cannot be injected into a replayed recording")

    def pump(self) -> PumpStatus:
        # a recording holds the rate delivered: the rate set on a paused pump is not in it
        return PumpStatus(self._rate, self._rate > 0, math.nan, self._started, self._ended,
                          self._rate)  # fmt: skip

    def truth(self) -> None:
        return None


def _read_events(path: Path) -> list[Note]:
    """The recording's sidecar (phases, events, actions), if there is one."""
    df = read_events(path)
    if df is None:
        return []
    return [Note(float(t), str(kind), str(source), _detail(detail))
            for t, kind, source, detail in zip(df["t"], df["kind"], df["source"], df["detail"],
                                               strict=True)]  # fmt: skip


def _detail(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}
