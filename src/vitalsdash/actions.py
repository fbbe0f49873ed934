"""Everything a trainee or instructor can do to a bed, validated before anything changes.

A rejected action raises ``ActionError`` with an HTTP status (404 unknown bed, 400 bad
parameters, 403 not this actor's to do, 409 not possible now) and a message a person can
act on: which key, the value (cut short) and why. Who may do what is
``vitalsdash.access``'s table; the runtime's own actor, "system", may do everything.

Everything here comes from a request and is untrusted: numbers are JSON numbers (not
``true``, not NaN), text is one line and short (a chart note may have line breaks, up to
``MAX_NOTE_CHARS``), drugs and event kinds come from the simulator's own lists, and a
session's scenario, protocol and alarm profile are names from the catalogue, never paths.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from vitalsdash.access import refusal
from vitalsdash.adapters.simulator import DRUGS, EVENT_KINDS, check_event, drug_check
from vitalsdash.adapters.simulator import PATIENT_ACTIONS as _PATIENT_ACTION_KINDS
from vitalsdash.catalogue import StartConfigs, check_name, load_start_configs
from vitalsdash.course import DEFAULT_SESSIONS, MAX_COURSE_SESSIONS
from vitalsdash.errors import VitalsdashError
from vitalsdash.text import MAX_NAME_CHARS, MAX_NOTE_CHARS, NoteText, ShortText
from vitalsdash.tomlconfig import MISSING, ConfigError, problems_from, shown

Actor = Literal["trainee", "instructor", "observer", "system"]
ACTORS: tuple[str, ...] = ("trainee", "instructor", "observer", "system")
MAX_EVENT_PARAMS = 12
"""More keys than any event kind has."""

__all__ = [
    "ACTORS",
    "MAX_NAME_CHARS",
    "MAX_NOTE_CHARS",
    "ActionError",
    "check_actor",
    "load_session_files",
    "validate",
]


class ActionError(VitalsdashError):
    """A refused action. ``message`` answers the API (it may name keys); ``words`` is the
    same refusal as a person reads it in a toast (the message unless given)."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None,
                 details: dict[str, Any] | None = None, words: str | None = None):  # fmt: skip
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})  # more for the answer, e.g. a check's reasons
        self.words = words or message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        """The API's answer: ``error`` and ``message``, and the ``details`` merged in."""
        return {**self.details, "error": self.code, "message": self.message}


def _num(**limits: Any) -> Any:
    """A JSON number: an int or a float, finite; ``true`` and ``"5"`` are not numbers."""
    return Field(strict=True, allow_inf_nan=False, **limits)


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoParams(_P):
    pass


class SetRate(_P):
    rate_mg_per_kg_h: float = _num(gt=0, le=3, title="Rate (mg/kg/h)")


class Drug(_P):
    drug: Annotated[ShortText, drug_check("give_antihypertensive")] = DRUGS[
        "give_antihypertensive"
    ][0]
    dose_mg: float = _num(gt=0, le=100, title="Dose (mg)")


class Antiemetic(_P):
    drug: Annotated[ShortText, drug_check("give_antiemetic")] = DRUGS["give_antiemetic"][0]
    dose_mg: float = _num(gt=0, le=100, title="Dose (mg)")


class Oxygen(_P):
    flow_l_min: float = _num(default=2.0, ge=1, le=15, title="Oxygen flow (L/min)")


class Acknowledge(_P):
    """One alarm (``condition``), or every alarm of one parameter's banner row
    (``channel``, e.g. NIBP_SYS: its high, low and rule alarms in one action)."""

    condition: ShortText | None = None
    channel: ShortText | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Acknowledge:
        if (self.condition is None) == (self.channel is None):
            raise ValueError("give either condition or channel")
        return self


class OptionalCondition(_P):
    condition: ShortText | None = None


class SetLimit(_P):
    channel: ShortText
    which: Literal["low", "high", "critical_low", "critical_high"]
    value: float = _num(title="Limit")


class ChannelOnly(_P):
    channel: ShortText


