"""Training metrics for the debrief: what the alarms did and what the trainee did about them.

Pure functions over one session's record (:class:`SessionData`), whatever its source: the
store (a live or finished session) or a recording evaluated through the alarm engine with
an actions file. Times are seconds from the session start. See docs/debrief.md for the
definition of every metric.

Typical use::

    data = session_from_store(store, session_id)        # or session_from_recording(path)
    report = compute_debrief(data)
    for e in report.episodes: ...
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vitalsdash.debrief._discharge import (
    DischargeDecision,
    PhaseSpan,
    ReadinessJudge,
    discharge_decision,
    infusion_times,
    phase_changes,
    phase_spans,
)
from vitalsdash.debrief._episodes import (
    ConditionInfo,
    Episode,
    Escalation,
    Suppressed,
    audio_pauses,
    build_episodes,
    condition_info,
    suppressed_excursions,
    with_audio_pauses,
)
from vitalsdash.debrief._expected import (
    ADDRESSING_ACTIONS,
    PUMP_ACTIONS,
    ExpectedResult,
    addressing_actions,
    score_expected,
    with_first_actions,
)
from vitalsdash.debrief._sources import (
    DEFAULT_PROFILE,
    DEFAULT_PROTOCOL,
    DebriefSourceError,
    protocol_of_scenario,
    read_actions_file,
    resolve_protocol,
    resolve_scenario,
    session_from_frames,
    session_from_recording,
    session_from_store,
)
from vitalsdash.debrief._types import (
    END_ACTIONS,
    PATIENT_ACTIONS,
    SAMPLE_COLUMNS,
    Action,
    Observation,
    SessionData,
    SessionEvent,
)

__all__ = [
    "ADDRESSING_ACTIONS",
    "DEFAULT_PROFILE",
    "DEFAULT_PROTOCOL",
    "DEFAULT_SILENCED_LIMIT_S",
    "END_ACTIONS",
    "PATIENT_ACTIONS",
    "PUMP_ACTIONS",
    "SAMPLE_COLUMNS",
    "Action",
    "ConditionInfo",
    "Debrief",
    "DebriefSourceError",
    "DischargeDecision",
    "Episode",
    "Escalation",
    "ExpectedResult",
    "Observation",
    "PhaseSpan",
    "ReadinessJudge",
    "SessionData",
    "SessionEvent",
    "SilencedUnresolved",
    "Suppressed",
    "addressing_actions",
    "alarm_episodes",
    "compute_debrief",
    "condition_info",
    "discharge_decision",
    "infusion_times",
    "phase_changes",
    "phase_spans",
    "protocol_of_scenario",
    "read_actions_file",
    "resolve_protocol",
    "resolve_scenario",
    "score_expected",
    "session_from_frames",
    "session_from_recording",
    "session_from_store",
    "silenced_unresolved",
    "suppressed_excursions",
]

DEFAULT_SILENCED_LIMIT_S = 600.0
"""An alarm silenced (acknowledged or audio paused) and still active this long after it
was silenced counts as "silenced but not resolved" (10 min: two 5-min NIBP cycles)."""


@dataclass(frozen=True, slots=True)
class SilencedUnresolved:
    """An episode that was silenced but stayed active: at the end of the session, or for
    longer than the limit after it was silenced."""

    episode: Episode
    silenced_t_s: float
    silenced_by: str  # acknowledge | audio_pause
    active_after_s: float  # from silencing to its end (or to the end of the session)
    still_active: bool


@dataclass(frozen=True, slots=True)
class Debrief:
    """Every metric of one session. ``summary()`` gives the headline figures."""

    end_t_s: float
    episodes: tuple[Episode, ...]
    silenced_unresolved: tuple[SilencedUnresolved, ...]
    suppressed: tuple[Suppressed, ...]
    expected: tuple[ExpectedResult, ...]
    discharge: DischargeDecision
    phases: tuple[PhaseSpan, ...]
    silenced_limit_s: float = DEFAULT_SILENCED_LIMIT_S

    @property
    def alarm_episodes(self) -> tuple[Episode, ...]:
        """Physiological episodes (not technical ones)."""
        return tuple(e for e in self.episodes if not e.technical)

    @property
    def never_acknowledged(self) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if e.ack_t_s is None)

    @property
    def still_active(self) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if e.still_active)

    @property
    def suppressed_by_condition(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.suppressed:
            out[s.condition] = out.get(s.condition, 0) + 1
        return dict(sorted(out.items()))

    def expected_counts(self) -> dict[str, int]:
        out = {"met": 0, "late": 0, "missed": 0, "not_applicable": 0}
        for r in self.expected:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def summary(self) -> dict[str, Any]:
        """Headline figures (plain values) for a report header or a review page."""
        eps = self.episodes
        acks = [e.time_to_ack_s for e in eps if e.time_to_ack_s is not None]
        acts = [e.time_to_action_s for e in eps if e.time_to_action_s is not None]
        by_prio: dict[str, int] = {"HIGH": 0, "MEDIUM": 0, "LOW": 0}
        for e in eps:
            by_prio[e.priority] = by_prio.get(e.priority, 0) + 1
        return {
            "duration_s": self.end_t_s,
            "episodes": len(eps),
            "episodes_by_priority": by_prio,
            "escalated": sum(1 for e in eps if e.escalations),
            "acknowledged": len(acks),
            "never_acknowledged": len(self.never_acknowledged),
            "median_time_to_ack_s": statistics.median(acks) if acks else None,
            "median_time_to_action_s": statistics.median(acts) if acts else None,
            "acted_on": len(acts),
            "silenced_unresolved": len(self.silenced_unresolved),
            "still_active": len(self.still_active),
            "suppressed": len(self.suppressed),
            "expected": self.expected_counts(),
            "discharge": self.discharge.verdict,
        }


def alarm_episodes(
    alarm_events: Sequence[Mapping[str, Any]],
    end_t_s: float,
    actions: Sequence[Action] = (),
    *,
    samples: Any = None,
    conditions: Mapping[str, ConditionInfo] | None = None,
    expected: Sequence[Any] = (),
) -> list[Episode]:
    """Episodes with acknowledgement, audio pause and the trainee's first action noted."""
    eps = build_episodes(alarm_events, end_t_s, rules=conditions, samples=samples)
    eps = with_audio_pauses(eps, audio_pauses(alarm_events))
    expected_do: dict[str, set[str]] = {}
    for exp in expected:
        for cond in exp.when:
            expected_do.setdefault(cond, set()).update(exp.do)
    return with_first_actions(eps, actions, expected_do)


