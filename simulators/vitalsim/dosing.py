"""How a protocol gives the drug: the weight a mg/kg dose is per, and the route.

A dose written in mg/kg is per *dosing* kg: the patient's actual weight, their ideal body
weight (Devine 1974), or an adjusted weight between the two (ideal + 0.4 x the excess).
Only the amount of drug depends on that choice; the body the drug goes into is always
the real one (the PK model scales with actual weight), which is why dosing an obese
patient by ideal weight gives lower concentrations than dosing by actual weight.

The second choice is the route: an IV infusion from a syringe pump, or esketamine nasal
spray (Spravato), given as 28 mg devices 5 minutes apart into a nasal depot that empties
into the blood with first-order absorption (docs/simulator.md, "Intranasal esketamine").

:class:`Dosing` is the one description of both, built from a scenario's ``[protocol]``
table; the engine, the population statistics and a monitor read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "ADJUSTED_FRACTION",
    "DEVICE_MG",
    "DOSED_DRUGS",
    "DOSE_WEIGHTS",
    "DRUG_NAMES",
    "ESKETAMINE_POTENCY",
    "ROUTES",
    "DoseWeight",
    "Dosing",
    "Drug",
    "Route",
    "adjusted_body_weight_kg",
    "dosing_weight_kg",
    "ideal_body_weight_kg",
]

DoseWeight = Literal["actual", "ideal", "adjusted"]
Drug = Literal["ketamine", "esketamine"]
Route = Literal["iv", "intranasal"]
DOSE_WEIGHTS: tuple[str, ...] = ("actual", "ideal", "adjusted")
DOSED_DRUGS: tuple[str, ...] = ("ketamine", "esketamine")
ROUTES: tuple[str, ...] = ("iv", "intranasal")
DRUG_NAMES = {"ketamine": "Ketamine", "esketamine": "Esketamine"}
"""Each drug as a nurse reads it."""

CM_PER_INCH = 2.54
DEVINE_BASE_KG = {"male": 50.0, "female": 45.5}
"""Devine (1974): ideal body weight at 5 ft; 2.3 kg more per inch above it."""
DEVINE_KG_PER_INCH = 2.3
FIVE_FEET_IN = 60.0
ADJUSTED_FRACTION = 0.4
"""Adjusted body weight = IBW + 0.4 x (actual - IBW): the usual correction for drugs that
distribute partly into fat (e.g. Pai & Paloucek, Ann Pharmacother 2000;34:1066)."""

DEVICE_MG = 28.0
"""One Spravato device: two sprays, one per nostril, 28 mg esketamine in all (label)."""
DEVICE_INTERVAL_MIN = 5.0
"""The label's rest between devices."""
ESKETAMINE_POTENCY = 2.0
"""Esketamine (S-ketamine) is about twice as potent as racemic ketamine (Peltoniemi et al.,
Clin Pharmacokinet 2016;55:1059). The haemodynamic model was built for racemic ketamine,
so it sees an esketamine concentration times this (est.: the factor is for anaesthesia
and analgesia; that it holds for the pressor effect is an assumption)."""


def ideal_body_weight_kg(height_cm: Any, sex: Any) -> Any:
    """Devine: 50 kg (men) or 45.5 kg (women) + 2.3 kg per inch over 5 ft. Below 5 ft the
    same line is extended downwards, as most calculators do (Devine gave no rule there).

    ``height_cm`` and ``sex`` may be arrays (of the same shape); the result has that shape.
    """
    sex_arr = np.asarray(sex)
    unknown = set(np.unique(sex_arr).tolist()) - set(DEVINE_BASE_KG)
    if unknown:
        raise ValueError(f"sex must be 'female' or 'male', got {sorted(unknown)}")
    height = np.asarray(height_cm, dtype=float)
    if not np.all(np.isfinite(height) & (height > 0)):
        raise ValueError(f"height_cm must be a positive number, got {height_cm!r}")
    base = np.where(sex_arr == "male", DEVINE_BASE_KG["male"], DEVINE_BASE_KG["female"])
    ibw = base + DEVINE_KG_PER_INCH * (height / CM_PER_INCH - FIVE_FEET_IN)
    return float(ibw) if ibw.ndim == 0 else ibw


