"""Co-sedatives (``[[co_sedatives]]``): IV boluses of a sedative given apart from the
infusion, before the session (already on board at its start) or during it.

Each entry names a drug the ventilation model knows (:data:`vitalsim.ventilation.
CO_SEDATIVES`), its dose in the drug's own unit (midazolam ``dose_mg``, fentanyl
``dose_mcg``) and when it was given (``at``, the same grammar as events; it may lie up to
MAX_BEFORE_S before the session start: ``start-20min``).
"""

from __future__ import annotations

import difflib
from typing import Any, Self

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vitalsim.ventilation import CO_SEDATIVES, CoSedativeDose

from ._scheduled import _Scheduled
from ._validation import _error, _raise

MAX_BEFORE_S = 12 * 3600.0
"""How long before the session start a co-sedative may have been given."""
_UNIT_KEY = {"mg": "dose_mg", "mcg": "dose_mcg"}
_MG_PER = {"mg": 1.0, "mcg": 0.001}


class CoSedative(_Scheduled):
    """One ``[[co_sedatives]]`` entry: an IV bolus of ``drug`` at ``at``."""

    drug: str = Field(title="Drug")
    route: str = Field(default="iv", title="Route")
    dose_mg: float | None = Field(default=None, gt=0, title="Dose (mg)")
    dose_mcg: float | None = Field(default=None, gt=0, title="Dose (micrograms)")

    @field_validator("drug")
    @classmethod
    def _known_drug(cls, value: str) -> str:
        if value not in CO_SEDATIVES:
            close = difflib.get_close_matches(value, list(CO_SEDATIVES), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise PydanticCustomError(
                "co_sedative",
                f"not a co-sedative the simulator models; {hint}known: " + ", ".join(CO_SEDATIVES),
            )
        return value

    @field_validator("route")
    @classmethod
    def _iv_only(cls, value: str) -> str:
        if value != "iv":
            raise PydanticCustomError("route", 'only IV boluses are modelled: route = "iv"')
        return value

    @model_validator(mode="after")
    def _dose_in_its_unit(self) -> Self:
        model = CO_SEDATIVES[self.drug]
        key = _UNIT_KEY[model.dose_unit]
        other = next(k for k in _UNIT_KEY.values() if k != key)
        errors = []
        if getattr(self, other) is not None:
            errors.append(_error((other,), f"{self.drug} is dosed in {model.dose_unit}: "
                                 f"write {key}", {}))  # fmt: skip
        value = getattr(self, key)
        lo, hi = model.dose_range
        if value is None and not errors:
            errors.append(_error((key,), f"required: the dose of {self.drug} in "
                                 f"{model.dose_unit} ({lo:g}-{hi:g})", {}))  # fmt: skip
        elif value is not None and not lo <= value <= hi:
            errors.append(_error((key,), f"a single IV dose of {self.drug} is "
                                 f"{lo:g}-{hi:g} {model.dose_unit}", value))  # fmt: skip
        _raise(errors)
        return self

    @property
    def dose_in_mg(self) -> float:
        unit = CO_SEDATIVES[self.drug].dose_unit
        return float(getattr(self, _UNIT_KEY[unit])) * _MG_PER[unit]

    def dose(self) -> CoSedativeDose:
        """What the engine gives: the bolus at its second, in mg."""
        return CoSedativeDose(self.at_s, self.drug, self.dose_in_mg)

    def describe(self) -> dict[str, Any]:
        """As a nurse would chart it: drug, dose with its unit, route."""
        unit = CO_SEDATIVES[self.drug].dose_unit
        return {"drug": self.drug, "dose": getattr(self, _UNIT_KEY[unit]), "unit": unit,
                "route": self.route}  # fmt: skip
