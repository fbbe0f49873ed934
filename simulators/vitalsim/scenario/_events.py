"""The event kinds an ``[[events]]`` table (or the instructor, live) may name.

Each kind is one model whose magnitudes carry what a form needs to ask a nurse for them,
so that wording lives with the ranges and cannot drift from them:

- the kind's ``title`` in its ``model_config`` ("Vasovagal episode"), also gathered in
  :data:`EVENT_TITLES`;
- each field's ``title`` ("SBP rise", "SpO₂ drop", "Onset");
- ``json_schema_extra={"suggested": N}`` on a required magnitude with no default: the
  value a form starts with;
- ``json_schema_extra={"derived": "0.6 × SBP rise"}`` on an optional magnitude whose
  empty value means a default computed from another.

Read them with ``Model.model_fields[key].title`` and ``.json_schema_extra``, or in the
model's JSON schema.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal, Self, TypeAlias

from pydantic import ConfigDict, Field, PlainValidator, ValidationError, model_validator

from vitalsim._tomlconfig import ConfigError, problems_from

from ._event_base import _EventBase, _RampedEvent, offset_field, onset_field
from ._scheduled import _dispatcher
from ._time import Timeline
from ._validation import Text


class HypertensiveSurge(_RampedEvent):
    """A scripted blood pressure surge on top of the drug response."""

    model_config = ConfigDict(title="Hypertensive surge")

    kind: Literal["hypertensive_surge"]
    sbp_rise_mmhg: float = Field(
        gt=0, le=120, title="SBP rise", json_schema_extra={"suggested": 40}
    )
    dbp_rise_mmhg: float | None = Field(
        default=None, ge=0, le=80, title="DBP rise", json_schema_extra={"derived": "0.6 × SBP rise"}
    )
    hr_rise_bpm: float = Field(default=0.0, ge=0, le=80, title="HR rise")

    @model_validator(mode="after")
    def _default_dbp(self) -> Self:
        if self.dbp_rise_mmhg is None:
            self.dbp_rise_mmhg = 0.6 * self.sbp_rise_mmhg
        return self

    def vital_deltas(self) -> dict[str, float]:
        return {
            "sbp_mmhg": self.sbp_rise_mmhg,
            "dbp_mmhg": float(self.dbp_rise_mmhg or 0.0),
            "hr_bpm": self.hr_rise_bpm,
        }


class Tachycardia(_RampedEvent):
    model_config = ConfigDict(title="Tachycardia")

    kind: Literal["tachycardia"]
    onset_min: float = onset_field(1.0)
    hr_rise_bpm: float = Field(gt=0, le=120, title="HR rise", json_schema_extra={"suggested": 30})

    def vital_deltas(self) -> dict[str, float]:
        return {"hr_bpm": self.hr_rise_bpm}


class Vasovagal(_RampedEvent):
    """A vasovagal episode: bradycardia and hypotension with a fast onset."""

    model_config = ConfigDict(title="Vasovagal episode")

    kind: Literal["vasovagal"]
    onset_min: float = onset_field(0.5)
    hr_drop_bpm: float = Field(gt=0, le=80, title="HR drop", json_schema_extra={"suggested": 25})
    sbp_drop_mmhg: float = Field(
        gt=0, le=100, title="SBP drop", json_schema_extra={"suggested": 40}
    )
    dbp_drop_mmhg: float | None = Field(
        default=None, ge=0, le=70, title="DBP drop", json_schema_extra={"derived": "0.6 × SBP drop"}
    )

    @model_validator(mode="after")
    def _default_dbp(self) -> Self:
        if self.dbp_drop_mmhg is None:
            self.dbp_drop_mmhg = 0.6 * self.sbp_drop_mmhg
        return self

    def vital_deltas(self) -> dict[str, float]:
        return {
            "hr_bpm": -self.hr_drop_bpm,
            "sbp_mmhg": -self.sbp_drop_mmhg,
            "dbp_mmhg": -float(self.dbp_drop_mmhg or 0.0),
        }


class Desaturation(_RampedEvent):
    """Falling SpO2 (and optionally breathing rate), e.g. from a co-sedative."""

    model_config = ConfigDict(title="Desaturation")

    kind: Literal["desaturation"]
    spo2_drop_pct: float = Field(
        gt=0, le=40, title="SpO₂ drop", json_schema_extra={"suggested": 10}
    )
    rr_drop_per_min: float = Field(default=0.0, ge=0, le=20, title="RR drop")
    cause: Text = Field(default="co-sedative", title="Cause")

    def vital_deltas(self) -> dict[str, float]:
        return {"spo2_pct": -self.spo2_drop_pct, "rr_per_min": -self.rr_drop_per_min}


class EmergenceAnxiety(_RampedEvent):
    """Anxiety during emergence/dissociation; the engine maps it to HR and BP."""

    model_config = ConfigDict(title="Emergence anxiety")

    kind: Literal["emergence_anxiety"]
    anxiety: float = Field(ge=0, le=1, title="Anxiety", json_schema_extra={"suggested": 0.6})


class Nausea(_RampedEvent):
    model_config = ConfigDict(title="Nausea")

    kind: Literal["nausea"]
    severity: float = Field(ge=0, le=10, title="Severity", json_schema_extra={"suggested": 6})


class MotionArtefacts(_RampedEvent):
    """An artefact storm: ``episodes_per_min`` motion episodes at full level."""

    model_config = ConfigDict(title="Motion artefacts")

    kind: Literal["motion_artefacts"]
    onset_min: float = onset_field(0.0)
    offset_min: float = offset_field(0.0)
    episodes_per_min: float = Field(
        gt=0, le=30, title="Episodes", json_schema_extra={"suggested": 4}
    )


class ProbeOff(_EventBase):
    """The SpO2 probe is off for ``duration_min``."""

    model_config = ConfigDict(title="SpO₂ probe off")

    kind: Literal["probe_off"]


class CuffFailure(_EventBase):
    """Every NIBP measurement that falls in the window fails."""

    model_config = ConfigDict(title="NIBP cuff failure")

    kind: Literal["cuff_failure"]


_EVENT_CLASSES: dict[str, type[_EventBase]] = {
    "hypertensive_surge": HypertensiveSurge,
    "tachycardia": Tachycardia,
    "vasovagal": Vasovagal,
    "desaturation": Desaturation,
    "emergence_anxiety": EmergenceAnxiety,
    "nausea": Nausea,
    "motion_artefacts": MotionArtefacts,
    "probe_off": ProbeOff,
    "cuff_failure": CuffFailure,
}
EVENT_KINDS: tuple[str, ...] = tuple(_EVENT_CLASSES)


def _title(cls: type[_EventBase]) -> str:
    title = cls.model_config.get("title")
    if not title:
        raise TypeError(f"{cls.__name__} needs a title in its model_config")
    return title


EVENT_TITLES: dict[str, str] = {kind: _title(cls) for kind, cls in _EVENT_CLASSES.items()}
"""Each event kind's name as a nurse reads it ("Vasovagal episode"), from its model."""

