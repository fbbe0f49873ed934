"""Charted scores set against what the simulated patient felt when they were charted.

The nurse charts sedation, dissociation and nausea on a 0-10 scale by asking and watching;
the simulator records the patient's own scores every 10 s as hidden channels (the channel
registry's ``charted_truth``). Each charted score is compared with the patient's score at
that moment: the last one recorded at or before it, if not older than
:data:`TRUTH_MAX_AGE_S`, rounded to the whole numbers of the nurse's scale. A session
without those channels (a real device, an old recording) has nothing to compare.

Private to :mod:`vitalsdash.debrief`, which re-exports the names.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vitalsdash import channels
from vitalsdash.debrief._types import Observation

CLOSE_POINTS = 2
"""A charted score within this many points of the patient's counts as close (est.)."""
TRUTH_MAX_AGE_S = 30.0
"""The patient's recorded score may be this old at the moment of charting (it is
recorded every 10 s; a gap means the record stopped)."""
KIND_WORDS = {"sedation": "Sedation", "dissociation": "Dissociation", "nausea": "Nausea"}
"""A charted score's name as the nurse reads it."""


@dataclass(frozen=True, slots=True)
class ScoreCheck:
    """One charted score beside the patient's actual score at ``t_s`` (both whole points)."""

    t_s: float
    kind: str
    charted: float
    actual: float
    actor: str = "trainee"

    @property
    def difference(self) -> float:
        """Charted minus actual: negative when the nurse scored lower than the patient felt."""
        return self.charted - self.actual

    @property
    def verdict(self) -> str:
        """About right (within :data:`CLOSE_POINTS`), under-scored or over-scored, in words."""
        if abs(self.difference) <= CLOSE_POINTS:
            return "about right"
        return "under-scored" if self.difference < 0 else "over-scored"

    @property
    def close(self) -> bool:
        return abs(self.difference) <= CLOSE_POINTS

    def words(self) -> str:
        """'Charted 2, patient's actual 6 — under-scored'."""
        return f"Charted {self.charted:g}, patient's actual {self.actual:g} — {self.verdict}"

    @property
    def label(self) -> str:
        """The score's name for the nurse ("Sedation")."""
        return KIND_WORDS.get(self.kind, self.kind.capitalize())


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """How close the charted scores came: how many were compared, how many were within
    :data:`CLOSE_POINTS`, under- and over-scored, and the mean absolute difference."""

    compared: int
    close: int
    under: int
    over: int
    mean_abs_difference: float | None

    def words(self) -> str:
        """One line for the nurse: "3 scores compared: 2 within ±2 points of the patient's
        own (mean difference 1.7 points); 1 under-scored." ("" when none was compared)."""
        if not self.compared:
            return ""
        n = self.compared
        head = f"{n} score{'s' if n != 1 else ''} compared: {self.close} within ±{CLOSE_POINTS}"
        text = f"{head} points of the patient's own (mean difference "
        text += f"{self.mean_abs_difference:.1f} points)"
        misses = [f"{k} {what}" for k, what in ((self.under, "under-scored"),
                                               (self.over, "over-scored")) if k]  # fmt: skip
        return text + ("; " + ", ".join(misses) if misses else "") + "."


def _whole(x: float) -> float:
    """A score on the nurse's whole-number scale (halves round up)."""
    return float(math.floor(x + 0.5))


def _truth_series(samples: Any, channel: str) -> tuple[np.ndarray, np.ndarray]:
    """(times, values) of a hidden channel, in time order (empty when there is none)."""
    if samples is None or not len(samples):
        return np.empty(0), np.empty(0)
    rows = samples[samples["channel"] == channel]
    if not len(rows):
        return np.empty(0), np.empty(0)
    values = rows["true_value"].where(rows["true_value"].notna(), rows["value"])
    order = np.argsort(rows["t_s"].to_numpy(dtype=float), kind="stable")
    return (rows["t_s"].to_numpy(dtype=float)[order], values.to_numpy(dtype=float)[order])


def score_checks(observations: Iterable[Observation], samples: Any) -> tuple[ScoreCheck, ...]:
    """Every charted score that has the patient's own beside it, in charting order."""
    truth = channels.charted_truth()
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    out = []
    for o in observations:
        channel = truth.get(o.kind)
        if channel is None or o.value is None or not math.isfinite(float(o.value)):
            continue
        if channel not in series:
            series[channel] = _truth_series(samples, channel)
        times, values = series[channel]
        i = int(np.searchsorted(times, o.t_s, side="right")) - 1
        if i < 0 or o.t_s - times[i] > TRUTH_MAX_AGE_S or not math.isfinite(values[i]):
            continue
        out.append(ScoreCheck(o.t_s, o.kind, float(o.value), _whole(values[i]), o.actor))
    return tuple(out)


def score_summary(checks: Sequence[ScoreCheck]) -> ScoreSummary:
    diffs = [abs(c.difference) for c in checks]
    return ScoreSummary(
        compared=len(checks),
        close=sum(1 for c in checks if c.close),
        under=sum(1 for c in checks if c.verdict == "under-scored"),
        over=sum(1 for c in checks if c.verdict == "over-scored"),
        mean_abs_difference=sum(diffs) / len(diffs) if diffs else None,
    )


def summary_fields(checks: Sequence[ScoreCheck]) -> Mapping[str, Any]:
    """The summary's figures for :meth:`Debrief.summary`."""
    s = score_summary(checks)
    return {
        "scores_compared": s.compared,
        "scores_close": s.close,
        "scores_mean_abs_difference": s.mean_abs_difference,
    }
