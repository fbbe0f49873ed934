"""Physiological bounds on the computed vitals, whatever drugs, events and actions add up to.

Each part of the model is bounded on its own, but their sum could still leave the living
range (a vasovagal episode on top of three labetalol boluses). :func:`bounded` is the last
step of the truth: pressures above a floor, DBP below SBP by a minimum pulse pressure,
heart rate within a floor and a ceiling, SpO2 within a floor and 100%, breathing above a
floor. The floors are soft: a value well inside the range is untouched, one that
approaches a floor bends smoothly towards it and never reaches it, so a trend shows a
curve flattening out rather than a flat line cut off at a number. SpO2 keeps its hard
100% (a saturated oximeter does read a flat 100). Numbers: docs/simulator.md, "Drug
effects and limits" (est.).
"""

from __future__ import annotations

import numpy as np

SBP_FLOOR, SBP_KNEE = 60.0, 15.0  # mmHg: untouched above 75
DBP_FLOOR, DBP_KNEE = 30.0, 10.0  # mmHg: untouched above 40
PULSE_PRESSURE_MIN, PULSE_PRESSURE_KNEE = 10.0, 5.0  # DBP untouched up to SBP - 15
HR_FLOOR, HR_FLOOR_KNEE = 25.0, 10.0  # bpm: untouched above 35
HR_CEILING, HR_CEILING_KNEE = 180.0, 20.0  # bpm: untouched below 160
SPO2_FLOOR, SPO2_KNEE, SPO2_MAX = 50.0, 10.0, 100.0  # %: untouched 60..100
RR_FLOOR, RR_KNEE = 3.0, 3.0  # /min: untouched above 6


def soft_floor(x: np.ndarray, floor: float, knee: float) -> np.ndarray:
    """``x`` where it is at least ``floor + knee``; below, an exponential that meets it
    with the same slope there and tends to ``floor`` without reaching it."""
    edge = floor + knee
    return np.where(x >= edge, x, floor + knee * np.exp((np.minimum(x, edge) - edge) / knee))


def soft_ceiling(x: np.ndarray, ceiling: np.ndarray | float, knee: float) -> np.ndarray:
    """The mirror of :func:`soft_floor`: ``x`` up to ``ceiling - knee``, then bending
    towards ``ceiling`` without reaching it."""
    return -soft_floor(-x, -ceiling, knee)  # type: ignore[operator]


def bounded(
    sbp: np.ndarray,
    dbp: np.ndarray,
    hr: np.ndarray,
    spo2: np.ndarray,
    rr: np.ndarray,
) -> dict[str, np.ndarray]:
    """The vitals within their physiological bounds, MAP recomputed from the bounded
    pressures; keys hr, sbp, dbp, map, spo2, rr. Pure: the inputs are not changed.

    DBP ends above its floor too: the pulse-pressure ceiling is never below
    ``SBP_FLOOR - PULSE_PRESSURE_MIN - PULSE_PRESSURE_KNEE`` (45 mmHg), above DBP_FLOOR.
    """
    sbp = soft_floor(sbp, SBP_FLOOR, SBP_KNEE)
    dbp = soft_floor(dbp, DBP_FLOOR, DBP_KNEE)
    dbp = soft_ceiling(dbp, sbp - PULSE_PRESSURE_MIN, PULSE_PRESSURE_KNEE)
    hr = soft_ceiling(soft_floor(hr, HR_FLOOR, HR_FLOOR_KNEE), HR_CEILING, HR_CEILING_KNEE)
    spo2 = np.minimum(soft_floor(spo2, SPO2_FLOOR, SPO2_KNEE), SPO2_MAX)
    rr = soft_floor(rr, RR_FLOOR, RR_KNEE)
    return {"hr": hr, "sbp": sbp, "dbp": dbp, "map": dbp + (sbp - dbp) / 3.0, "spo2": spo2,
            "rr": rr}  # fmt: skip
