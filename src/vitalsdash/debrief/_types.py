"""The records the debrief reads, whatever the session's source (store or recording).

Private to :mod:`vitalsdash.debrief`, which re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vitalsdash.adapters.simulator import PATIENT_ACTIONS as PATIENT_ACTIONS

END_ACTIONS: tuple[str, ...] = ("end_session", "discharge")
"""Actions that end the session: the discharge decision."""


@dataclass(frozen=True, slots=True)
class Action:
    """Something a person (or the system) did: patient, alarm and session actions alike.

    ``outcome`` is ``ok`` or ``refused`` (not carried out, ``reason`` says why).
    ``user_id`` / ``user_name``: the person who acted, as logged in (None: no login).
    """

    t_s: float
    kind: str
    actor: str = "trainee"
    params: Mapping[str, Any] = field(default_factory=dict)
    outcome: str = "ok"
    reason: str | None = None
    user_id: int | None = None
    user_name: str | None = None

    @property
    def done(self) -> bool:
        return self.outcome == "ok"

    @property
    def by(self) -> str:
        """Who did it, as the debrief names them: "Ana Lima (trainee)", or the role."""
        return person(self.actor, self.user_name)


def person(actor: str, user_name: str | None) -> str:
    """A person as the debrief names them: "Ana Lima (trainee)" when logged in, else the
    role they acted as ("trainee")."""
    return f"{user_name} ({actor})" if user_name else actor


@dataclass(frozen=True, slots=True)
class Observation:
    """A score or a note charted by a person (sedation, alertness, ..., note)."""

    t_s: float
    kind: str
    value: float | None = None
    text: str | None = None
    actor: str = "trainee"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A phase change, a scripted or injected scenario event, or a device note."""

    t_s: float
    kind: str
    source: str = "system"
    detail: Mapping[str, Any] = field(default_factory=dict)


SAMPLE_COLUMNS = ("t_s", "channel", "value", "quality", "true_value")


@dataclass
class SessionData:
    """Everything the debrief reads about one session, whatever its source.

    Built by :func:`vitalsdash.debrief.session_from_store` (a live or finished session) or
    :func:`vitalsdash.debrief.session_from_recording` (a recording evaluated through the
    alarm engine). ``samples`` has the store's columns (``SAMPLE_COLUMNS``);
    ``alarm_events`` the store's alarm log rows (dicts); times are seconds from the start.
    """

    title: str
    source: str  # "store" | "recording"
    samples: Any  # pandas.DataFrame
    alarm_events: list[dict[str, Any]]
    actions: list[Action]
    observations: list[Observation]
    session_events: list[SessionEvent]
    end_t_s: float
    session_id: int | None = None
    path: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    expected: tuple[Any, ...] = ()  # vitalsim ExpectedResponse entries
    protocol: Any = None  # protocol.ProtocolConfig, or None when unknown
    conditions: dict[str, Any] = field(default_factory=dict)  # profile rules: ConditionInfo
    pump_follows_actions: bool = True
    """The pump rate samples show what the pump actions did (a live session, a recording's
    own scripted actions); False when pump actions were laid over a recording afterwards
    (an actions file), so their effect cannot be judged from what the pump delivered."""
    labels: dict[str, str] = field(default_factory=dict)  # condition -> the nurse's words
    course: Any = None
    """The patient's course (``debrief.Course``) when the session is one of its sessions."""
    waves: Any = None
    """Where the session's waveforms are read (``debrief.StoreWaves``: ``spans()`` and
    ``strip(wave, from_s, to_s)``), or None when its source records none (a recording).
    Read when a strip is drawn: a store's must still be open then."""
