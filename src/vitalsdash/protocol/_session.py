"""Session protocol: phases, NIBP program, pre-infusion check and discharge readiness.

Pure functions and plain data: nothing here reads a clock; every time is seconds from the
session start, passed in by the runtime. Protocol files live in config/protocols/.

Choices (clinical.md, "Monitoring protocol defaults"):
- The pre-infusion check judges the LAST valid baseline NIBP reading: it is the state of
  the patient when the infusion would start (a rising BP is not averaged away by an
  earlier, calmer reading). Blocked at or above the block limits (SBP >= 160 or
  DBP >= 100), caution at or above the caution limits (140/90, the threshold of grade 1
  hypertension), else ok. Blocked takes precedence over not ready (the BP is shown as
  soon as one reading exists), not ready over caution; ``reasons`` lists all of them.
- Discharge: SBP, DBP and HR within the percentage of baseline either way, exactly the
  percentage being within. The SBP cap relaxes only the upper bound and is strict: SBP
  below 160 is fine however far it rose, SBP at 160 is not (160 would block a start);
  a fall of more than the percentage is never fine. SpO2 at the floor is fine.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from vitalsdash.model import Channel, Phase, Quality, Sample, mean_arterial_pressure
from vitalsdash.protocol._config import (
    BaselineRules,
    DischargeCriteria,
    NibpProgram,
    ObservationRules,
    PreInfusionLimits,
    ProtocolConfig,
    ProtocolInfo,
    list_protocols,
    load_protocol,
    protocol_path,
)
from vitalsdash.protocol._readiness import (
    Baseline,
    Criterion,
    Latest,
    Readiness,
    discharge_readiness,
    num,
)
from vitalsdash.tomlconfig import ConfigError

__all__ = [
    "CLEAN_WITHIN_S",
    "NIBP_CHANNELS",
    "READINESS_CHANNELS",
    "Baseline",
    "BaselineRules",
    "ConfigError",
    "Criterion",
    "DischargeCriteria",
    "Latest",
    "NibpProgram",
    "NibpReading",
    "ObservationRules",
    "PhaseTracker",
    "PreInfusionCheck",
    "PreInfusionLimits",
    "ProtocolConfig",
    "ProtocolInfo",
    "Readiness",
    "alarm_baseline",
    "baseline_from",
    "clean_value",
    "discharge_readiness",
    "latest_from",
    "latest_of",
    "list_protocols",
    "load_protocol",
    "nibp_interval_s",
    "nibp_readings",
    "pre_infusion_check",
    "protocol_path",
]


NIBP_CHANNELS: tuple[Channel, ...] = (Channel.NIBP_SYS, Channel.NIBP_DIA, Channel.NIBP_MAP)
"""The cuff's channels: one reading is their values at one time."""
READINESS_CHANNELS: tuple[Channel, ...] = (Channel.HR, Channel.SPO2)
"""The continuous vital signs discharge readiness looks at (as ``clean_value``)."""


@dataclass(frozen=True, slots=True)
class NibpReading:
    t_s: float
    sys_mmhg: float
    dia_mmhg: float
    map_mmhg: float  # measured, or DBP + (SBP - DBP) / 3 when the device gave none


def nibp_readings(samples: Iterable[Sample]) -> list[NibpReading]:
    """Valid NIBP readings in time order: SYS and DIA samples of one ``t_s``, both usable.

    Other channels are ignored, so all the samples of a phase can be passed.
    """
    by_t: dict[float, dict[Channel, float]] = {}
    for s in samples:
        if s.channel in NIBP_CHANNELS and s.usable:
            by_t.setdefault(s.t_s, {})[s.channel] = s.value
    out = []
    for t, v in sorted(by_t.items()):
        if Channel.NIBP_SYS in v and Channel.NIBP_DIA in v:
            sys, dia = v[Channel.NIBP_SYS], v[Channel.NIBP_DIA]
            mean = v.get(Channel.NIBP_MAP)
            out.append(
                NibpReading(t, sys, dia, mean_arterial_pressure(sys, dia) if mean is None else mean)
            )
    return out


def baseline_from(readings: Sequence[Sample]) -> Baseline:
    """The patient's baseline from the samples of the baseline phase: NIBP as the mean of
    the valid readings, HR and SpO2 as the median of the usable samples."""
    bp = nibp_readings(readings)

    def median(ch: Channel) -> float | None:
        values = [s.value for s in readings if s.channel is ch and s.usable]
        return float(statistics.median(values)) if values else None

    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    return Baseline(
        sys_mmhg=mean([r.sys_mmhg for r in bp]),
        dia_mmhg=mean([r.dia_mmhg for r in bp]),
        map_mmhg=mean([r.map_mmhg for r in bp]),
        hr_bpm=median(Channel.HR),
        spo2_pct=median(Channel.SPO2),
        n_nibp_readings=len(bp),
    )


