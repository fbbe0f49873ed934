"""The alarm engine: pure, deterministic evaluation of vital signs against a profile.

See docs/alarms.md for the specification. The core is ``step(state, samples, actions,
now_s) -> (state, events)``; ``AlarmEngine`` wraps it with a log and ``signals(now)``.
"""

from vitalsdash.alarms._engine import AlarmEngine, new_state, step
from vitalsdash.alarms._profile import (
    APNEA,
    PUMP_PAUSED,
    AlarmProfile,
    limit_condition_names,
    list_profiles,
    load_profile,
    profile_path,
)
from vitalsdash.alarms._signals import AlarmOffNotice, AlarmSignal, AudioPattern, Signals
from vitalsdash.alarms._state import AlarmState, condition_labels
from vitalsdash.alarms._types import (
    PUMP_STATES,
    ActionKind,
    Actor,
    AlarmAction,
    AlarmActionError,
    AlarmEvent,
    ConditionState,
    Priority,
)

__all__ = [
    "APNEA",
    "PUMP_PAUSED",
    "PUMP_STATES",
    "ActionKind",
    "Actor",
    "AlarmAction",
    "AlarmActionError",
    "AlarmEngine",
    "AlarmEvent",
    "AlarmOffNotice",
    "AlarmProfile",
    "AlarmSignal",
    "AlarmState",
    "AudioPattern",
    "ConditionState",
    "Priority",
    "Signals",
    "condition_labels",
    "limit_condition_names",
    "list_profiles",
    "load_profile",
    "new_state",
    "profile_path",
    "step",
]
