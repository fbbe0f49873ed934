"""The clinic's health for ``GET /api/health``: is it ticking, is the store taking its
writes, is every bed stored, and do the registered checks (the MLLP listener) say ok.

Read from request threads without the runtime's lock (a stalled tick may be holding it):
only plain attributes are read, and registered checks must be thread-safe themselves.
Times are the runtime's injected clock (monotonic seconds) for ages and the wall clock
(ISO 8601, UTC) for "since when".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vitalsdash.clock import Clock

log = logging.getLogger(__name__)

STALL_TICKS = 5  # ticks stall after this many tick periods without one completing ...
STALL_MIN_S = 5.0  # ... and at least this many seconds
MAX_ERROR_CHARS = 500  # an error's text in health and logs (a driver's can quote a whole tick)

HealthCheck = Callable[[], dict[str, Any]]


def error_text(exc: BaseException | str) -> str:
    """An error as one bounded line: ``Type: message`` (a string passes as it is)."""
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


@dataclass
class Failure:
    """A run of failures: the first one's times, the last one's time and text."""

    error: str
    first_at: float
    since_wall: datetime
    last_at: float
    count: int = 1


class Health:
    """What the tick loop and the store writer report, and the verdict on it."""

    def __init__(self, clock: Clock, wall: Callable[[], datetime], tick_s: float) -> None:
        self.clock = clock
        self.wall = wall
        self.stall_after_s = max(STALL_TICKS * tick_s, STALL_MIN_S)
        self.checks: dict[str, HealthCheck] = {}
        self.loop_since: float | None = None  # the tick loop's start (None: no loop)
        self.last_tick_at: float | None = None
        self.tick_failure: Failure | None = None  # the last tick raised
        self.store_failure: Failure | None = None  # the latest run of failed writes

    # -- reports from the runtime (its thread)
    def loop_started(self) -> None:
        self.loop_since = self.clock.now()

    def ticked(self) -> None:
        self.last_tick_at = self.clock.now()

    def tick_failed(self, exc: BaseException) -> None:
        self.tick_failure = self._failed(self.tick_failure, exc)

    def tick_ok(self) -> None:
        self.tick_failure = None

    def store_failed(self, exc: BaseException | str) -> None:
        self.store_failure = self._failed(self.store_failure, exc)

    def _failed(self, run: Failure | None, exc: BaseException | str) -> Failure:
        now, text = self.clock.now(), error_text(exc)
        if run is None or now - run.last_at > self.stall_after_s:  # a new run of failures
            return Failure(text, now, self.wall(), now)
        run.error, run.last_at, run.count = text, now, run.count + 1
        return run

    # -- the verdict (request threads)
    def problems(self, loop_alive: bool, stopping: bool) -> list[dict[str, Any]]:
        """Ticks stalled, the last tick raised, the store failed within the stall window."""
        now, out = self.clock.now(), []
        if self.loop_since is not None and not stopping:
            since = max(self.loop_since, self.last_tick_at or self.loop_since)
            age = now - since
            if not loop_alive:
                out.append({"check": "ticks", "message": "the tick loop has stopped",
                            "seconds_since_tick": round(age, 1)})  # fmt: skip
            elif age > self.stall_after_s:
                out.append({"check": "ticks", "message": f"no tick completed for {age:.0f} s "
                            f"(allowed: {self.stall_after_s:g} s)",
                            "seconds_since_tick": round(age, 1)})  # fmt: skip
        tf = self.tick_failure
        if tf is not None:
            out.append({"check": "ticks", "message": "the last tick failed", "error": tf.error,
                        "since": tf.since_wall.isoformat(), "failures": tf.count})  # fmt: skip
        sf = self.store_failure
        if sf is not None and now - sf.last_at <= self.stall_after_s:
            out.append({"check": "store", "message": "the store refused a write "
                        f"{now - sf.last_at:.0f} s ago", "error": sf.error,
                        "since": sf.since_wall.isoformat(), "failures": sf.count})  # fmt: skip
        return out

    def run_checks(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Every registered check's answer, and a problem for each one not ok."""
        results: dict[str, Any] = {}
        problems = []
        for name, fn in list(self.checks.items()):
            try:
                r = dict(fn())
                r["ok"] = bool(r.get("ok"))
            except Exception as exc:  # a broken check is a problem, not a 500
                log.exception("health check %s failed", name)
                r = {"ok": False, "error": error_text(exc)}
            results[name] = r
            if not r["ok"]:
                problems.append({"check": name, **r})
        return results, problems