class Chart(_P):
    kind: Literal["sedation", "dissociation", "nausea", "pain", "alertness", "note"] = Field(
        title="Observation"
    )
    value: float | None = _num(default=None, ge=0, le=10, title="Score")
    text: NoteText | None = None


class StartInfusion(_P):
    """``start_infusion``: an instructor may start despite a blocked pre-infusion check,
    giving the reason (checked like a chart note, and not empty)."""

    override_reason: NoteText | None = None

    @field_validator("override_reason")
    @classmethod
    def _a_reason(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("give the reason for starting despite the check; it cannot be empty")
        return None if v is None else v.strip()


class Discharge(_P):
    note: NoteText | None = None


class StartSession(_P):
    """``patient``: a session of that patient's course (its scenario and seed), by
    default the next one; ``session_number`` another one not yet given."""

    scenario: str | None = Field(default=None, strict=True)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, strict=True)  # a SQLite INTEGER
    protocol: str | None = Field(default=None, strict=True)
    alarm_profile: str | None = Field(default=None, strict=True)
    patient: int | None = Field(default=None, ge=1, le=2**63 - 1, strict=True, title="Patient")
    session_number: int | None = Field(default=None, ge=1, le=MAX_COURSE_SESSIONS, strict=True,
                                       title="Session number")  # fmt: skip

    @field_validator("scenario", "protocol", "alarm_profile")
    @classmethod
    def _catalogue_name(cls, v: str | None, info: Any) -> str | None:
        return None if v is None else check_name(info.field_name, v)

    @model_validator(mode="after")
    def _number_of_a_patient(self) -> StartSession:
        if self.session_number is not None and self.patient is None:
            raise ValueError("a session_number is a session of a patient's course: give the "
                             "patient too")  # fmt: skip
        return self


class CreatePatient(_P):
    """A named virtual patient for a course: the scenario's patient drawn with ``seed``
    (a new seed when none is given), for ``sessions`` sessions."""

    name: ShortText = Field(title="Name")
    scenario: str = Field(strict=True, title="Scenario")
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1, strict=True, title="Seed")
    sessions: int = Field(default=DEFAULT_SESSIONS, ge=1, le=MAX_COURSE_SESSIONS, strict=True,
                          title="Sessions planned")  # fmt: skip

    @field_validator("name")
    @classmethod
    def _a_name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("give the patient's name; it cannot be empty")
        return " ".join(v.split())

    @field_validator("scenario")
    @classmethod
    def _scenario_name(cls, v: str) -> str:
        return check_name("scenario", v)


class InjectEvent(_P):
    kind: ShortText
    params: dict[ShortText, Any] = Field(default_factory=dict, max_length=MAX_EVENT_PARAMS)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in EVENT_KINDS:
            raise ValueError(f"unknown event kind; known: {', '.join(EVENT_KINDS)}")
        return v

    @field_validator("params")
    @classmethod
    def _no_second_kind(cls, v: dict[str, Any]) -> dict[str, Any]:
        if "kind" in v:
            raise ValueError('the event\'s kind goes in "kind", not in its params')
        if "at" in v:
            raise ValueError('an injected event starts now: "at" is not taken')
        return v

    @model_validator(mode="after")
    def _magnitudes(self) -> InjectEvent:
        """The simulator's own rules for the kind (keys, ranges), with strict numbers."""
        try:
            check_event(self.kind, self.params)
        except ConfigError as exc:
            raise ValueError("; ".join(f"params.{k}: {why}" for k, why in exc.problems)) from None
        return self


class SetSpeed(_P):
    speed: float = Field(ge=1, le=120, title="Speed")


