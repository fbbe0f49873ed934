"""One bed's running session: its source, its alarm engine and its protocol, second by second.

The alarm engine is stepped once per simulated second with that second's samples, the
same way ``vitalsdash alarms replay`` steps a recording, so the live log and an offline
replay of the stored samples agree. Everything produced is kept in ``pending`` until the
runtime writes the tick in one transaction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from vitalsdash.adapters import Note, Reading, Source
from vitalsdash.alarms import AlarmAction, AlarmEngine, AlarmEvent
from vitalsdash.model import NIBP_CHANNELS, Channel, Phase, Quality, Sample
from vitalsdash.protocol import alarm_baseline

SOURCE_PHASES = {"baseline": Phase.BASELINE, "infusion": Phase.INFUSION,
                 "observation": Phase.OBSERVATION}  # fmt: skip
_CHANNELS = {c.value: c for c in Channel}
_QUALITY = {q.value: q for q in Quality}


@dataclass
class Pending:
    """What a bed produced since the last write."""

    samples: list[dict[str, Any]] = field(default_factory=list)
    alarm_events: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    session_events: list[dict[str, Any]] = field(default_factory=list)

    def clear(self) -> None:
        for name in ("samples", "alarm_events", "actions", "observations", "session_events"):
            getattr(self, name).clear()


def alarm_event_row(session_id: int, e: AlarmEvent) -> dict[str, Any]:
    return {
        "session_id": session_id, "t_s": e.t_s, "condition": e.condition, "event": e.event,
        "priority": None if e.priority is None else e.priority.name,
        "priority_base": None if e.base_priority is None else e.base_priority.name,
        "value": e.value, "limit_value": e.limit, "actor": e.actor, "detail": dict(e.detail),
    }  # fmt: skip


@dataclass
class BedSession:
    session_id: int
    bed_id: str
    source: Source
    engine: AlarmEngine
    t_s: int = 0
    phase: Phase = Phase.BASELINE
    status: str = "running"
    baseline_samples: list[Sample] = field(default_factory=list)
    latest: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    last_nibp: dict[str, tuple[float, float]] = field(default_factory=dict)
    alertness: tuple[float, float] | None = None
    infusion_start_s: float | None = None
    infusion_end_s: float | None = None
    baseline: Any = None
    realtime_start: float | None = None  # monotonic start for a real device's session
    pending: Pending = field(default_factory=Pending)

    def advance(self, seconds: int, baseline_from: Any = None) -> None:
        """Run ``seconds`` simulated seconds: read the source, step the alarms each second."""
        if seconds <= 0 or self.status != "running":
            return
        t1 = self.t_s + seconds
        # A device's reading can arrive after its second was processed: it is stored with
        # its own time and evaluated in the current second (the engine's clock never runs back).
        by_second: dict[int, list[Reading]] = defaultdict(list)
        for r in self.source.advance(t1):
            by_second[max(math.floor(r.t_s), self.t_s)].append(r)
        notes: dict[int, list[Note]] = defaultdict(list)
        for n in self.source.notes():
            notes[max(math.floor(n.t_s), self.t_s)].append(n)
        sid = self.session_id
        for sec in range(self.t_s, t1):
            actions = []
            for n in notes.get(sec, ()):
                self.pending.session_events.append(
                    {"session_id": sid, "t_s": n.t_s, "kind": n.kind, "source": n.source,
                     "detail": n.detail})  # fmt: skip
                if n.kind == "phase" and n.detail.get("phase") in SOURCE_PHASES:
                    actions += self._enter_phase(SOURCE_PHASES[n.detail["phase"]], sec,
                                                 baseline_from)  # fmt: skip
            samples = []
            for r in by_second.get(sec, ()):
                ch = _CHANNELS.get(r.channel)
                if ch is None:
                    continue
                q = _QUALITY.get(r.quality, Quality.OK)
                samples.append(
                    Sample(max(r.t_s, float(sec)) if r.t_s < sec else r.t_s, ch, r.value, q)
                )
                self.pending.samples.append(
                    {"session_id": sid, "t_s": r.t_s, "channel": r.channel, "value": r.value,
                     "quality": r.quality, "true_value": r.true_value})  # fmt: skip
                self._remember(r, ch)
                if self.phase is Phase.BASELINE:
                    self.baseline_samples.append(samples[-1])
            events = self.engine.step(samples, actions, now_s=float(sec))
            self.pending.alarm_events.extend(alarm_event_row(sid, e) for e in events)
        self.t_s = t1

    def _remember(self, r: Reading, ch: Channel) -> None:
        """Latest values for numerics and readiness; a lost SpO2/HR signal is no value."""
        if r.quality != "invalid" and not math.isnan(r.value):
            self.latest[r.channel] = (r.t_s, r.value, r.quality)
            if ch in NIBP_CHANNELS:
                self.last_nibp[r.channel] = (r.t_s, r.value)
        elif ch not in NIBP_CHANNELS:
            self.latest.pop(r.channel, None)

    def _enter_phase(self, phase: Phase, sec: int, baseline_from: Any) -> list[AlarmAction]:
        if phase is self.phase:
            return []
        self.phase = phase
        out = [AlarmAction.set_phase(phase, float(sec))]
        if phase is Phase.INFUSION:
            self.infusion_start_s = float(sec)
            if baseline_from is not None:
                self.baseline = baseline_from(self.baseline_samples)
                values = alarm_baseline(self.baseline)
                if values:
                    out.append(AlarmAction.set_baseline(values, float(sec)))
                    self.pending.session_events.append(
                        {"session_id": self.session_id, "t_s": float(sec), "kind": "baseline",
                         "source": "protocol", "detail": {k.value: v for k, v in values.items()}}
                    )  # fmt: skip
        elif phase is Phase.OBSERVATION:
            self.infusion_end_s = float(sec)
        return out

    def record_phase(self, phase: Phase, t_s: float) -> None:
        """A phase the protocol decides (ready, ended), logged like the source's."""
        self.phase = phase
        self.pending.session_events.append(
            {"session_id": self.session_id, "t_s": t_s, "kind": "phase", "source": "protocol",
             "detail": {"phase": phase.value}})  # fmt: skip