def alarm_baseline(baseline: Baseline) -> dict[Channel, float]:
    """The baseline values the alarm engine's relative rules use (0.1 resolution).

    The runtime and ``vitalsdash alarms replay`` both set the engine's baseline through
    this, so a live session and an offline replay of its recording agree.
    """
    pairs = {Channel.NIBP_SYS: baseline.sys_mmhg, Channel.NIBP_DIA: baseline.dia_mmhg,
             Channel.NIBP_MAP: baseline.map_mmhg, Channel.HR: baseline.hr_bpm,
             Channel.SPO2: baseline.spo2_pct}  # fmt: skip
    return {ch: round(float(v), 1) for ch, v in pairs.items() if v is not None}


CLEAN_WITHIN_S = 60.0
"""Readiness takes a heart rate or SpO2 only from a clean sample at most this old."""


def clean_value(
    clean: tuple[float, float] | None, lost_t_s: float | None, now: float
) -> float | None:
    """The HR or SpO2 value discharge readiness may use at ``now``: the last clean sample
    (t, value), unless the signal was lost after it (``lost_t_s``: the last invalid sample)
    or it is older than CLEAN_WITHIN_S. An artefact-flagged sample counts neither for nor
    against discharge: a motion spike must not make a patient look ready (or not)."""
    if clean is None or (lost_t_s is not None and lost_t_s > clean[0]):
        return None
    return clean[1] if clean[0] >= now - CLEAN_WITHIN_S else None


def latest_of(
    last_nibp: Mapping[str, tuple[float, float]], values: Mapping[str, float | None]
) -> Latest:
    """``Latest`` from the last cuff value per channel ((t, value)) and the readiness
    channels' ``clean_value`` per channel (both keyed by channel id)."""
    sys_, dia = last_nibp.get(Channel.NIBP_SYS), last_nibp.get(Channel.NIBP_DIA)
    return Latest(
        sys_mmhg=sys_[1] if sys_ else None,
        dia_mmhg=dia[1] if dia else None,
        nibp_t_s=sys_[0] if sys_ else None,
        hr_bpm=values.get(Channel.HR),
        spo2_pct=values.get(Channel.SPO2),
    )


def latest_from(samples: Iterable[Sample]) -> Latest:
    """Most recent values: the last valid NIBP reading with its time; HR and SpO2 as
    ``clean_value`` at the time of each channel's last sample."""
    samples = list(samples)
    cont: dict[Channel, float | None] = {}
    for ch in READINESS_CHANNELS:
        mine = sorted((s for s in samples if s.channel == ch), key=lambda s: s.t_s)
        clean = [s for s in mine if s.usable and s.quality is Quality.OK]
        lost = [s.t_s for s in mine if not s.usable]
        if mine:
            last = (clean[-1].t_s, clean[-1].value) if clean else None
            cont[ch] = clean_value(last, lost[-1] if lost else None, mine[-1].t_s)
    bp = nibp_readings(samples)
    r = bp[-1] if bp else None
    return Latest(
        sys_mmhg=r.sys_mmhg if r else None,
        dia_mmhg=r.dia_mmhg if r else None,
        nibp_t_s=r.t_s if r else None,
        hr_bpm=cont.get(Channel.HR),
        spo2_pct=cont.get(Channel.SPO2),
    )


@dataclass(frozen=True, slots=True)
class PreInfusionCheck:
    status: Literal["ok", "caution", "blocked", "not_ready"]
    reasons: list[str] = field(default_factory=list)

    @property
    def may_start(self) -> bool:
        return self.status in ("ok", "caution")


