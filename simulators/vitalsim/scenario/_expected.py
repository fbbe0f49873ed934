"""What a trainee is expected to do (``[[expected]]``), and the alarm conditions it names.

The debrief scores a session against these entries; the names of the conditions are the
monitor's alarm conditions (see docs alarms.md), listed here so that a scenario file can
be checked without the monitor.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from ._actions import ACTION_KINDS
from ._validation import _check_names, _Model

ALARM_CONDITIONS: tuple[str, ...] = (
    "HR_HI",
    "HR_LO",
    "SYS_HI",
    "SYS_LO",
    "DIA_HI",
    "DIA_LO",
    "MAP_HI",
    "MAP_LO",
    "SPO2_LO",
    "RR_HI",
    "RR_LO",
    "ETCO2_HI",
    "ETCO2_LO",
    "ETCO2_RISE",
    "APNEA",
    "NO_DATA",
    "SENSOR_OFF",
    "CUFF_FAIL",
    "NIBP_OVERDUE",
    "PUMP_PAUSED",
)
"""Alarm condition names an ``[[expected]]`` entry may refer to (see docs alarms.md)."""


class ExpectedResponse(_Model):
    """An ``[[expected]]`` entry: after any ``when`` condition, any ``do`` action counts."""

    when: list[str]
    do: list[str]
    within_min: float = Field(gt=0, le=120)

    @field_validator("when", mode="before")
    @classmethod
    def _known_conditions(cls, value: Any) -> Any:
        return _check_names(value, ALARM_CONDITIONS, "alarm condition")

    @field_validator("do", mode="before")
    @classmethod
    def _known_actions(cls, value: Any) -> Any:
        return _check_names(value, ACTION_KINDS, "action kind")

    @property
    def within_s(self) -> float:
        return self.within_min * 60.0
