"""Session protocol: the phases a session goes through and the NIBP program.

Pure functions and plain data: nothing here reads a clock; every time is seconds from the
session start, passed in by the runtime. Protocol files live in config/protocols/. The
criteria about particular vital signs (baseline, pre-infusion check, discharge readiness)
are in ``_readiness``, the one module of the protocol that names channels.
"""

from __future__ import annotations

from vitalsdash.model import Phase
from vitalsdash.protocol._config import ProtocolConfig
from vitalsdash.protocol._readiness import Baseline, Readiness


def alarm_baseline(baseline: Baseline) -> dict[str, float]:
    """The baseline values the alarm engine's relative rules use (0.1 resolution).

    The runtime and ``vitalsdash alarms replay`` both set the engine's baseline through
    this, so a live session and an offline replay of its recording agree.
    """
    return {ch: round(v, 1) for ch, v in baseline.by_channel().items()}


def observation_overdue_s(cfg: ProtocolConfig, infusion_end_s: float | None) -> float | None:
    """The session second from which a patient still in observation is overdue for a
    discharge assessment (the end of the infusion plus ``[observation] max_minutes``);
    None while the infusion has not ended."""
    if infusion_end_s is None:
        return None
    return infusion_end_s + cfg.observation.max_minutes * 60.0


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
