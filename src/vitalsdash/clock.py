"""Time for the runtime: a wall clock it reads, and the simulation's own speed and pause.

Everything in the domain is seconds since session start; the runtime turns wall time into
whole simulated seconds through ``SimControl``. Tests inject ``ManualClock`` and never sleep.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from vitalsdash.config import MAX_SPEED

__all__ = ["Clock", "ManualClock", "SimControl", "SystemClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic wall seconds."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks)."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = start

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> None:
        self._t += seconds


class SimControl:
    """Speed (x1..x120) and pause; converts elapsed wall time into simulated seconds."""

    def __init__(self, clock: Clock, speed: float = 1.0) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._speed = 1.0
        self.set_speed(speed)
        self.paused = False
        self._last = clock.now()
        self._credit = 0.0

    @property
    def speed(self) -> float:
        return self._speed

    def set_speed(self, speed: float) -> None:
        if not 1.0 <= float(speed) <= MAX_SPEED:
            raise ValueError(f"speed must be between x1 and x{MAX_SPEED:g}, got x{speed:g}")
        self._speed = float(speed)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        with self._lock:
            self.paused = False
            self._last = self.clock.now()

    def wall_s_to_next_second(self) -> float | None:
        """Wall seconds until the next simulated second is due (None while paused)."""
        with self._lock:
            if self.paused:
                return None
            credit = self._credit + (self.clock.now() - self._last) * self._speed
            return max(0.0, (1.0 - credit) / self._speed)

    def take_seconds(self) -> int:
        """Whole simulated seconds due since the last call (fractions carry over)."""
        with self._lock:
            now = self.clock.now()
            if not self.paused:
                self._credit += (now - self._last) * self._speed
            self._last = now
            whole = int(self._credit)
            self._credit -= whole
            return whole
