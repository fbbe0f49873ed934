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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vitalsdash.debrief._discharge import (
    DischargeDecision,
    PhaseSpan,
    discharge_decision,
    phase_changes,
    phase_spans,
)
from vitalsdash.debrief._episodes import (
    AlarmGroup,
    ConditionInfo,
    Episode,
    Suppressed,
    alarm_groups,
    audio_pauses,
    build_episodes,
    suppressed_excursions,
    with_audio_pauses,
)
from vitalsdash.debrief._expected import (
    ExpectedResult,
    score_expected,
    with_first_actions,
)
from vitalsdash.debrief._scores import ScoreCheck, score_checks, summary_fields
from vitalsdash.debrief._start import InfusionStart, infusion_start
from vitalsdash.debrief._types import (
    Action,
    SessionData,
)

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
    groups: tuple[AlarmGroup, ...] = ()
    """The banner rows the episodes made (``alarm_groups``): what the trainee acted on."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """condition -> the nurse's words (the session's alarm profile), for pages."""

    def words(self, condition: str) -> str:
        """A condition as pages show it ("Systolic high"); its name when none is known."""
        return self.labels.get(condition, condition)

    start: InfusionStart | None = None  # how the infusion was started (None: not judged)
    scores: tuple[ScoreCheck, ...] = ()
    """Each charted sedation, dissociation or nausea score beside the patient's own."""

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
        """Headline figures (plain values) for a report header or a review page.

        Acknowledgements and first actions count once per banner row (``groups``): one
        press that silenced the six alarms of one NIBP reading is one acknowledgement per
        parameter, timed once, not six."""
        eps = self.episodes
        rows = self.groups or tuple(alarm_groups(eps))
        acks = [g.time_to_ack_s for g in rows if g.time_to_ack_s is not None]
        acts = [g.time_to_action_s for g in rows if g.time_to_action_s is not None]
        by_prio: dict[str, int] = {"HIGH": 0, "MEDIUM": 0, "LOW": 0}
        for e in eps:
            by_prio[e.priority] = by_prio.get(e.priority, 0) + 1
        return {
            "duration_s": self.end_t_s,
            "episodes": len(eps),
            "alarms": len(rows),
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
            "start_overridden": self.start is not None and self.start.overridden,
            "start_refused": 0 if self.start is None else len(self.start.refused),
            **summary_fields(self.scores),
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
    expected = score_expected(data.expected, eps, data.actions, end, data.samples,
                              judge_pump=data.pump_follows_actions)  # fmt: skip
    return Debrief(
        end_t_s=end,
        episodes=tuple(eps),
        silenced_unresolved=tuple(silenced_unresolved(eps, end, silenced_limit_s)),
        suppressed=tuple(suppressed_excursions(data.alarm_events)),
        expected=tuple(expected),
        discharge=discharge_decision(
            data.protocol,
            data.samples,
            eps,
            data.actions,
            data.observations,
            changes,
            end,
            discharged_at=_wall(data.info.get("discharged_at")),
            alarm_words=data.labels,
        ),
        phases=tuple(phase_spans(changes, end)),
        silenced_limit_s=silenced_limit_s,
        groups=tuple(alarm_groups(eps)),
        labels=dict(data.labels),
        start=infusion_start(data.actions, changes),
        scores=score_checks(data.observations, data.samples),
    )
