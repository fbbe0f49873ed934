"""Training metrics for the debrief: what the alarms did and what the trainee did about them.

Pure functions over one session's record (:class:`SessionData`), from the store or from a
recording replayed through the alarm engine; docs/debrief.md defines every metric.

- ``_sources``: a session's record from the store or from a recording and actions file
  (a stored session's waveforms are read when a strip is drawn: ``StoreWaves``);
- ``_episodes``: alarm episodes from the alarm log;
- ``_expected``: the first action per episode and the scenario's expected responses;
- ``_discharge``: the discharge decision against readiness, and the phases;
- ``_start``: how the infusion was started (the check, refused attempts, an override);
- ``_course``: a patient's course of sessions side by side (BP response, symptoms);
- ``_scores``: charted sedation, dissociation and nausea against the patient's own scores;
- ``_metrics``: :func:`compute_debrief`, which puts them together;
- ``_types``: the records all of them read.

Typical use::

    data = session_from_store(store, session_id)        # or session_from_recording(path)
    report = compute_debrief(data)
"""

from vitalsdash.adapters.simulator import PATIENT_ACTIONS
from vitalsdash.debrief._course import (
    Course,
    CourseSession,
    course_for_session,
    course_summary,
)
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
    AlarmGroup,
    ConditionInfo,
    Episode,
    Escalation,
    Suppressed,
    alarm_groups,
    condition_info,
    suppressed_excursions,
)
from vitalsdash.debrief._expected import (
    ADDRESSING_ACTIONS,
    PUMP_ACTIONS,
    ExpectedResult,
    addressing_actions,
    by_name,
    done_words,
    response_words,
    score_expected,
)
from vitalsdash.debrief._metrics import (
    DEFAULT_SILENCED_LIMIT_S,
    Debrief,
    SilencedUnresolved,
    alarm_episodes,
    compute_debrief,
    silenced_unresolved,
)
from vitalsdash.debrief._scores import (
    CLOSE_POINTS,
    ScoreCheck,
    ScoreSummary,
    score_checks,
    score_summary,
)
from vitalsdash.debrief._sources import (
    DEFAULT_PROFILE,
    DEFAULT_PROTOCOL,
    DebriefSourceError,
    StoreWaves,
    protocol_of_scenario,
    read_actions_file,
    resolve_protocol,
    resolve_scenario,
    session_from_frames,
    session_from_recording,
    session_from_store,
)
from vitalsdash.debrief._start import (
    InfusionStart,
    StartAttempt,
    infusion_start,
)
from vitalsdash.debrief._types import (
    END_ACTIONS,
    SAMPLE_COLUMNS,
    Action,
    Observation,
    SessionData,
    SessionEvent,
)

__all__ = [
    "ADDRESSING_ACTIONS",
    "CLOSE_POINTS",
    "DEFAULT_PROFILE",
    "DEFAULT_PROTOCOL",
    "DEFAULT_SILENCED_LIMIT_S",
    "END_ACTIONS",
    "PATIENT_ACTIONS",
    "PUMP_ACTIONS",
    "SAMPLE_COLUMNS",
    "Action",
    "AlarmGroup",
    "ConditionInfo",
    "Course",
    "CourseSession",
    "Debrief",
    "DebriefSourceError",
    "DischargeDecision",
    "Episode",
    "Escalation",
    "ExpectedResult",
    "InfusionStart",
    "Observation",
    "PhaseSpan",
    "ReadinessJudge",
    "ScoreCheck",
    "ScoreSummary",
    "SessionData",
    "SessionEvent",
    "SilencedUnresolved",
    "StartAttempt",
    "StoreWaves",
    "Suppressed",
    "addressing_actions",
    "alarm_episodes",
    "alarm_groups",
    "by_name",
    "compute_debrief",
    "condition_info",
    "course_for_session",
    "course_summary",
    "discharge_decision",
    "done_words",
    "infusion_start",
    "infusion_times",
    "phase_changes",
    "phase_spans",
    "protocol_of_scenario",
    "read_actions_file",
    "resolve_protocol",
    "resolve_scenario",
    "response_words",
    "score_checks",
    "score_expected",
    "score_summary",
    "session_from_frames",
    "session_from_recording",
    "session_from_store",
    "silenced_unresolved",
    "suppressed_excursions",
]
