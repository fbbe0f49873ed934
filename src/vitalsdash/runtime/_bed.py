"""One bed's running session: its source, its alarm engine and its protocol, second by second.

The alarm engine is stepped once per simulated second with that second's samples, the
same way ``vitalsdash alarms replay`` steps a recording, so the live log and an offline
replay of the stored samples (with the phase rows of its session events as the sidecar)
agree: every phase change is given to the engine at the start of its second, before that
second's samples, and at the start of the infusion the baseline comes first, then the
phase (the order ``alarms replay`` applies them in). Discharge readiness (OBSERVATION <->
READY) is decided at the start of every second, from everything before it, never per
tick: a session's phases do not depend on the speed. A decision taken at the end of an
advance (or after an action) is logged at once and reaches the engine with the next second.
Everything produced is kept in ``pending`` until the runtime writes the tick in one
transaction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from vitalsdash import channels
from vitalsdash import protocol as proto
from vitalsdash.adapters import Note, Reading, Source
from vitalsdash.adapters.simulator import SAID
from vitalsdash.alarms import PUMP_STATES, AlarmAction, AlarmEngine, AlarmEvent, step
from vitalsdash.model import Phase, Quality, Sample, channel_of
from vitalsdash.protocol import alarm_baseline
from vitalsdash.runtime._infusion_start import start_by_itself

SOURCE_PHASES = {"baseline": Phase.BASELINE, "infusion": Phase.INFUSION,
                 "observation": Phase.OBSERVATION}  # fmt: skip
BASELINE_KEEP_SAMPLES = 3 * 3600  # two 1 Hz channels for an hour and a half, and the rest
BASELINE_KEEP_CUFF = 3 * 200  # the last 200 cuff readings (SYS, DIA, MAP each)
_QUALITY = {q.value: q for q in Quality}
_NO_BASELINE = proto.Baseline(None, None, None, None, None, 0)


@dataclass
class Pending:
    """What a bed produced since the last write."""

    samples: list[dict[str, Any]] = field(default_factory=list)
    alarm_events: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    observations: list[dict[str, Any]] = field(default_factory=list)
    session_events: list[dict[str, Any]] = field(default_factory=list)
    waves: list[tuple[int, Any]] = field(default_factory=list)  # (session id, WaveSegment)

    def clear(self) -> None:
        for name in ("samples", "alarm_events", "actions", "observations", "session_events",
                     "waves"):  # fmt: skip
            getattr(self, name).clear()


def auto_start(s: BedSession, now: float) -> None:
    """At the start of second ``now``: start the infusion of a bed that starts by itself
    if the pre-infusion check passes (a caution or a block holds it: see ``hold_reason``)."""
    check = s.pre_infusion_check(now)
    s.pre_infusion = check
    if check is not None and check.status == "pass":
        start_by_itself(s, check, now)


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
    clean: dict[str, tuple[float, float]] = field(default_factory=dict)  # last "ok" sample
    lost: dict[str, float] = field(default_factory=dict)  # last "invalid" sample's time
    last_nibp: dict[str, tuple[float, float]] = field(default_factory=dict)
    alertness: tuple[float, float] | None = None
    infusion_start_s: float | None = None
    infusion_end_s: float | None = None
    baseline: Any = None
    realtime_start: float | None = None  # monotonic start for a real device's session
    protocol: Any = None  # the session's ProtocolConfig (discharge readiness), if any
    readiness: Any = None  # the protocol's Readiness at t_s (observation and ready only)
    queued: list[AlarmAction] = field(default_factory=list)  # for the engine, at second t_s
    pump_state: str = "not_started"  # the pump's state as last given to the alarm engine
    pending: Pending = field(default_factory=Pending)
    # the start of the infusion (see _infusion_start): the patient's screening answers
    # (None: the source has none), whether the bed starts it by itself once the check
    # passes, when it was started, and the check at t_s while in the baseline
    screening: dict[str, str] | None = None
    auto_start: bool = False
    start_s: float | None = None
    pre_infusion: Any = None
    baseline_cuff: list[Sample] = field(default_factory=list)  # the baseline's cuff samples
    overdue_sent: bool = False  # the engine was told observation lasted the maximum
    discharge: dict[str, Any] | None = None  # t_s, wall, actor, note once discharged
    said: tuple[float, str, str] | None = None  # the patient's last words: t_s, words, symptom

    def act(self, action: AlarmAction, now_s: float) -> list[AlarmEvent]:
        """One alarm action now (AlarmActionError changes nothing). The engine's own
        ``log`` is not used: a session's log is the store's, and memory stays flat."""
        actions = [*self.queued, action]
        _, events = step(self.engine.state, (), actions, now_s)  # restores it on error
        self.queued = []
        return events

    def advance(self, seconds: int, baseline_from: Any = None) -> None:
        """Run ``seconds`` simulated seconds: read the source, step the alarms each second.

        A bed that starts its infusion by itself (``auto_start``) runs its baseline one
        second at a time: the check is judged at the start of every second from
        everything before it, and the infusion starts at the first second it passes,
        whatever the speed (as discharge readiness)."""
        if seconds <= 0 or self.status != "running":
            return
        t1 = self.t_s + seconds
        while self.t_s < t1 and self.auto_start_pending():
            auto_start(self, float(self.t_s))
            self._advance_to(self.t_s + 1, baseline_from)
        if self.t_s < t1:
            self._advance_to(t1, baseline_from)
        self.update_readiness()

    def _advance_to(self, t1: int, baseline_from: Any) -> None:
        """Seconds [t_s, t1) from the source through the alarm engine."""
        # A device's reading can arrive after its second was processed: it is stored with
        # its own time and evaluated in the current second (the engine's clock never runs back).
        by_second: dict[int, list[Reading]] = defaultdict(list)
        for r in self.source.advance(t1):
            by_second[max(math.floor(r.t_s), self.t_s)].append(r)
        waveforms = getattr(self.source, "waveforms", None)
        if waveforms is not None:  # the seconds just read, as the monitor sweeps them
            self.pending.waves.extend((self.session_id, seg) for seg in waveforms())
        notes: dict[int, list[Note]] = defaultdict(list)
        for n in self.source.notes():
            notes[max(math.floor(n.t_s), self.t_s)].append(n)
        sid = self.session_id
        # an HL7 bed's readings were stored when they were received (before their ACK)
        store = not getattr(self.source, "prestored", False)
        for sec in range(self.t_s, t1):
            actions, self.queued = self.queued, []
            actions += self._readiness_actions(float(sec))
            actions += self._overdue_actions(float(sec))
            pump: list[AlarmAction] = []  # after the second's phases, as a replay orders them
            for n in notes.get(sec, ()):
                self.pending.session_events.append(
                    {"session_id": sid, "t_s": n.t_s, "kind": n.kind, "source": n.source,
                     "detail": n.detail})  # fmt: skip
                if n.kind == "phase" and n.detail.get("phase") in SOURCE_PHASES:
                    actions += self._enter_phase(SOURCE_PHASES[n.detail["phase"]], sec,
                                                 baseline_from)  # fmt: skip
                elif n.kind == "pump":
                    pump += self._pump_reported(n.detail.get("state"), sec)
                elif n.kind == SAID and n.detail.get("words"):
                    self.said = (n.t_s, str(n.detail["words"]), str(n.detail.get("symptom", "")))
            actions += pump
            samples = []
            for r in by_second.get(sec, ()):
                ch = channel_of(r.channel)
                if ch is None:
                    continue
                q = _QUALITY.get(r.quality, Quality.OK)
                samples.append(
                    Sample(max(r.t_s, float(sec)) if r.t_s < sec else r.t_s, ch, r.value, q)
                )
                if store:
                    self.pending.samples.append(
                        {"session_id": sid, "t_s": r.t_s, "channel": r.channel,
                         "value": r.value, "quality": r.quality,
                         "true_value": r.true_value})  # fmt: skip
                self._remember(r, ch)
                # what ``protocol.baseline_from`` reads; nothing else is kept then
                if self.phase is Phase.BASELINE and channels.get(ch).baseline:
                    self.baseline_samples.append(samples[-1])
                    if channels.get(ch).periodic:  # what the pre-infusion check reads
                        self.baseline_cuff.append(samples[-1])
                        del self.baseline_cuff[:-BASELINE_KEEP_CUFF]
                    if len(self.baseline_samples) > 2 * BASELINE_KEEP_SAMPLES:
                        # a real device's bed may never leave the baseline: keep the last hour
                        del self.baseline_samples[:-BASELINE_KEEP_SAMPLES]
            # a reading may fall inside the second (a breath's EtCO2 at 12.4, a device's):
            # the engine is stepped at each time the second's readings have, as the replay
            # of the stored samples steps them, so a timer due in between (a delay, a
            # reminder, no data) fires at the same time in both; the second's actions
            # come first, at its start; the clock ends at the newest reading
            at: dict[float, list[Sample]] = {}
            for x in samples:
                at.setdefault(x.t_s, []).append(x)
            if actions or not at:
                at.setdefault(float(sec), [])
            for now in sorted(at):
                _, events = step(self.engine.state, at[now], actions, now)
                actions = []
                self.pending.alarm_events.extend(alarm_event_row(sid, e) for e in events)
        self.t_s = t1

    def update_readiness(self) -> None:
        """Readiness at ``t_s`` for display, and the phase it implies (logged now; the
        engine gets it at the start of second ``t_s``, before its samples); the
        pre-infusion check at ``t_s`` while the bed waits in the baseline."""
        self.queued += self._readiness_actions(float(self.t_s))
        self.queued += self._overdue_actions(float(self.t_s))
        self.readiness = self.discharge_readiness(float(self.t_s))
        self.pre_infusion = self.pre_infusion_check(float(self.t_s))

    # -- the start of the infusion --------------------------------------------------------
    def waiting_to_start(self) -> bool:
        """In the baseline, running, and nobody has started the infusion yet."""
        return self.status == "running" and self.phase is Phase.BASELINE and self.start_s is None

    def auto_start_pending(self) -> bool:
        return self.auto_start and self.waiting_to_start()

    def pre_infusion_check(self, now: float) -> Any:
        """The protocol's pre-infusion check at ``now`` (None: not waiting, no protocol, or
        a source whose infusion the monitor does not start: a recording, a real device)."""
        if self.protocol is None or not self.waiting_to_start():
            return None
        if not callable(getattr(self.source, "start_infusion", None)):
            return None
        values = {
            ch: proto.clean_value(self.clean.get(ch), self.lost.get(ch), now)
            for ch in proto.READINESS_CHANNELS
        }
        alarms = [
            (a.priority.name, a.message.lstrip("*").strip())
            for a in self.engine.signals(now).alarms
        ]  # the words, not the marker
        screening = {} if self.screening is None else self.screening
        return proto.pre_infusion_check(self.protocol, self.baseline_cuff, now,
                                        proto.latest_of(self.last_nibp, values), alarms,
                                        screening)  # fmt: skip

    def hold_reason(self) -> str | None:
        """Why a bed that starts by itself has not started yet (None: not held)."""
        check = self.pre_infusion
        if not self.auto_start_pending() or check is None or check.status == "pass":
            return None
        return "; ".join(check.reasons)

    def _remember(self, r: Reading, ch: str) -> None:
        """Latest values for numerics and readiness; a lost continuous signal is no value."""
        periodic = channels.get(ch).periodic
        if r.quality != "invalid" and not math.isnan(r.value):
            self.latest[r.channel] = (r.t_s, r.value, r.quality)
            if r.quality == "ok":
                self.clean[r.channel] = (r.t_s, r.value)
            if periodic:
                self.last_nibp[r.channel] = (r.t_s, r.value)
        elif not periodic:
            self.latest.pop(r.channel, None)
            self.lost[r.channel] = r.t_s

    def _enter_phase(self, phase: Phase, sec: int, baseline_from: Any) -> list[AlarmAction]:
        if phase is self.phase:
            return []
        self.phase = phase
        out = []
        if phase is Phase.INFUSION:
            self.infusion_start_s = float(sec)
            if baseline_from is not None:
                self.baseline = baseline_from(self.baseline_samples)
                values = alarm_baseline(self.baseline)
                if values:  # before the phase, as `vitalsdash alarms replay` applies it
                    out.append(AlarmAction.set_baseline(values, float(sec)))
                    self.pending.session_events.append(
                        {"session_id": self.session_id, "t_s": float(sec), "kind": "baseline",
                         "source": "protocol", "detail": {k.value: v for k, v in values.items()}}
                    )  # fmt: skip
            self.baseline_samples = []  # the baseline is taken: nothing more is kept
            self.baseline_cuff = []
        elif phase is Phase.OBSERVATION:
            self.infusion_end_s = float(sec)
        out.append(AlarmAction.set_phase(phase, float(sec)))
        return out

    def _pump_reported(self, state: Any, sec: int) -> list[AlarmAction]:
        """The pump's report of its state (a ``pump`` note) for the alarm engine, once per
        change: a paused pump raises PUMP_PAUSED after the profile's delay."""
        if state not in PUMP_STATES or state == self.pump_state:
            return []
        self.pump_state = state
        return [AlarmAction.set_pump(state, float(sec))]

    # -- discharge readiness ----------------------------------------------------------
    def _alertness_score(self) -> float | None:
        """The alertness score charted after the infusion ended (None if none)."""
        charted = () if self.alertness is None else (self.alertness,)
        return proto.alertness_for_discharge(charted, self.infusion_end_s)[0]

    def discharge_readiness(self, now: float) -> Any:
        """The protocol's readiness at ``now`` (observation and ready only; else None)."""
        if self.protocol is None or self.phase not in (Phase.OBSERVATION, Phase.READY):
            return None
        return self.readiness_at(now)

    def readiness_at(self, now: float) -> Any:
        """The protocol's readiness at ``now`` in any phase (None without a protocol): what a
        discharge is judged by (before the end of the infusion it says so)."""
        if self.protocol is None:
            return None
        charted = () if self.alertness is None else (self.alertness,)
        score, early = proto.alertness_for_discharge(charted, self.infusion_end_s)
        values = {
            ch: proto.clean_value(self.clean.get(ch), self.lost.get(ch), now)
            for ch in proto.READINESS_CHANNELS
        }
        latest = proto.latest_of(self.last_nibp, values)
        active = [a.condition for a in self.engine.signals(now).alarms]
        return proto.discharge_readiness(self.protocol, self.baseline or _NO_BASELINE, latest,
                                         now, self.infusion_end_s, active, score,
                                         alertness_early=early,
                                         alarm_words=self.engine.labels())  # fmt: skip

    def _overdue_actions(self, now: float) -> list[AlarmAction]:
        """At the start of second ``now``: once observation has lasted the protocol's
        maximum, the engine raises its reminder to assess for discharge (once a session)."""
        if (self.overdue_sent or self.protocol is None or self.infusion_end_s is None
                or self.phase not in (Phase.OBSERVATION, Phase.READY)):  # fmt: skip
            return []
        due = proto.observation_overdue_s(self.protocol, self.infusion_end_s)
        if due is None or now < due:
            return []
        self.overdue_sent = True
        return [AlarmAction.observation_overdue(self.protocol.observation.max_minutes, now)]

    def end_observation(self, now: float) -> list[AlarmEvent]:
        """Discharge or the end of the session: the reminder (if raised) is cleared now."""
        if not self.overdue_sent:
            return []
        return self.act(AlarmAction.end_observation(now), now)

    def _readiness_actions(self, now: float) -> list[AlarmAction]:
        """At the start of second ``now``: OBSERVATION -> READY when every discharge
        criterion holds, back when one fails; the engine is told like any phase change."""
        if self.protocol is None or self.phase not in (Phase.OBSERVATION, Phase.READY):
            return []
        # the alertness criterion is cheap and fails until the nurse charts a score:
        # only then is the whole (explained) readiness worth computing every second
        score = self._alertness_score()
        need = self.protocol.discharge.alertness_min_score
        ready = score is not None and score >= need and self.discharge_readiness(now).ready
        if ready == (self.phase is Phase.READY):
            return []
        phase = Phase.READY if ready else Phase.OBSERVATION
        self.record_phase(phase, now)
        return [AlarmAction.set_phase(phase, now)]

    def record_phase(self, phase: Phase, t_s: float) -> None:
        """A phase the protocol decides (ready, ended), logged like the source's."""
        self.phase = phase
        self.pending.session_events.append(
            {"session_id": self.session_id, "t_s": t_s, "kind": "phase", "source": "protocol",
             "detail": {"phase": phase.value}})  # fmt: skip