def pre_infusion_check(
    cfg: ProtocolConfig, baseline_nibp_readings: Sequence[Sample], elapsed_s: float
) -> PreInfusionCheck:
    """May the infusion start? ``elapsed_s`` is the time spent in the baseline phase."""
    rules, lim = cfg.baseline, cfg.pre_infusion
    bp = nibp_readings(baseline_nibp_readings)
    reasons: list[str] = []
    if len(bp) < rules.min_readings:
        noun = "reading" if rules.min_readings == 1 else "readings"
        reasons.append(f"{rules.min_readings} baseline NIBP {noun} needed, {len(bp)} taken")
    if elapsed_s < rules.min_minutes * 60.0:
        reasons.append(
            f"baseline of {num(rules.min_minutes)} min needed, {int(elapsed_s // 60)} min so far"
        )
    not_ready = bool(reasons)
    blocked = caution = False
    if bp:
        s, d = bp[-1].sys_mmhg, bp[-1].dia_mmhg
        head = f"last baseline BP {num(s)}/{num(d)} mmHg"
        if s >= lim.block_sys_mmhg or d >= lim.block_dia_mmhg:
            blocked = True
            limit = f"{num(lim.block_sys_mmhg)}/{num(lim.block_dia_mmhg)}"
            reasons.append(f"{head} is at or above {limit}: do not start the infusion")
        elif s >= lim.caution_sys_mmhg or d >= lim.caution_dia_mmhg:
            caution = True
            limit = f"{num(lim.caution_sys_mmhg)}/{num(lim.caution_dia_mmhg)}"
            reasons.append(f"{head} is at or above {limit}: caution, start allowed")
    if blocked:
        return PreInfusionCheck("blocked", reasons)
    if not_ready:
        return PreInfusionCheck("not_ready", reasons)
    return PreInfusionCheck("caution" if caution else "ok", reasons)


def nibp_interval_s(cfg: ProtocolConfig, phase: Phase | str) -> float:
    """Seconds between automatic NIBP readings in ``phase`` (cfg.nibp is the program)."""
    return cfg.nibp.interval_s(phase)


class PhaseTracker:
    """BASELINE -> INFUSION -> OBSERVATION <-> READY -> ENDED, from what the runtime reports.

    ``transitions`` is the whole history as ``(t_s, phase)``, starting with the baseline.
    Start and end of the infusion take effect at the times the pump reported; READY and a
    return to OBSERVATION (readiness lost) at ``now_s``. ``end`` (discharged or session
    ended) goes to ENDED from any phase; ENDED is final. Deterministic: the same calls
    give the same history.
    """

    def __init__(self, cfg: ProtocolConfig, start_s: float = 0.0) -> None:
        self.observation_min_s = cfg.observation.min_minutes * 60.0
        self.transitions: list[tuple[float, Phase]] = [(start_s, Phase.BASELINE)]
        self.infusion_end_s: float | None = None
        self._now_s = start_s

    @property
    def phase(self) -> Phase:
        return self.transitions[-1][1]

    def _go(self, t_s: float, phase: Phase) -> None:
        if t_s < self.transitions[-1][0]:
            raise ValueError(
                f"{phase} at {t_s:g} s is before {self.phase} at {self.transitions[-1][0]:g} s"
            )
        self.transitions.append((t_s, phase))

    def _check(self, now_s: float, started_s: float | None, ended_s: float | None) -> None:
        if now_s < self._now_s:
            raise ValueError(f"time went backwards: {now_s:g} s after {self._now_s:g} s")
        for t in (started_s, ended_s):
            if t is not None and t > now_s:
                raise ValueError(f"pump time {t:g} s is after now ({now_s:g} s)")
        if ended_s is not None and started_s is None:
            raise ValueError("infusion end reported without its start")
        if ended_s is not None and started_s is not None and ended_s < started_s:
            raise ValueError(f"infusion end {ended_s:g} s is before its start")
        baseline_s = self.transitions[0][0]
        if self.phase is Phase.BASELINE and started_s is not None and started_s < baseline_s:
            raise ValueError(f"infusion start {started_s:g} s is before the baseline")

    def update(
        self,
        now_s: float,
        *,
        infusion_started_s: float | None = None,
        infusion_ended_s: float | None = None,
        ready: bool | Readiness = False,
        end: bool = False,
    ) -> Phase:
        """Advance to ``now_s`` and return the phase; raise ValueError (changing nothing)
        on times out of order. The pump times may be passed again on every call."""
        self._check(now_s, infusion_started_s, infusion_ended_s)
        self._now_s = now_s
        is_ready = ready.ready if isinstance(ready, Readiness) else bool(ready)
        if self.phase is Phase.ENDED:
            return self.phase
        if self.phase is Phase.BASELINE and infusion_started_s is not None:
            self._go(infusion_started_s, Phase.INFUSION)
        if self.phase is Phase.INFUSION and infusion_ended_s is not None:
            self._go(infusion_ended_s, Phase.OBSERVATION)
            self.infusion_end_s = infusion_ended_s
        observed = self.infusion_end_s is not None and (
            now_s - self.infusion_end_s >= self.observation_min_s
        )
        if self.phase is Phase.OBSERVATION and observed and is_ready:
            self._go(now_s, Phase.READY)
        elif self.phase is Phase.READY and not is_ready:
            self._go(now_s, Phase.OBSERVATION)
        if end:
            self._go(now_s, Phase.ENDED)
        return self.phase
