"""Times in a scenario: the ``at`` grammar (anchor plus offset) and the session timeline.

A scenario writes times relative to protocol phases (``infusion+25min``) so that changing
``baseline_min`` moves every event with the infusion; :class:`Timeline` turns them into
seconds from the session start once the protocol is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

MAX_SESSION_S = 12 * 3600.0
"""The longest session (baseline + infusion + observation) a scenario may describe."""

PhaseName: TypeAlias = Literal["baseline", "infusion", "observation"]

ANCHORS: tuple[str, ...] = ("start", "infusion", "infusion_end", "observation", "end")
_UNIT_S = {"s": 1.0, "min": 60.0, "h": 3600.0}
AT_GRAMMAR = (
    "write <anchor> or <anchor>(+|-)<number><unit>, e.g. 'infusion+25min' or 'end - 90 s'; "
    "anchors: start, infusion, infusion_end (= observation), end; units: s, min, h"
)
_AT_SHAPE = re.compile(r"\s*([A-Za-z_]+)\s*(?:([+-])\s*([^\sA-Za-z]*)\s*([A-Za-z]*)\s*)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


@dataclass(frozen=True)
class TimeRef:
    """A parsed ``at``: an anchor plus an offset in seconds (not yet resolved)."""

    anchor: str
    offset_s: float = 0.0
    text: str = ""

    def __str__(self) -> str:
        if self.text:
            return self.text
        if self.offset_s == 0:
            return self.anchor
        return f"{self.anchor}{self.offset_s:+g}s"


def parse_time_ref(text: str) -> TimeRef:
    """Parse an ``at`` string; raise ValueError with a reason that shows the grammar."""
    if not isinstance(text, str):
        raise ValueError(f"must be a quoted time like 'infusion+25min'; {AT_GRAMMAR}")
    m = _AT_SHAPE.fullmatch(text)
    if m is None:
        raise ValueError(f"not a time; {AT_GRAMMAR}")
    anchor, sign, number, unit = m.groups()
    if anchor not in ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; {AT_GRAMMAR}")
    if sign is None:
        return TimeRef(anchor, 0.0, text.strip())
    if not _NUMBER.fullmatch(number):
        what = "missing number" if not number else f"malformed number {number!r}"
        raise ValueError(f"{what} after {sign!r}; {AT_GRAMMAR}")
    if not unit:
        raise ValueError(f"the offset {number} needs a unit; {AT_GRAMMAR}")
    if unit not in _UNIT_S:
        raise ValueError(f"unknown unit {unit!r}; {AT_GRAMMAR}")
    offset = float(number) * _UNIT_S[unit]
    return TimeRef(anchor, -offset if sign == "-" else offset, text.strip())


def _validate_at(value: Any) -> TimeRef:
    if isinstance(value, TimeRef):
        return value
    try:
        return parse_time_ref(value)
    except ValueError as exc:
        raise PydanticCustomError("time_ref", str(exc)) from None


At = Annotated[TimeRef, PlainValidator(_validate_at), PlainSerializer(str, return_type=str)]


def _minutes(seconds: float) -> str:
    return f"{round(seconds / 60.0, 2):g} min"


@dataclass(frozen=True)
class Timeline:
    """When the phases of a session begin and end, in seconds from the session start."""

    infusion_start_s: float
    infusion_end_s: float
    end_s: float

    def phase_at(self, t_s: float) -> PhaseName:
        """The protocol phase at ``t_s``; times at or after ``end_s`` are still observation."""
        if t_s < self.infusion_start_s:
            return "baseline"
        if t_s < self.infusion_end_s:
            return "infusion"
        return "observation"

    def anchor_s(self, anchor: str) -> float:
        """Seconds from the start of a named anchor (see :data:`ANCHORS`)."""
        times = {
            "start": 0.0,
            "infusion": self.infusion_start_s,
            "infusion_end": self.infusion_end_s,
            "observation": self.infusion_end_s,
            "end": self.end_s,
        }
        try:
            return times[anchor]
        except KeyError:
            raise ValueError(f"unknown anchor {anchor!r}") from None

    def resolve(self, ref: TimeRef | str) -> float:
        """Seconds from the start for a time reference (not range-checked)."""
        if isinstance(ref, str):
            ref = parse_time_ref(ref)
        return self.anchor_s(ref.anchor) + ref.offset_s

    def contains(self, t_s: float) -> bool:
        return 0.0 <= t_s < self.end_s
