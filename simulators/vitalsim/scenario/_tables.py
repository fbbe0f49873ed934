"""The fixed tables of a scenario: ``[scenario]``, ``[patient]``, ``[protocol]``, ``[nibp]``.

Each is one closed model whose keys carry their unit; the protocol knows the session's
:class:`~vitalsim.scenario.Timeline`, against which every ``at`` is resolved.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ._time import MAX_SESSION_S, Timeline
from ._validation import Text, _error, _Model, _raise


class ScenarioInfo(_Model):
    """The ``[scenario]`` table."""

    name: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    seed: int | None = Field(default=None, ge=0)


Answer = Literal["yes", "no"]
"""A screening answer as the clinic records it."""

SCREENING_QUESTIONS: tuple[str, ...] = (
    "uncontrolled_hypertension", "heart_disease", "psychosis", "pregnancy",
    "substance_misuse", "severe_liver_disease",
)  # fmt: skip
"""The contraindication questions a clinic asks before each session, in the order asked."""


class Screening(_Model):
    """The ``[patient.screening]`` table: the patient's answers to the contraindication
    questions asked before each session ("yes" or "no"; every key optional).

    Every answer defaults to "no", except ``uncontrolled_hypertension``: left out, it is
    "no" unless the patient has untreated hypertension (``[patient] hypertension =
    "untreated"``, or an untreated hypertension drawn with the seed), which answers it
    "untreated" (see :meth:`answers`): a monitor then asks for care, and lets today's
    blood pressure decide whether the infusion may start. Written out, the answer wins.
    """

    uncontrolled_hypertension: Answer | None = None
    heart_disease: Answer = "no"
    psychosis: Answer = "no"
    pregnancy: Answer = "no"
    substance_misuse: Answer = "no"
    severe_liver_disease: Answer = "no"

    def answers(self, hypertension: str | None = None) -> dict[str, str]:
        """Question -> "yes" | "no" | "untreated" (the first question only, see above),
        for a patient whose hypertension status is ``hypertension``."""
        out = {q: getattr(self, q) for q in SCREENING_QUESTIONS}
        if out["uncontrolled_hypertension"] is None:
            out["uncontrolled_hypertension"] = "untreated" if hypertension == "untreated" else "no"
        return out


class PatientSpec(_Model):
    """The ``[patient]`` table: what is fixed about the patient; None means "sample it".
    ``[patient.screening]`` holds the answers to the pre-session questions."""

    age_years: float | None = Field(default=None, ge=18, le=100)
    sex: Literal["female", "male"] | None = None
    weight_kg: float | None = Field(default=None, ge=35, le=250)
    hypertension: Literal["none", "treated", "untreated"] | None = None
    anxiety: float | None = Field(default=None, ge=0, le=1)
    hr_bpm: float | None = Field(default=None, ge=35, le=150)
    sbp_mmhg: float | None = Field(default=None, ge=80, le=220)
    dbp_mmhg: float | None = Field(default=None, ge=40, le=130)
    spo2_pct: float | None = Field(default=None, ge=85, le=100)
    rr_per_min: float | None = Field(default=None, ge=6, le=40)
    sbp_sensitivity: float | None = Field(default=None, ge=0, le=10)
    motion_artefacts_per_h: float | None = Field(default=None, ge=0, le=120)
    screening: Screening = Field(default_factory=Screening)

    @field_validator("dbp_mmhg")
    @classmethod
    def _dbp_below_sbp(cls, dbp: float | None, info: ValidationInfo) -> float | None:
        sbp = info.data.get("sbp_mmhg")
        if dbp is not None and sbp is not None and dbp >= sbp:
            raise PydanticCustomError("dbp_not_below_sbp", f"must be below sbp_mmhg = {sbp:g}")
        return dbp


class Protocol(_Model):
    """The ``[protocol]`` table: the scripted infusion, one of two dosing forms."""

    pk_model: Literal["kamp", "domino"] = "kamp"
    baseline_min: float = Field(default=10.0, gt=0)
    dose_mg_per_kg: float | None = Field(default=None, gt=0, le=5)
    over_min: float | None = Field(default=None, ge=1, le=600)
    rate_mg_per_kg_h: float | None = Field(default=None, gt=0, le=3)
    for_min: float | None = Field(default=None, ge=1, le=600)
    observation_min: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _one_dosing_form(self) -> Self:
        dose_keys = [k for k in ("dose_mg_per_kg", "over_min") if getattr(self, k) is not None]
        rate_keys = [k for k in ("rate_mg_per_kg_h", "for_min") if getattr(self, k) is not None]
        forms = (
            "give exactly one dosing form: dose_mg_per_kg with over_min, "
            "or rate_mg_per_kg_h with for_min"
        )
        if dose_keys and rate_keys:
            _raise(
                [_error((), f"{forms} (this table mixes {', '.join(dose_keys + rate_keys)})", {})]
            )
        if not dose_keys and not rate_keys:
            _raise([_error((), f"no dose given; {forms}", {})])
        pair = ("dose_mg_per_kg", "over_min") if dose_keys else ("rate_mg_per_kg_h", "for_min")
        for key, other in (pair, pair[::-1]):
            if getattr(self, key) is None:
                _raise([_error((key,), f"required with {other}", {})])
        total_s = self.baseline_min * 60 + self.infusion_min * 60 + self.observation_min * 60
        if total_s > MAX_SESSION_S:
            _raise(
                [
                    _error(
                        (),
                        f"the session would last {total_s / 3600:.4g} h (baseline "
                        f"{self.baseline_min:g} + infusion {self.infusion_min:g} + observation "
                        f"{self.observation_min:g} min); at most 12 h is allowed",
                        {},
                    )
                ]
            )
        return self

    @property
    def infusion_min(self) -> float:
        return float(self.over_min if self.over_min is not None else self.for_min or 0.0)

    @property
    def infusion_rate_mg_per_kg_h(self) -> float:
        """The scripted infusion rate in mg/kg/h, whichever form the file used."""
        if self.rate_mg_per_kg_h is not None:
            return self.rate_mg_per_kg_h
        return (self.dose_mg_per_kg or 0.0) / (self.infusion_min / 60.0)

    @property
    def total_dose_mg_per_kg(self) -> float:
        return self.infusion_rate_mg_per_kg_h * self.infusion_min / 60.0

    def timeline(self) -> Timeline:
        start = self.baseline_min * 60.0
        end_inf = start + self.infusion_min * 60.0
        return Timeline(start, end_inf, end_inf + self.observation_min * 60.0)


class NibpSettings(_Model):
    """The ``[nibp]`` table: automatic NIBP interval per phase, in minutes."""

    baseline_every_min: float = Field(default=5.0, ge=1, le=60)
    infusion_every_min: float = Field(default=10.0, ge=1, le=60)
    observation_every_min: float = Field(default=15.0, ge=1, le=60)

    @property
    def baseline_every_s(self) -> float:
        return self.baseline_every_min * 60.0

    @property
    def infusion_every_s(self) -> float:
        return self.infusion_every_min * 60.0

    @property
    def observation_every_s(self) -> float:
        return self.observation_every_min * 60.0

    def interval_s(self, phase: str) -> float:
        """Seconds between automatic measurements in ``phase`` (baseline, infusion, observation)."""
        minutes = {
            "baseline": self.baseline_every_min,
            "infusion": self.infusion_every_min,
            "observation": self.observation_every_min,
        }
        return minutes[phase] * 60.0
