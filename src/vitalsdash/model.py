"""The shared vocabulary of the monitor: channel ids, sample quality and phases.

Every layer (adapters, alarms, store, ui) speaks these names, so a recording from the
simulator, a replayed file and an HL7 feed all mean the same thing by ``NIBP_SYS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from vitalsdash import channels


class Channel(StrEnum):
    """The built-in channel ids, for code about one channel in particular (the SpO2 probe,
    the NIBP cuff). Any other channel is a plain ``str`` id: its facts are in the registry
    (vitalsdash.channels), and a ``Channel`` equals and hashes as its ``str``."""

    HR = "HR"
    SPO2 = "SPO2"
    RR = "RR"
    NIBP_SYS = "NIBP_SYS"
    NIBP_DIA = "NIBP_DIA"
    NIBP_MAP = "NIBP_MAP"
    PUMP_RATE = "PUMP_RATE"
    KET_CP = "KET_CP"
    KET_CE = "KET_CE"


_BUILT_IN = {c.value: c for c in Channel}


def channel_of(name: str) -> str | None:
    """The id of a registered channel (a ``Channel`` for a built-in one), None if unknown."""
    built_in = _BUILT_IN.get(name)
    if built_in is not None:
        return built_in
    return name if channels.is_known(name) else None


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
    channel: str  # a registered channel id (a ``Channel`` for a built-in one)
    value: float
    quality: Quality = Quality.OK

    @property
    def usable(self) -> bool:
        return self.quality is not Quality.INVALID and not math.isnan(self.value)


def mean_arterial_pressure(sys_mmhg: float, dia_mmhg: float) -> float:
    """MAP for display when the device does not measure it (DBP + pulse pressure / 3)."""
    return dia_mmhg + (sys_mmhg - dia_mmhg) / 3.0
