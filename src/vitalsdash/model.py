"""The shared vocabulary of the monitor: channels, units, sample quality and phases.

Every layer (adapters, alarms, store, ui) speaks these names, so a recording from the
simulator, a replayed file and an HL7 feed all mean the same thing by ``NIBP_SYS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    HR = "HR"
    SPO2 = "SPO2"
    RR = "RR"
    NIBP_SYS = "NIBP_SYS"
    NIBP_DIA = "NIBP_DIA"
    NIBP_MAP = "NIBP_MAP"
    PUMP_RATE = "PUMP_RATE"
    KET_CP = "KET_CP"
    KET_CE = "KET_CE"


UNITS: dict[Channel, str] = {
    Channel.HR: "bpm",
    Channel.SPO2: "%",
    Channel.RR: "/min",
    Channel.NIBP_SYS: "mmHg",
    Channel.NIBP_DIA: "mmHg",
    Channel.NIBP_MAP: "mmHg",
    Channel.PUMP_RATE: "mg/kg/h",
    Channel.KET_CP: "ng/mL",
    Channel.KET_CE: "ng/mL",
}

NIBP_CHANNELS: frozenset[Channel] = frozenset(
    {Channel.NIBP_SYS, Channel.NIBP_DIA, Channel.NIBP_MAP}
)
"""Channels reported once per completed cuff measurement, not continuously."""

CONTINUOUS_CHANNELS: frozenset[Channel] = frozenset({Channel.HR, Channel.SPO2, Channel.RR})
"""Vital signs a monitor streams every second or every few seconds."""


class Quality(StrEnum):
    OK = "ok"
    ARTEFACT = "artefact"  # the device reported a value, but it is disturbed (motion, noise)
    INVALID = "invalid"  # no usable value: probe off, cuff failure; ``value`` is NaN


class Phase(StrEnum):
    BASELINE = "baseline"
    INFUSION = "infusion"
    OBSERVATION = "observation"
    READY = "ready"  # ready for discharge
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured value of one channel at ``t_s`` seconds from session start."""

    t_s: float
    channel: Channel
    value: float
    quality: Quality = Quality.OK

    @property
    def usable(self) -> bool:
        return self.quality is not Quality.INVALID and not math.isnan(self.value)


def mean_arterial_pressure(sys_mmhg: float, dia_mmhg: float) -> float:
    """MAP for display when the device does not measure it (DBP + pulse pressure / 3)."""
    return dia_mmhg + (sys_mmhg - dia_mmhg) / 3.0
