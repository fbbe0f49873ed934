"""What every source of vital signs offers the runtime, whatever feeds it.

The simulator, a replayed recording and an HL7 device all produce readings for a bed's
session up to a session time; only some of them can answer patient actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vitalsdash.errors import VitalsdashError


class SourceActionError(VitalsdashError, ValueError):
    """The source cannot take this action now (or ever); nothing was changed."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A measured value, its quality, and the truth when the source knows it."""

    t_s: float
    channel: str
    value: float
    quality: str
    true_value: float | None = None


@dataclass(frozen=True)
class PumpStatus:
    """An infusion pump as it reports itself. ``rate_mg_per_kg_h`` is the rate set on it
    (a paused pump keeps it); ``delivering_mg_per_kg_h`` what it gives now (0 while paused,
    stopped or finished). ``stopped``: ended by the nurse, not by giving the whole dose."""

    rate_mg_per_kg_h: float
    running: bool
    dose_given_mg_per_kg: float
    started_s: float | None
    ended_s: float | None
    delivering_mg_per_kg_h: float = 0.0
    paused_since_s: float | None = None
    stopped: bool = False
    route: str = "iv"
    """"iv" (a syringe pump) or "intranasal" (nasal spray devices given at set times)."""
    devices: int = 0
    devices_given: int = 0
    device_mg: float = 0.0
    next_device_s: float | None = None

    @property
    def state(self) -> str:
        """not_started, running, paused, stopped or finished (the pump's display)."""
        if self.started_s is None:
            return "not_started"
        if self.ended_s is not None:
            return "stopped" if self.stopped else "finished"
        return "running" if self.running else "paused"


@dataclass(frozen=True)
class DoseOrder:
    """The dose prescribed for this session, as the source gives it: which drug, by
    which route, and how much, with the weight a mg/kg dose is per.

    IV: ``dose_mg_per_kg`` over ``over_min`` at ``rate_mg_per_kg_h``, per kg of
    ``dosing_weight_kg`` (the patient's ``dose_weight``: actual, ideal or adjusted body
    weight; ``weight_kg`` is the actual weight); ``total_mg`` the whole dose.
    Intranasal: ``devices`` of ``device_mg``, ``device_interval_min`` apart."""

    drug: str
    route: str
    total_mg: float
    dose_weight: str = "actual"
    weight_kg: float | None = None
    dosing_weight_kg: float | None = None
    dose_mg_per_kg: float | None = None
    rate_mg_per_kg_h: float | None = None
    over_min: float | None = None
    devices: int = 0
    device_mg: float = 0.0
    device_interval_min: float = 0.0
    form: str = "dose"
    """How the prescription is written: "dose" (mg/kg over a time) or "rate" (mg/kg/h)."""


@dataclass(frozen=True)
class Note:
    """Something the source reports besides readings: a phase, a cuff start, an action."""

    t_s: float
    kind: str
    source: str
    detail: dict[str, Any]


class Source(Protocol):
    kind: str

    def advance(self, t1_s: int) -> list[Reading]:
        """Readings with ``t_s`` from the previous call's ``t1_s`` up to (excluding) this one."""
        ...

    def notes(self) -> list[Note]:
        """Notes produced since the last call, in time order."""
        ...

    def apply(self, kind: str, actor: str, params: dict[str, Any]) -> None:
        """A patient or pump action at the current time; raises SourceActionError."""
        ...

    def inject(self, kind: str, params: dict[str, Any]) -> None:
        """An instructor's live event; raises SourceActionError."""
        ...

    def pump(self) -> PumpStatus | None: ...

    def truth(self) -> dict[str, float] | None:
        """What the instructor may see (never the trainee): the patient's hidden state."""
        ...
