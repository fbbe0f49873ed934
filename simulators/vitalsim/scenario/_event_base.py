"""An event's shape in time: onset ramp, plateau, offset ramp, clipped to the session.

The timing keys carry a nurse-facing ``title`` (and ``duration_min`` a suggested starting
value) in the model itself, so a form built from the model words them as the simulator
does; the kinds in ``_events`` do the same for their magnitudes.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from pydantic import Field, model_validator

from ._scheduled import _Scheduled
from ._validation import _error, _raise


def onset_field(default: float) -> Any:
    """``onset_min``, the ramp up; kinds differ only in its default (minutes)."""
    return Field(default=default, ge=0, le=60, title="Onset")


def offset_field(default: float) -> Any:
    """``offset_min``, the ramp back down after the plateau (minutes)."""
    return Field(default=default, ge=0, le=60, title="Offset")


class _EventBase(_Scheduled):
    kind: str
    duration_min: float = Field(gt=0, le=720, title="Duration", json_schema_extra={"suggested": 10})

    # Kinds without ramp keys have fixed zero ramps.
    @property
    def onset_s(self) -> float:
        return float(getattr(self, "onset_min", 0.0)) * 60.0

    @property
    def offset_s(self) -> float:
        return float(getattr(self, "offset_min", 0.0)) * 60.0

    @property
    def duration_s(self) -> float:
        """The plateau length including the onset ramp (not clipped)."""
        return self.duration_min * 60.0

    def _clip(self, t_s: float) -> float:
        return min(t_s, self._session_end_s) if self._session_end_s is not None else t_s

    @property
    def end_s(self) -> float:
        """End of the plateau, where the ramp down begins; clipped to the session end."""
        return self._clip(self.at_s + self.duration_s)

    @property
    def effect_end_s(self) -> float:
        """When the effect is over (end of the offset ramp); clipped to the session end."""
        return self._clip(self.at_s + self.duration_s + self.offset_s)

    @property
    def clipped(self) -> bool:
        """True when the event (with its offset ramp) would run past the session end."""
        return self.at_s + self.duration_s + self.offset_s > self.effect_end_s

    def active_at(self, t_s: float) -> bool:
        """True from ``at_s`` until the effect is over (``effect_end_s``)."""
        return self.at_s <= t_s < self.effect_end_s

    def level_at(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """Effect level 0..1 at ``t_s`` (scalar or array): ramp up, plateau, ramp down."""
        t = np.asarray(t_s, dtype=float)
        rel = t - self.at_s
        up = np.clip(rel / self.onset_s, 0.0, 1.0) if self.onset_s > 0 else (rel >= 0) * 1.0
        past = rel - self.duration_s
        if self.offset_s > 0:
            down = np.clip(1.0 - past / self.offset_s, 0.0, 1.0)
        else:
            down = (past < 0) * 1.0
        level = np.where((t >= self.at_s) & (t < self.effect_end_s), np.minimum(up, down), 0.0)
        return float(level) if level.ndim == 0 else level

    def vital_deltas(self) -> dict[str, float]:
        """Signed change of resting vitals at full level (keys hr_bpm, sbp_mmhg, dbp_mmhg,
        spo2_pct, rr_per_min); empty for events that act otherwise."""
        return {}


class _RampedEvent(_EventBase):
    onset_min: float = onset_field(2.0)
    offset_min: float = offset_field(5.0)

    @model_validator(mode="after")
    def _onset_within_duration(self) -> Self:
        if self.onset_min > self.duration_min:
            _raise(
                [
                    _error(
                        ("onset_min",),
                        f"must not exceed duration_min = {self.duration_min:g} "
                        "(the plateau length includes the onset)",
                        self.onset_min,
                    )
                ]
            )
        return self