_PATIENT_PARAMS: dict[str, type[_P]] = {
    "pause_pump": NoParams, "resume_pump": NoParams, "set_rate": SetRate,
    "stop_infusion": NoParams, "give_antihypertensive": Drug, "give_antiemetic": Antiemetic,
    "oxygen_on": Oxygen, "oxygen_off": NoParams, "reposition": NoParams, "reassure": NoParams,
    "nibp_start": NoParams,
}  # fmt: skip
PATIENT_ACTIONS: dict[str, type[_P]] = {k: _PATIENT_PARAMS[k] for k in _PATIENT_ACTION_KINDS}
"""The simulator's patient actions (one list, adapters.simulator) with their parameters."""
ALARM_ACTIONS: dict[str, type[_P]] = {
    "acknowledge": Acknowledge, "pause_audio": NoParams, "resume_audio": NoParams,
    "reset": OptionalCondition, "set_limit": SetLimit, "alarm_off": ChannelOnly,
    "alarm_on": ChannelOnly, "auto_limits": NoParams, "acknowledge_all": NoParams,
}  # fmt: skip
SESSION_ACTIONS: dict[str, type[_P]] = {
    "chart": Chart, "start_session": StartSession, "end_session": NoParams,
    "resume_session": NoParams, "close_session": NoParams, "inject_event": InjectEvent,
    "start_infusion": StartInfusion,
    "discharge": Discharge, "create_patient": CreatePatient,
}  # fmt: skip
CLINIC_ACTIONS: dict[str, type[_P]] = {
    "set_speed": SetSpeed, "pause_simulation": NoParams, "resume_simulation": NoParams,
}  # fmt: skip
ALL_ACTIONS = {**PATIENT_ACTIONS, **ALARM_ACTIONS, **SESSION_ACTIONS}


def check_actor(kind: str, actor: str) -> None:
    """Refuse (403, in the nurse's words) an ``actor`` whose role may not do ``kind``;
    "system" (the runtime itself) may do everything."""
    if not isinstance(actor, str) or actor not in ACTORS:
        raise ActionError("bad_actor", f"actor must be {', '.join(ACTORS[:-1])} or "
                             f"{ACTORS[-1]}, got {shown(actor)}")  # fmt: skip
    if actor == "system":
        return
    why = refusal(actor, kind)
    if why is not None:
        raise ActionError("forbidden", why, status=403, words=why)


def validate(kind: str, params: Any, actor: str, table: dict[str, type[_P]] = ALL_ACTIONS
             ) -> dict[str, Any]:  # fmt: skip
    """Check an action's kind, actor and parameters; return the cleaned parameters."""
    if not isinstance(kind, str) or kind not in table:
        raise ActionError("unknown_action", f"unknown action {shown(kind)}; known: "
                             f"{', '.join(sorted(table))}")  # fmt: skip
    check_actor(kind, actor)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ActionError("bad_params", "params must be a JSON object")
    model = table[kind]
    try:
        return model.model_validate(params).model_dump(exclude_none=False)
    except ValidationError as exc:
        problems = problems_from(exc)
        detail = "; ".join(why if k == "(top level)" else f"{k}: {why}"
                           for k, why in problems)  # fmt: skip
        raise ActionError("bad_params", f"{kind}: {detail}",
                          words=_in_words(model, problems)) from None  # fmt: skip


def _in_words(model: type[_P], problems: list[tuple[str, str]]) -> str:
    """The problems as a toast says them: a field by its title ("Rate (mg/kg/h) must be at
    most 3 (got 5)"), one without a title by its key."""
    out = []
    for key, why in problems:
        field = model.model_fields.get(key)
        title = field.title if field is not None else None
        if why == MISSING:
            why = "is missing"
        out.append(why if key == "(top level)" else f"{title} {why}" if title else f"{key}: {why}")
    text = "; ".join(out)
    return text[:1].upper() + text[1:]


def load_session_files(cfg: Any, params: dict[str, Any], max_audio_pause_s: float) -> StartConfigs:
    """start_session's files (scenario, protocol, alarm profile) for bed config ``cfg``,
    read and validated (``params`` already validated); a broken file is a 400 naming it."""
    try:
        return load_start_configs(cfg, params, max_audio_pause_s)
    except ConfigError as exc:
        raise ActionError("bad_params", f"start_session: {exc}") from None