def adjusted_body_weight_kg(weight_kg: Any, ibw_kg: Any) -> Any:
    """IBW + 0.4 x (actual - IBW): always between the ideal and the actual weight."""
    out = np.asarray(ibw_kg, dtype=float) + ADJUSTED_FRACTION * (
        np.asarray(weight_kg, dtype=float) - np.asarray(ibw_kg, dtype=float)
    )
    return float(out) if out.ndim == 0 else out


def dosing_weight_kg(basis: str, weight_kg: Any, height_cm: Any, sex: Any) -> Any:
    """The weight a mg/kg dose is per.

    ``ideal`` and ``adjusted`` exist to give a heavy patient less drug than the actual
    weight would; a patient at or below their ideal weight is dosed by actual weight
    whatever the basis (an ideal weight above the real one would give more drug, which
    neither rule intends; the same "never more than actual" rule as most dosing guides).
    """
    if basis not in DOSE_WEIGHTS:
        raise ValueError(f"dose_weight must be one of {', '.join(DOSE_WEIGHTS)}, got {basis!r}")
    actual = np.asarray(weight_kg, dtype=float)
    if basis == "actual":
        out = actual
    else:
        ibw = np.asarray(ideal_body_weight_kg(height_cm, sex), dtype=float)
        chosen = ibw if basis == "ideal" else adjusted_body_weight_kg(actual, ibw)
        out = np.minimum(np.asarray(chosen, dtype=float), actual)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Dosing:
    """How the drug is given: which drug, by which route, and how much.

    IV: ``rate_mg_per_kg_h`` until ``dose_mg_per_kg`` is in, both per dosing kg
    (``dose_weight``). Intranasal (esketamine only): ``dose_mg`` as devices of
    ``device_mg``, ``device_interval_min`` apart, the first when dosing starts.
    """

    drug: Drug = "ketamine"
    route: Route = "iv"
    dose_weight: DoseWeight = "actual"
    rate_mg_per_kg_h: float = 0.0
    dose_mg_per_kg: float = 0.0
    dose_mg: float = 0.0
    device_mg: float = DEVICE_MG
    device_interval_min: float = DEVICE_INTERVAL_MIN

    @property
    def intranasal(self) -> bool:
        return self.route == "intranasal"

    @property
    def potency(self) -> float:
        """Racemic-equivalent concentration per ng/mL of this drug (est., see above)."""
        return ESKETAMINE_POTENCY if self.drug == "esketamine" else 1.0

    @property
    def devices(self) -> int:
        """Nasal spray devices in the dose (0 for an IV infusion)."""
        return round(self.dose_mg / self.device_mg) if self.intranasal else 0

    @property
    def administration_min(self) -> float:
        """From the start of dosing to its planned end: the infusion's length, or from the
        first nasal device to the last."""
        if self.intranasal:
            return (self.devices - 1) * self.device_interval_min
        if self.rate_mg_per_kg_h <= 0:
            return 0.0
        return self.dose_mg_per_kg / self.rate_mg_per_kg_h * 60.0

    def start_params(self) -> dict[str, float]:
        """The parameters of the ``start_infusion`` action that starts this dosing."""
        if self.intranasal:
            return {"dose_mg": self.dose_mg, "device_mg": self.device_mg,
                    "device_interval_min": self.device_interval_min}  # fmt: skip
        return {"rate_mg_per_kg_h": self.rate_mg_per_kg_h, "dose_mg_per_kg": self.dose_mg_per_kg}

    def dose_for(self, dosing_kg: float) -> float:
        """The whole dose in mg for a patient whose dosing weight is ``dosing_kg``."""
        if self.intranasal:
            return self.dose_mg
        if not (math.isfinite(dosing_kg) and dosing_kg > 0):
            raise ValueError(f"dosing weight must be a positive number, got {dosing_kg!r}")
        return self.dose_mg_per_kg * dosing_kg
