"""One bed as the pages read it: the runtime's ``BedView`` (plain, immutable data).

Only what a trainee may see: measured values, alarm signals and limits, the pump, the
protocol's readiness. Never the source's truth or the scenario's timeline.
"""

from __future__ import annotations

from vitalsdash.runtime import NIBP_GRACE_S, BedView, Runtime

__all__ = ["NIBP_GRACE_S", "BedView", "bed_view"]


def bed_view(runtime: Runtime, bed_id: str) -> BedView | None:
    """The bed now, or None for an unknown bed id."""
    return runtime.view(bed_id)