def silenced_unresolved(
    episodes: Sequence[Episode], end_t_s: float, limit_s: float = DEFAULT_SILENCED_LIMIT_S
) -> list[SilencedUnresolved]:
    """Episodes silenced (acknowledged or audio-paused while active) that were still active
    at the end of the session, or stayed active for more than ``limit_s`` after silencing."""
    out = []
    for e in episodes:
        t = e.silenced_t_s
        if t is None:
            continue
        end = e.end_t_s if e.end_t_s is not None else end_t_s
        after = max(0.0, end - t)
        if e.still_active or after > limit_s:
            out.append(SilencedUnresolved(e, t, e.silenced_by or "", after, e.still_active))
    return out


def _wall(value: Any) -> datetime | None:
    """A stored wall-clock time (a datetime, or its ISO text), else None."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def compute_debrief(
    data: SessionData, *, silenced_limit_s: float = DEFAULT_SILENCED_LIMIT_S
) -> Debrief:
    """Every metric of the session in ``data`` (see docs/debrief.md)."""
    end = float(data.end_t_s)
    eps = alarm_episodes(
        data.alarm_events,
        end,
        data.actions,
        samples=data.samples,
        conditions=data.conditions,
        expected=data.expected,
    )
    changes = phase_changes(data.session_events, data.alarm_events)
    return Debrief(
        end_t_s=end,
        episodes=tuple(eps),
        silenced_unresolved=tuple(silenced_unresolved(eps, end, silenced_limit_s)),
        suppressed=tuple(suppressed_excursions(data.alarm_events)),
        expected=tuple(score_expected(data.expected, eps, data.actions, end, data.samples)),
        discharge=discharge_decision(
            data.protocol,
            data.samples,
            eps,
            data.actions,
            data.observations,
            changes,
            end,
            discharged_at=_wall(data.info.get("discharged_at")),
        ),
        phases=tuple(phase_spans(changes, end)),
        silenced_limit_s=silenced_limit_s,
    )
