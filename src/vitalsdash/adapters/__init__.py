"""Sources of vital signs for a bed: the simulator, a replayed recording, an HL7 device."""

from ._base import Note, PumpStatus, Reading, Source, SourceActionError
from .replay import ReplaySource
from .simulator import SimulatorSource

__all__ = [
    "Note",
    "PumpStatus",
    "Reading",
    "ReplaySource",
    "SimulatorSource",
    "Source",
    "SourceActionError",
]
