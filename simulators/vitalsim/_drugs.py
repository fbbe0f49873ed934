"""The drugs a trainee can give: how each acts over time, how far it can go, how much.

Each bolus puts an amount "on board" that rises and fades with the drug's own onset and
duration (a Bateman curve scaled to 1 at its peak); the boluses add up, and the effect is
an Emax of the sum, so no number of boluses takes it past the drug's maximum. A bolus
that would take the session's total past the label's cumulative maximum is refused
before it changes anything (:func:`over_the_maximum`). Numbers: docs/simulator.md,
"Drug effects and limits" (est. where marked there).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DrugModel:
    """One drug: its time course, the most it can do, and the most that may be given."""

    onset_tau_s: float
    """Time constant of the rise after a bolus."""
    duration_tau_s: float
    """Time constant of the fade once the peak is past."""
    ed50_mg: float
    """Amount on board that gives half the maximum effect."""
    max_total_mg: float
    """The label's cumulative maximum per session."""
    emax: dict[str, float]
    """Largest effect per target, as a fraction (of the pressure, the heart rate, the
    nausea) that the drug can take away."""

    def shape(self, since_s: np.ndarray) -> np.ndarray:
        """Fraction of a bolus on board ``since_s`` seconds after it (1 at the peak)."""
        a, b = self.onset_tau_s, self.duration_tau_s
        t_peak = np.log(b / a) * a * b / (b - a)
        norm = np.exp(-t_peak / b) - np.exp(-t_peak / a)
        s = np.maximum(since_s, 0.0)
        return np.where(since_s >= 0, (np.exp(-s / b) - np.exp(-s / a)) / norm, 0.0)

    def peak_s(self) -> float:
        """When one bolus acts most."""
        a, b = self.onset_tau_s, self.duration_tau_s
        return float(np.log(b / a) * a * b / (b - a))

    def fraction(self, target: str, on_board_mg: np.ndarray) -> np.ndarray:
        """Share of ``target`` the drug takes away with ``on_board_mg``: Emax, < emax."""
        amount = np.maximum(on_board_mg, 0.0)
        return self.emax[target] * amount / (amount + self.ed50_mg)


_MIN = 60.0
DRUG_MODELS: dict[str, DrugModel] = {
    # Labetalol IV (label: 20 mg over 2 min, then 40-80 mg every 10 min up to 300 mg in
    # total; clinical.md: onset 2-5 min, peak 5-15 min, lasts 2-4 h). The peak falls at
    # 11 min; 20 mg takes about 10% off the pressure, no amount more than 30% (est.).
    "labetalol": DrugModel(
        onset_tau_s=3 * _MIN,
        duration_tau_s=120 * _MIN,
        ed50_mg=40.0,
        max_total_mg=300.0,
        emax={"sbp": 0.30, "dbp": 0.30, "hr": 0.15},
    ),
    # Ondansetron IV (label: 4 mg for post-operative nausea; no single IV dose above
    # 16 mg, QT prolongation). Relief within minutes, for hours; 4 and 8 mg do about as
    # well; at most 85% of the nausea goes (est.). 16 mg per session (est., from the
    # label's single-dose maximum).
    "ondansetron": DrugModel(
        onset_tau_s=5 * _MIN,
        duration_tau_s=360 * _MIN,
        ed50_mg=0.8,
        max_total_mg=16.0,
        emax={"nausea": 0.85},
    ),
}


DRUG_TARGETS: tuple[str, ...] = ("sbp", "dbp", "hr", "nausea")
"""What a drug's ``emax`` may name: the pressures and heart rate (a share of the value),
nausea (a share of the scripted nausea)."""


def given_mg(interventions: Iterable[Any], drug: str) -> float:
    """Total of ``drug`` given so far in a session's interventions (each bolus carries
    its drug and dose in ``params``)."""
    return sum(
        float(iv.params.get("dose_mg", 0.0))
        for iv in interventions
        if iv.params.get("drug") == drug
    )


def over_the_maximum(drug: str, given: float, dose: float) -> str | None:
    """Why a further ``dose`` of ``drug`` may not be given (None: it may), in the nurse's
    words: what was given already and the maximum it would pass."""
    limit = DRUG_MODELS[drug].max_total_mg
    if given + dose <= limit + 1e-9:
        return None
    if given > 0:
        return (
            f"{drug}: {given:g} mg given already; a further {dose:g} mg would exceed "
            f"the {limit:g} mg maximum"
        )
    return f"{drug}: {dose:g} mg would exceed the {limit:g} mg maximum"


def on_board(t_s: np.ndarray, doses: Iterable[tuple[float, float]], drug: str) -> np.ndarray:
    """Amount of ``drug`` acting at each of seconds ``t_s`` (T,), from boluses
    ``(t_s, dose_mg)``; their contributions add up."""
    model = DRUG_MODELS[drug]
    total = np.zeros(np.shape(t_s))
    for t0, dose in doses:
        total += dose * model.shape(t_s - t0)
    return total
