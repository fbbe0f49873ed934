"""A consistent, read-only view of one bed, taken under the runtime's lock.

Only what a trainee may see: measured values, alarm signals and limits, the pump, the
protocol's readiness. Never the source's truth or the scenario's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vitalsdash import protocol as proto
from vitalsdash.alarms import Signals
from vitalsdash.runtime import Runtime

NIBP_GRACE_S = 60.0
"""An NIBP reading older than the program interval plus this is shown greyed (alarms.md)."""


@dataclass(frozen=True, slots=True)
class BedView:
    bed_id: str
    label: str
    session_id: int | None = None
    status: str | None = None
    phase: str | None = None
    t_s: float = 0.0
    latest: dict[str, tuple[float, float, str]] | None = None
    last_nibp: dict[str, tuple[float, float]] | None = None
    signals: Signals | None = None
    limits: dict[str, float | None] | None = None
    pump: Any = None
    nibp_interval_s: float | None = None
    baseline: Any = None
    readiness: Any = None

    def value(self, channel: str) -> float | None:
        """The current value of a channel (None when there is none)."""
        entry = (self.latest or {}).get(channel)
        return None if entry is None else entry[1]

    def nibp_age_s(self) -> float | None:
        entry = (self.last_nibp or {}).get("NIBP_SYS")
        return None if entry is None else max(0.0, self.t_s - entry[0])

    def nibp_stale(self) -> bool:
        """The last NIBP reading is older than the interval + 60 s (or there is none)."""
        age = self.nibp_age_s()
        if age is None:
            return True
        return self.nibp_interval_s is not None and age > self.nibp_interval_s + NIBP_GRACE_S


def bed_view(runtime: Runtime, bed_id: str) -> BedView | None:
    """The bed now, or None for an unknown bed id."""
    with runtime.lock:
        bed = runtime.beds.get(bed_id)
        if bed is None:
            return None
        label = bed.config.display_name
        s = bed.session
        if s is None:
            return BedView(bed_id, label)
        now = float(s.t_s)
        interval = None
        if bed.protocol is not None:
            try:
                interval = proto.nibp_interval_s(bed.protocol, s.phase)
            except (KeyError, ValueError):
                interval = None
        return BedView(
            bed_id=bed_id,
            label=label,
            session_id=s.session_id,
            status=s.status,
            phase=s.phase.value,
            t_s=now,
            latest=dict(s.latest),
            last_nibp=dict(s.last_nibp),
            signals=s.engine.signals(now),
            limits=s.engine.limits(),
            pump=s.source.pump(),
            nibp_interval_s=interval,
            baseline=s.baseline,
            readiness=bed.readiness,
        )
