"""Value types of the alarm engine: priorities, states, actions and log events.

They are plain, immutable data so that the runtime, the store and the UI can pass them
around without depending on the engine's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from vitalsdash.errors import VitalsdashError
from vitalsdash.model import Channel, Phase, channel_of


class Priority(IntEnum):
    """Alarm priority; ordered so that ``max()`` gives the most urgent one."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, value: object) -> Priority:
        """Accept a Priority, its name in any case, or its number (TOML and CSV inputs)."""
        if isinstance(value, Priority):
            return value
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2, 3):
            return cls(value)
        raise ValueError(f"priority must be one of HIGH, MEDIUM, LOW (got {value!r})")


class ConditionState(StrEnum):
    """The state of one alarm condition, as in the state table of alarms.md."""

    NORMAL = "normal"
    PENDING = "pending"
    ACTIVE = "active"
    CLEARING = "clearing"
    LATCHED = "latched"


class ActionKind(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ACKNOWLEDGE_ALL = "acknowledge_all"
    PAUSE_AUDIO = "pause_audio"
    RESUME_AUDIO = "resume_audio"
    RESET = "reset"
    SET_LIMIT = "set_limit"
    ALARM_OFF = "alarm_off"
    ALARM_ON = "alarm_on"
    AUTO_LIMITS = "auto_limits"
    SET_PHASE = "set_phase"
    SET_BASELINE = "set_baseline"
    SET_PUMP = "set_pump"
    OBSERVATION_OVERDUE = "observation_overdue"
    END_OBSERVATION = "end_observation"


class Actor(StrEnum):
    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    SYSTEM = "system"


LIMIT_KINDS: tuple[str, ...] = ("low", "high", "critical_low", "critical_high")
"""The limits of one channel that ``set_limit`` may change."""
PUMP_STATES: tuple[str, ...] = ("not_started", "running", "paused", "stopped", "finished")
"""What an infusion pump reports of itself (``set_pump``); only "paused" raises a reminder."""


class AlarmActionError(VitalsdashError, ValueError):
    """An action that cannot be applied now; the engine state is left unchanged.

    ``code`` is a short machine-readable reason (the API maps it to a 4xx answer).
    """

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class AlarmAction:
    """Something a person or the system does to the alarms at ``t_s``.

    Build actions with the class methods, which name the arguments each kind needs.
    """

    kind: ActionKind
    t_s: float
    actor: Actor = Actor.TRAINEE
    condition: str | None = None
    channel: str | None = None  # a registered channel id
    which: str | None = None
    value: float | None = None
    phase: Phase | None = None
    baseline: Mapping[str, float] | None = None
    pump: str | None = None  # set_pump: one of PUMP_STATES

    @classmethod
    def acknowledge(cls, condition: str, t_s: float, actor: Actor = Actor.TRAINEE) -> AlarmAction:
        return cls(ActionKind.ACKNOWLEDGE, t_s, Actor(actor), condition=condition)

    @classmethod
    def acknowledge_all(
        cls, t_s: float, actor: Actor = Actor.TRAINEE, channel: Channel | str | None = None
    ) -> AlarmAction:
        """Acknowledge every shown, unacknowledged alarm: of the bed, or with ``channel``
        of that parameter's banner row (its limit and rule conditions, not technical ones)."""
        ch = None if channel is None else _channel(channel)
        return cls(ActionKind.ACKNOWLEDGE_ALL, t_s, Actor(actor), channel=ch)

    @classmethod
    def pause_audio(cls, t_s: float, actor: Actor = Actor.TRAINEE) -> AlarmAction:
        return cls(ActionKind.PAUSE_AUDIO, t_s, Actor(actor))

    @classmethod
    def resume_audio(cls, t_s: float, actor: Actor = Actor.TRAINEE) -> AlarmAction:
        return cls(ActionKind.RESUME_AUDIO, t_s, Actor(actor))

    @classmethod
    def reset(
        cls, t_s: float, condition: str | None = None, actor: Actor = Actor.TRAINEE
    ) -> AlarmAction:
        """Reset one latched condition, or every latched one when ``condition`` is None."""
        return cls(ActionKind.RESET, t_s, Actor(actor), condition=condition)

    @classmethod
    def set_limit(
        cls,
        channel: Channel | str,
        which: str,
        value: float,
        t_s: float,
        actor: Actor = Actor.TRAINEE,
    ) -> AlarmAction:
        return cls(
            ActionKind.SET_LIMIT,
            t_s,
            Actor(actor),
            channel=_channel(channel),
            which=which,
            value=float(value),
        )

    @classmethod
    def alarm_off(
        cls, channel: Channel | str, t_s: float, actor: Actor = Actor.TRAINEE
    ) -> AlarmAction:
        return cls(ActionKind.ALARM_OFF, t_s, Actor(actor), channel=_channel(channel))

    @classmethod
    def alarm_on(
        cls, channel: Channel | str, t_s: float, actor: Actor = Actor.TRAINEE
    ) -> AlarmAction:
        return cls(ActionKind.ALARM_ON, t_s, Actor(actor), channel=_channel(channel))

    @classmethod
    def auto_limits(cls, t_s: float, actor: Actor = Actor.TRAINEE) -> AlarmAction:
        return cls(ActionKind.AUTO_LIMITS, t_s, Actor(actor))

    @classmethod
    def set_phase(cls, phase: Phase | str, t_s: float, actor: Actor = Actor.SYSTEM) -> AlarmAction:
        return cls(ActionKind.SET_PHASE, t_s, Actor(actor), phase=Phase(phase))

    @classmethod
    def set_baseline(
        cls, baseline: Mapping[Channel | str, float], t_s: float, actor: Actor = Actor.SYSTEM
    ) -> AlarmAction:
        values = {_channel(ch): float(v) for ch, v in baseline.items()}
        return cls(ActionKind.SET_BASELINE, t_s, Actor(actor), baseline=values)

    @classmethod
    def set_pump(cls, state: str, t_s: float, actor: Actor = Actor.SYSTEM) -> AlarmAction:
        """The infusion pump is now in ``state`` (one of :data:`PUMP_STATES`), as it reported."""
        return cls(ActionKind.SET_PUMP, t_s, Actor(actor), pump=str(state))

    @classmethod
    def observation_overdue(
        cls, max_minutes: float, t_s: float, actor: Actor = Actor.SYSTEM
    ) -> AlarmAction:
        """The patient has been in observation for the protocol's ``max_minutes``: raise
        the OBSERVATION_OVERDUE reminder (the runtime decides when, as it does phases)."""
        return cls(ActionKind.OBSERVATION_OVERDUE, t_s, Actor(actor), value=float(max_minutes))

    @classmethod
    def end_observation(cls, t_s: float, actor: Actor = Actor.SYSTEM) -> AlarmAction:
        """Observation is over (discharge, or the session ended): clear the reminder."""
        return cls(ActionKind.END_OBSERVATION, t_s, Actor(actor))


def _channel(value: Channel | str) -> str:
    ch = channel_of(str(value)) if isinstance(value, str) else None
    if ch is None:
        raise AlarmActionError("unknown_channel", f"unknown channel {value!r}")
    return ch


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One line of the alarm log: a transition of a condition, or an action.

    ``priority`` is the priority in force (after critical limits and escalation),
    ``base_priority`` the one the profile gives; ``limit`` is the limit in force at the
    time; ``detail`` carries before/after settings, durations and reasons.
    """

    t_s: float
    condition: str
    event: str
    priority: Priority | None = None
    base_priority: Priority | None = None
    value: float | None = None
    limit: float | None = None
    actor: str = ""
    bed: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
