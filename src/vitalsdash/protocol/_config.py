"""Protocol files (config/protocols/*.toml): the pydantic model, name resolution, loading.

Every table is closed (an unknown key is an error) and strict (no strings for numbers);
every problem comes back as a ConfigError naming file, key and reason. Tables other than
``[protocol]`` may be left out: they then take the defaults of clinical.md, "Monitoring
protocol defaults".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from vitalsdash.configdir import catalogue, config_dirs
from vitalsdash.model import Phase
from vitalsdash.tomlconfig import ConfigError, load_toml_model

PROTOCOLS_DIR = Path("config") / "protocols"

Sys = Annotated[float, Field(ge=60, le=300)]
Dia = Annotated[float, Field(ge=30, le=200)]
Every = Annotated[float, Field(ge=1, le=60)]


def _fail(key: str, why: str) -> NoReturn:
    """Raise one problem at ``key`` of the table being validated (pydantic nests it)."""
    err = InitErrorDetails(type=PydanticCustomError("protocol", why), loc=(key,), input={})
    raise ValidationError.from_exception_data("protocol", [err])


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


DEVICE_MG = 28.0
"""One esketamine nasal spray device (Spravato): 28 mg."""


class ProtocolInfo(_Table):
    """``[protocol]``: name, the drug and its route, and the dose.

    An IV infusion (the default) in exactly one of two dosing forms, per kg of the
    ``dose_weight`` (actual, ideal or adjusted body weight). Esketamine nasal spray
    (``drug = "esketamine"``, ``route = "intranasal"``): the doses in mg this protocol
    allows (``nasal_doses_mg``, whole 28 mg devices) and the rest between devices; the
    dose itself is the prescription's (the scenario's ``nasal_dose_mg``).
    """

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: str = ""
    drug: Literal["ketamine", "esketamine"] = "ketamine"
    route: Literal["iv", "intranasal"] = "iv"
    dose_weight: Literal["actual", "ideal", "adjusted"] = "actual"
    dose_mg_per_kg: float | None = Field(default=None, gt=0, le=5)
    over_min: float | None = Field(default=None, ge=1, le=600)
    rate_mg_per_kg_h: float | None = Field(default=None, gt=0, le=3)
    for_min: float | None = Field(default=None, ge=1, le=600)
    nasal_doses_mg: list[float] | None = Field(default=None, min_length=1, max_length=4)
    device_interval_min: float = Field(default=5.0, ge=1, le=15)

    @model_validator(mode="after")
    def _one_dosing_form(self) -> Self:
        if self.route == "intranasal" and self.drug != "esketamine":
            _fail("route", 'only esketamine is given as a nasal spray (drug = "esketamine")')
        if self.route == "intranasal":
            return self._nasal()
        if self.nasal_doses_mg is not None:
            _fail("nasal_doses_mg", 'only for route = "intranasal"; an infusion is dosed per kg')
        forms = "give dose_mg_per_kg with over_min, or rate_mg_per_kg_h with for_min"
        dose = [k for k in ("dose_mg_per_kg", "over_min") if getattr(self, k) is not None]
        rate = [k for k in ("rate_mg_per_kg_h", "for_min") if getattr(self, k) is not None]
        if dose and rate:
            _fail(rate[0], f"two dosing forms in one file ({', '.join(dose + rate)}); {forms}")
        if not dose and not rate:
            _fail("dose_mg_per_kg", f"no dose given; {forms}")
        pair = ("dose_mg_per_kg", "over_min") if dose else ("rate_mg_per_kg_h", "for_min")
        for key, other in (pair, pair[::-1]):
            if getattr(self, key) is None:
                _fail(key, f"required with {other}")
        return self

    def _nasal(self) -> Self:
        for key in ("dose_mg_per_kg", "over_min", "rate_mg_per_kg_h", "for_min"):
            if getattr(self, key) is not None:
                _fail(key, "a nasal spray is dosed in mg (nasal_doses_mg), not per kg")
        if "dose_weight" in self.model_fields_set:
            _fail("dose_weight", "a nasal spray is dosed in mg whatever the weight: leave it out")
        if not self.nasal_doses_mg:
            _fail("nasal_doses_mg", "required for a nasal spray: the doses allowed, in mg "
                  "(e.g. [56, 84])")  # fmt: skip
        for dose in self.nasal_doses_mg:
            devices = dose / DEVICE_MG
            if not (1 <= round(devices) <= 4 and math.isclose(devices, round(devices))):
                _fail("nasal_doses_mg", f"each dose must be 1 to 4 whole devices of "
                      f"{DEVICE_MG:g} mg (28, 56, 84 or 112), got {dose:g}")  # fmt: skip
        return self

    @property
    def intranasal(self) -> bool:
        return self.route == "intranasal"

    @property
    def infusion_min(self) -> float:
        """The planned length of the infusion; for a nasal spray, from the first device to
        the last of the largest dose allowed."""
        if self.intranasal:
            devices = round(max(self.nasal_doses_mg or (DEVICE_MG,)) / DEVICE_MG)
            return (devices - 1) * self.device_interval_min
        return float(self.over_min if self.over_min is not None else self.for_min or 0.0)

    @property
    def rate_mg_per_kg_per_h(self) -> float:
        """The infusion rate in mg/kg/h, whichever form the file used (0: a nasal spray)."""
        if self.rate_mg_per_kg_h is not None:
            return self.rate_mg_per_kg_h
        if self.dose_mg_per_kg is None:
            return 0.0
        return self.dose_mg_per_kg * 60.0 / self.infusion_min


class BaselineRules(_Table):
    """``[baseline]``: what must be recorded before the infusion may start."""

    min_readings: int = Field(default=2, ge=1, le=20)
    min_minutes: float = Field(default=5.0, ge=0, le=240)


class PreInfusionLimits(_Table):
    """``[pre_infusion]``: the limits of the check before the infusion starts.

    Blood pressure: blocked at or above block_* (SBP or DBP), caution at or above
    caution_*. SpO2: blocked below ``spo2_min_pct``. Heart rate: blocked at or above
    ``hr_block_high_bpm`` or below ``hr_block_low_bpm``, caution at or above
    ``hr_caution_high_bpm`` or below ``hr_caution_low_bpm`` (a "high" limit is reached at
    the value, a "low" one only under it, as the BP limits and the SpO2 floor).
    """

    block_sys_mmhg: Sys = 160.0
    block_dia_mmhg: Dia = 100.0
    caution_sys_mmhg: Sys = 140.0
    caution_dia_mmhg: Dia = 90.0
    spo2_min_pct: float = Field(default=94.0, ge=50, le=100)
    hr_block_low_bpm: float = Field(default=40.0, ge=20, le=250)
    hr_caution_low_bpm: float = Field(default=50.0, ge=20, le=250)
    hr_caution_high_bpm: float = Field(default=100.0, ge=20, le=250)
    hr_block_high_bpm: float = Field(default=120.0, ge=20, le=250)

    @model_validator(mode="after")
    def _hr_ordered(self) -> Self:
        keys = ("hr_block_low_bpm", "hr_caution_low_bpm", "hr_caution_high_bpm",
                "hr_block_high_bpm")  # fmt: skip
        for lower, upper in itertools.pairwise(keys):
            if getattr(self, lower) >= getattr(self, upper):
                _fail(lower, f"must be below {upper} ({getattr(self, upper):g}), "
                      f"got {getattr(self, lower):g}")  # fmt: skip
        return self

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for kind in ("sys", "dia"):
            block, caution = f"block_{kind}_mmhg", f"caution_{kind}_mmhg"
            if getattr(self, caution) >= getattr(self, block):
                _fail(
                    caution,
                    f"must be below {block} ({getattr(self, block):g}), "
                    f"got {getattr(self, caution):g}",
                )
        for level in ("block", "caution"):
            if getattr(self, f"{level}_dia_mmhg") >= getattr(self, f"{level}_sys_mmhg"):
                _fail(f"{level}_dia_mmhg", f"must be below {level}_sys_mmhg")
        return self


class NibpProgram(_Table):
    """``[nibp]``: automatic cuff interval per phase, in minutes.

    Same shape as vitalsim's NibpSettings (satisfies ``vitalsim.sensors.NibpProgram``),
    so the runtime can hand it to the simulator as is.
    """

    baseline_every_min: Every = 5.0
    infusion_every_min: Every = 10.0
    observation_every_min: Every = 15.0

    def interval_s(self, phase: str) -> float:
        """Seconds between automatic readings; READY and ENDED keep the observation program
        (the cuff cycles until the patient is disconnected)."""
        minutes = {
            Phase.BASELINE: self.baseline_every_min,
            Phase.INFUSION: self.infusion_every_min,
        }.get(Phase(phase), self.observation_every_min)
        return minutes * 60.0


DEFAULT_OBSERVATION_MAX_MIN = 120.0
"""The reminder to assess for discharge comes after this much observation by default ..."""
OBSERVATION_MAX_MARGIN_MIN = 60.0
"""... or this long after the minimum observation, when the minimum is longer (a file
written before ``max_minutes`` existed, with 2 h of observation, stays valid)."""


class ObservationRules(_Table):
    """``[observation]``: minimum time after the end of the infusion before discharge, and
    the longest a patient should stay in observation: once ``max_minutes`` have passed the
    monitor reminds the nurse to assess for discharge (a LOW technical alarm). Without
    ``max_minutes``: 120, or the minimum plus 60 when that is later."""

    min_minutes: float = Field(default=60.0, ge=0, le=720)
    max_minutes: float = Field(default=DEFAULT_OBSERVATION_MAX_MIN, gt=0, le=1440)

    @model_validator(mode="before")
    @classmethod
    def _default_max(cls, data: Any) -> Any:
        if isinstance(data, dict) and "max_minutes" not in data:
            low = data.get("min_minutes", 60.0)
            if isinstance(low, int | float) and not isinstance(low, bool):
                later = max(DEFAULT_OBSERVATION_MAX_MIN, float(low) + OBSERVATION_MAX_MARGIN_MIN)
                data = {**data, "max_minutes": later}
        return data

    @model_validator(mode="after")
    def _max_after_min(self) -> Self:
        if self.max_minutes <= self.min_minutes:
            _fail(
                "max_minutes",
                f"must be above min_minutes ({self.min_minutes:g}), got {self.max_minutes:g}",
            )
        return self


class DischargeCriteria(_Table):
    """``[discharge]``: what "ready for discharge" requires (see protocol.discharge_readiness)."""

    within_pct_of_baseline: float = Field(default=20.0, gt=0, le=100)
    sys_cap_mmhg: Sys = 160.0
    spo2_floor_pct: float = Field(default=94.0, ge=50, le=100)
    alertness_min_score: int = Field(default=9, ge=0, le=10)
    require_no_active_alarm: bool = True


class ProtocolConfig(_Table):
    """One protocol file."""

    protocol: ProtocolInfo
    baseline: BaselineRules = BaselineRules()
    pre_infusion: PreInfusionLimits = PreInfusionLimits()
    nibp: NibpProgram = NibpProgram()
    observation: ObservationRules = ObservationRules()
    discharge: DischargeCriteria = DischargeCriteria()

    @property
    def name(self) -> str:
        return self.protocol.name

    def with_nibp(self, minutes: Mapping[str, float]) -> ProtocolConfig:
        """This protocol with the NIBP intervals in ``minutes`` (``[nibp]`` keys) replaced:
        how a scenario's own ``[nibp]`` wins over the protocol's for that scenario (each
        interval it sets; the others stay the protocol's). Same name: it is still this
        protocol. Validated as the file would be (ValidationError)."""
        if not minutes:
            return self
        program = NibpProgram.model_validate({**self.nibp.model_dump(), **minutes})
        return self.model_copy(update={"nibp": program})

    def with_dose_weight(self, basis: str) -> ProtocolConfig:
        """This protocol dosing per kg of ``basis`` body weight (a scenario that sets its
        own ``dose_weight`` wins for that scenario, as its ``[nibp]`` does)."""
        if basis == self.protocol.dose_weight:
            return self
        info = ProtocolInfo.model_validate({**self.protocol.model_dump(exclude_unset=True),
                                            "dose_weight": basis})  # fmt: skip
        return self.model_copy(update={"protocol": info})


def _folders(cwd: Path | None) -> list[Path]:
    return config_dirs("protocols", cwd)


def list_protocols(cwd: Path | None = None) -> list[str]:
    """Names of the protocols under config/protocols/ (cwd, then the shipped config), sorted."""
    return list(catalogue("protocols", cwd))


def protocol_path(name_or_path: str | Path, cwd: Path | None = None) -> Path:
    """Resolve NAME to config/protocols/NAME.toml (cwd first, then the shipped config).

    Anything that looks like a path (a .toml suffix or a directory part) is used as is.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    for folder in _folders(cwd):
        if (folder / f"{text}.toml").is_file():
            return folder / f"{text}.toml"
    known = ", ".join(list_protocols(cwd)) or "none"
    raise ConfigError(
        _folders(cwd)[0] / f"{text}.toml",
        [("(file)", f"no protocol named {text!r} (available: {known})")],
    )


def load_protocol(name_or_path: str | Path, cwd: Path | None = None) -> ProtocolConfig:
    """Load and validate a protocol; raise ConfigError naming file, key and reason."""
    return load_toml_model(protocol_path(name_or_path, cwd), ProtocolConfig)
