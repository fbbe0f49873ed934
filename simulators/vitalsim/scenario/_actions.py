"""The action kinds an ``[[actions]]`` table may script, and the drugs the model knows.

:data:`DRUGS` is the one list of drugs: scenario files, the live engine and the monitor's
API all check a ``drug`` against it (:func:`known_drug`, :func:`drug_check`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, Field, PlainValidator

from ._scheduled import _dispatcher, _Scheduled
from ._validation import Text


class _ActionBase(_Scheduled):
    kind: str
    actor: Literal["trainee", "instructor", "system"] = "trainee"

    @property
    def params(self) -> dict[str, Any]:
        """The kind's own keys (e.g. ``{"rate_mg_per_kg_h": 0.3}``), without at/kind/actor."""
        return self.model_dump(exclude={"at", "kind", "actor"})


class PausePump(_ActionBase):
    kind: Literal["pause_pump"]


class ResumePump(_ActionBase):
    kind: Literal["resume_pump"]


class SetRate(_ActionBase):
    kind: Literal["set_rate"]
    rate_mg_per_kg_h: float = Field(ge=0, le=3)


class StopInfusion(_ActionBase):
    kind: Literal["stop_infusion"]


DRUGS: dict[str, tuple[str, ...]] = {
    "give_antihypertensive": ("labetalol",),
    "give_antiemetic": ("ondansetron",),
}
"""The drugs the model has an effect for, per action (the first is the default). The one
list: scenario files, the live engine and the monitor's API all check against it."""


def known_drug(kind: str, drug: str) -> str:
    """``drug`` if the model has an effect for it with action ``kind``; else ValueError."""
    if drug not in DRUGS[kind]:
        raise ValueError(f"not a drug the simulator models for {kind}; "
                         f"known: {', '.join(DRUGS[kind])}")  # fmt: skip
    return drug


def drug_check(kind: str) -> AfterValidator:
    """The check of a ``drug`` field for action ``kind``, to put in its ``Annotated`` type."""
    return AfterValidator(lambda drug: known_drug(kind, drug))


class GiveAntihypertensive(_ActionBase):
    kind: Literal["give_antihypertensive"]
    drug: Annotated[Text, drug_check("give_antihypertensive")] = DRUGS["give_antihypertensive"][0]
    dose_mg: float = Field(ge=1, le=100)


class GiveAntiemetic(_ActionBase):
    kind: Literal["give_antiemetic"]
    drug: Annotated[Text, drug_check("give_antiemetic")] = DRUGS["give_antiemetic"][0]
    dose_mg: float = Field(gt=0, le=100)


class OxygenOn(_ActionBase):
    kind: Literal["oxygen_on"]
    flow_l_min: float = Field(default=2.0, ge=1, le=15)


class OxygenOff(_ActionBase):
    kind: Literal["oxygen_off"]


class Reposition(_ActionBase):
    kind: Literal["reposition"]


class Reassure(_ActionBase):
    kind: Literal["reassure"]


class NibpStart(_ActionBase):
    kind: Literal["nibp_start"]


_ACTION_CLASSES: dict[str, type[_ActionBase]] = {
    "pause_pump": PausePump,
    "resume_pump": ResumePump,
    "set_rate": SetRate,
    "stop_infusion": StopInfusion,
    "give_antihypertensive": GiveAntihypertensive,
    "give_antiemetic": GiveAntiemetic,
    "oxygen_on": OxygenOn,
    "oxygen_off": OxygenOff,
    "reposition": Reposition,
    "reassure": Reassure,
    "nibp_start": NibpStart,
}
ACTION_KINDS: tuple[str, ...] = tuple(_ACTION_CLASSES)

Action: TypeAlias = Annotated[
    PausePump
    | ResumePump
    | SetRate
    | StopInfusion
    | GiveAntihypertensive
    | GiveAntiemetic
    | OxygenOn
    | OxygenOff
    | Reposition
    | Reassure
    | NibpStart,
    PlainValidator(_dispatcher(_ACTION_CLASSES, "action", "actions")),
]
