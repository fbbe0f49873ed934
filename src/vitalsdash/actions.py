"""Everything a trainee or instructor can do to a bed, validated before anything changes.

A rejected action raises ``ActionError`` with an HTTP status (404 unknown bed, 400 bad
parameters, 409 not possible now) and a message a person can act on.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vitalsim._tomlconfig import problems_from

Actor = Literal["trainee", "instructor", "system"]


class ActionError(Exception):
    status = 400

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoParams(_P):
    pass


class SetRate(_P):
    rate_mg_per_kg_h: float = Field(gt=0, le=3)


class Drug(_P):
    drug: str = "labetalol"
    dose_mg: float = Field(gt=0, le=100)


class Antiemetic(_P):
    drug: str = "ondansetron"
    dose_mg: float = Field(gt=0, le=100)


class Oxygen(_P):
    flow_l_min: float = Field(default=2.0, ge=1, le=15)


class Condition(_P):
    condition: str


class OptionalCondition(_P):
    condition: str | None = None


class SetLimit(_P):
    channel: str
    which: Literal["low", "high", "critical_low", "critical_high"]
    value: float


class ChannelOnly(_P):
    channel: str


class Chart(_P):
    kind: Literal["sedation", "dissociation", "nausea", "pain", "alertness", "note"]
    value: float | None = Field(default=None, ge=0, le=10)
    text: str | None = Field(default=None, max_length=2000)


class StartSession(_P):
    scenario: str | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)  # a SQLite INTEGER
    protocol: str | None = None
    alarm_profile: str | None = None


class InjectEvent(_P):
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _no_second_kind(cls, v: dict[str, Any]) -> dict[str, Any]:
        if "kind" in v:
            raise ValueError('the event\'s kind goes in "kind", not in its params')
        return v


class SetSpeed(_P):
    speed: float = Field(ge=1, le=120)


PATIENT_ACTIONS: dict[str, type[_P]] = {
    "pause_pump": NoParams, "resume_pump": NoParams, "set_rate": SetRate,
    "stop_infusion": NoParams, "give_antihypertensive": Drug, "give_antiemetic": Antiemetic,
    "oxygen_on": Oxygen, "oxygen_off": NoParams, "reposition": NoParams, "reassure": NoParams,
    "nibp_start": NoParams,
}  # fmt: skip
ALARM_ACTIONS: dict[str, type[_P]] = {
    "acknowledge": Condition, "pause_audio": NoParams, "resume_audio": NoParams,
    "reset": OptionalCondition, "set_limit": SetLimit, "alarm_off": ChannelOnly,
    "alarm_on": ChannelOnly, "auto_limits": NoParams,
}  # fmt: skip
SESSION_ACTIONS: dict[str, type[_P]] = {
    "chart": Chart, "start_session": StartSession, "end_session": NoParams,
    "resume_session": NoParams, "close_session": NoParams, "inject_event": InjectEvent,
}  # fmt: skip
CLINIC_ACTIONS: dict[str, type[_P]] = {
    "set_speed": SetSpeed, "pause_simulation": NoParams, "resume_simulation": NoParams,
}  # fmt: skip
ALL_ACTIONS = {**PATIENT_ACTIONS, **ALARM_ACTIONS, **SESSION_ACTIONS}
INSTRUCTOR_ONLY = frozenset({"inject_event", "start_session", "set_speed", "pause_simulation",
                             "resume_simulation"})  # fmt: skip


def validate(kind: str, params: Any, actor: str, table: dict[str, type[_P]] = ALL_ACTIONS
             ) -> dict[str, Any]:  # fmt: skip
    """Check an action's kind, actor and parameters; return the cleaned parameters."""
    if not isinstance(kind, str) or kind not in table:
        raise ActionError("unknown_action", f"unknown action {kind!r}; known: "
                             f"{', '.join(sorted(table))}")  # fmt: skip
    if actor not in ("trainee", "instructor", "system"):
        raise ActionError("bad_actor", f"actor must be trainee, instructor or system, "
                             f"got {actor!r}")  # fmt: skip
    if kind in INSTRUCTOR_ONLY and actor == "trainee":
        raise ActionError("forbidden", f"{kind} is for the instructor", status=403)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ActionError("bad_params", "params must be a JSON object")
    try:
        return table[kind].model_validate(params).model_dump(exclude_none=False)
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {why}" for k, why in problems_from(exc))
        raise ActionError("bad_params", f"{kind}: {detail}") from None