Event: TypeAlias = Annotated[
    HypertensiveSurge
    | Tachycardia
    | Vasovagal
    | Desaturation
    | EmergenceAnxiety
    | Nausea
    | MotionArtefacts
    | ProbeOff
    | CuffFailure,
    PlainValidator(_dispatcher(_EVENT_CLASSES, "event", "events")),
]


def check_event(kind: str, params: dict[str, Any]) -> None:
    """Validate a live event's kind and magnitudes (no time needed) as a file's would be,
    with strict types (a number must be a number, not ``true`` or ``"5"``); raise
    ConfigError with keys named as in a scenario file."""
    cls = _EVENT_CLASSES.get(kind)
    if cls is None:
        known = ", ".join(EVENT_KINDS)
        raise ConfigError("(live event)", [("kind", f"unknown event kind; known: {known}")])
    try:
        cls.model_validate({**params, "at": "start", "kind": kind}, strict=True)
    except ValidationError as exc:
        raise ConfigError("(live event)", problems_from(exc)) from None


def make_event(kind: str, at_s: float, timeline: Timeline, **params: Any) -> Any:
    """An event injected live (from the instructor console), validated like one in a file.

    A live session may run past the scenario's planned end, so the event's own end (not
    the plan's) bounds it. Raises ConfigError with keys named as in a scenario file.
    """
    where = "(live event)"
    cls = _EVENT_CLASSES.get(kind)
    if cls is None:
        raise ConfigError(
            where, [("kind", f"unknown event kind {kind!r}; known: " + ", ".join(EVENT_KINDS))]
        )
    try:
        event = cls.model_validate({"at": f"start+{float(at_s)}s", "kind": kind, **params})
    except ValidationError as exc:
        raise ConfigError(where, problems_from(exc)) from None
    horizon = float(at_s) + event.duration_min * 60.0 + 3600.0
    event._resolve(replace(timeline, end_s=max(timeline.end_s, horizon)))
    return event
