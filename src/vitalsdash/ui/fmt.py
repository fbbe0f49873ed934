"""Formatting for the screen: numbers, elapsed times and ages, in a monitor's style."""

from __future__ import annotations

import math

from vitalsdash.durations import hms

__all__ = ["DASH", "PHASE_NAMES", "age", "clock", "limit_pair", "mmss", "num", "phase"]

DASH = "–"
PHASE_NAMES = {
    "baseline": "Baseline",
    "infusion": "Infusion",
    "observation": "Observation",
    "ready": "Ready for discharge",
    "ended": "Ended",
}


def num(value: float | None, digits: int = 0) -> str:
    """A measured value, or a dash when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:.{digits}f}"


def clock(t_s: float) -> str:
    """Elapsed session time as H:MM:SS: a running clock (vitalsdash.durations)."""
    return hms(t_s, elapsed=True)


def mmss(t_s: float) -> str:
    """A countdown as M:SS."""
    t = max(0, math.ceil(t_s))
    return f"{t // 60}:{t % 60:02d}"


def age(age_s: float) -> str:
    """How long ago, in whole minutes: "just now", "4 min ago", "1 h 5 min ago"."""
    m = int(max(0.0, age_s) // 60)
    if m < 1:
        return "just now"
    if m < 60:
        return f"{m} min ago"
    return f"{m // 60} h {m % 60} min ago"


def phase(name: str | None) -> str:
    return PHASE_NAMES.get(name or "", "No session")


def limit_pair(lo: float | None, hi: float | None) -> str:
    """Alarm limits as shown under a numeric: "50–109" (a dash for an unset side)."""
    if lo is None and hi is None:
        return "alarms off"
    if lo is None:
        return f"<{num(hi)}"
    if hi is None:
        return f">{num(lo)}"
    return f"{num(lo)}–{num(hi)}"
