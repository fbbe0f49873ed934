"""The shared vocabulary of the monitor: sample quality, phases and samples.

Every layer (adapters, alarms, store, ui) speaks these names, so a recording from the
simulator, a replayed file and an HL7 feed mean the same thing by a channel id; the
channels themselves (and ``Channel``, re-exported here) are in vitalsdash.channels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from vitalsdash.channels import Channel, channel_of

__all__ = ["Channel", "Phase", "Quality", "Sample", "channel_of"]


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
