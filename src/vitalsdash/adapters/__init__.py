"""Sources of vital signs for a bed: the simulator, a replayed recording, an HL7 device."""

from vitalsdash.adapters._base import (
    DoseOrder,
    Note,
    PumpStatus,
    Reading,
    Source,
    SourceActionError,
)
from vitalsdash.adapters.replay import ReplaySource
from vitalsdash.adapters.simulator import SimulatorSource

__all__ = [
    "DoseOrder",
    "Note",
    "PumpStatus",
    "Reading",
    "ReplaySource",
    "SimulatorSource",
    "Source",
    "SourceActionError",
]
