"""The fixed tables of a scenario: ``[scenario]``, ``[patient]``, ``[protocol]``, ``[nibp]``.

Each is one closed model whose keys carry their unit; the protocol knows the session's
:class:`~vitalsim.scenario.Timeline`, against which every ``at`` is resolved.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vitalsim.dosing import DEVICE_INTERVAL_MIN, DEVICE_MG, Dosing

from ._time import MAX_SESSION_S, Timeline
from ._validation import Text, _error, _Model, _raise

MAX_NASAL_MG = 4 * DEVICE_MG
"""At most four devices (112 mg, the largest dose studied; the label's largest is 84 mg)."""


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
    height_cm: float | None = Field(default=None, ge=120, le=230)
    etco2_mmhg: float | None = Field(default=None, ge=30, le=50)
    ventilatory_sensitivity: float | None = Field(default=None, gt=0, le=5)
    screening: Screening = Field(default_factory=Screening)

    @field_validator("dbp_mmhg")
    @classmethod
    def _dbp_below_sbp(cls, dbp: float | None, info: ValidationInfo) -> float | None:
        sbp = info.data.get("sbp_mmhg")
        if dbp is not None and sbp is not None and dbp >= sbp:
            raise PydanticCustomError("dbp_not_below_sbp", f"must be below sbp_mmhg = {sbp:g}")
        return dbp


class Protocol(_Model):
    """The ``[protocol]`` table: the drug, its route and the dose.

    IV (``route = "iv"``, the default): exactly one of two dosing forms, per dosing kg
    (``dose_weight``). Intranasal esketamine: ``nasal_dose_mg`` in 28 mg devices,
    ``device_interval_min`` apart; the "infusion" phase runs from the first device to the
    last, and observation starts with the last.
    """

    drug: Literal["ketamine", "esketamine"] = "ketamine"
    route: Literal["iv", "intranasal"] = "iv"
    pk_model: Literal["kamp", "domino", "esketamine"] | None = None
    baseline_min: float = Field(default=10.0, gt=0)
    dose_weight: Literal["actual", "ideal", "adjusted"] = "actual"
    dose_mg_per_kg: float | None = Field(default=None, gt=0, le=5)
    over_min: float | None = Field(default=None, ge=1, le=600)
    rate_mg_per_kg_h: float | None = Field(default=None, gt=0, le=3)
    for_min: float | None = Field(default=None, ge=1, le=600)
    nasal_dose_mg: float | None = Field(default=None, gt=0, le=MAX_NASAL_MG)
    device_interval_min: float = Field(default=DEVICE_INTERVAL_MIN, ge=1, le=15)
    observation_min: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _drug_and_route(self) -> Self:
        if self.pk_model is None:
            self.pk_model = "esketamine" if self.drug == "esketamine" else "kamp"
        errors = []
        if (self.pk_model == "esketamine") != (self.drug == "esketamine"):
            fits = "esketamine" if self.drug == "esketamine" else "kamp or domino"
            errors.append(_error(("pk_model",), f"{self.pk_model!r} does not model "
                                 f"{self.drug}: use {fits} (or leave it out)", {}))  # fmt: skip
        if self.route == "intranasal" and self.drug != "esketamine":
            errors.append(_error(("route",), "only esketamine is modelled as a nasal spray "
                                 '(set drug = "esketamine")', {}))  # fmt: skip
        _raise(errors)
        return self

    @model_validator(mode="after")
    def _one_dosing_form(self) -> Self:
        per_kg = [k for k in ("dose_mg_per_kg", "over_min", "rate_mg_per_kg_h", "for_min")
                  if getattr(self, k) is not None]  # fmt: skip
        if self.route == "intranasal":
            self._nasal_dose(per_kg)
        else:
            if self.nasal_dose_mg is not None:
                _raise([_error(("nasal_dose_mg",), 'only for route = "intranasal"; an '
                               "infusion is dosed per kg", {})])  # fmt: skip
            self._infusion_dose()
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

    def _nasal_dose(self, per_kg: list[str]) -> None:
        errors = [_error((k,), "a nasal spray is dosed in mg (nasal_dose_mg), not per kg", {})
                  for k in per_kg]  # fmt: skip
        if "dose_weight" in self.model_fields_set:
            errors.append(_error(("dose_weight",), "a nasal spray is dosed in mg, whatever "
                                 "the weight: leave dose_weight out", {}))  # fmt: skip
        if self.nasal_dose_mg is None:
            errors.append(_error(("nasal_dose_mg",), f"required for a nasal spray: "
                                 f"{DEVICE_MG:g} mg a device (56 or 84 mg are the usual doses)",
                                 {}))  # fmt: skip
        elif not math.isclose(devices := self.nasal_dose_mg / DEVICE_MG, round(devices)):
            errors.append(_error(("nasal_dose_mg",), f"must be whole devices of {DEVICE_MG:g} "
                                 "mg (28, 56, 84 or 112)", self.nasal_dose_mg))  # fmt: skip
        _raise(errors)

    def _infusion_dose(self) -> None:
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

    @property
    def dosing(self) -> Dosing:
        """How the drug is given (vitalsim.dosing): what starting it means."""
        if self.route == "intranasal":
            return Dosing(drug=self.drug, route="intranasal",
                          dose_mg=float(self.nasal_dose_mg or 0.0),
                          device_interval_min=self.device_interval_min)  # fmt: skip
        return Dosing(drug=self.drug, route="iv", dose_weight=self.dose_weight,
                      rate_mg_per_kg_h=self.infusion_rate_mg_per_kg_h,
                      dose_mg_per_kg=self.total_dose_mg_per_kg)  # fmt: skip

    @property
    def infusion_min(self) -> float:
        """The planned length of the "infusion" phase: the infusion, or from the first
        nasal device to the last."""
        if self.route == "intranasal":
            devices = round((self.nasal_dose_mg or 0.0) / DEVICE_MG)
            return max(devices - 1, 0) * self.device_interval_min
        return float(self.over_min if self.over_min is not None else self.for_min or 0.0)

    @property
    def infusion_rate_mg_per_kg_h(self) -> float:
        """The scripted infusion rate in mg/kg/h, whichever form the file used (0 for a
        nasal spray)."""
        if self.rate_mg_per_kg_h is not None:
            return self.rate_mg_per_kg_h
        if self.dose_mg_per_kg is None:
            return 0.0
        return self.dose_mg_per_kg / (self.infusion_min / 60.0)

    @property
    def total_dose_mg_per_kg(self) -> float:
        return (
            self.infusion_rate_mg_per_kg_h * self.infusion_min / 60.0 if self.route == "iv" else 0.0
        )

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
