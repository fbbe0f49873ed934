"""Starting a session's infusion in tests, now that nobody starts it on its own.

A session waits in its baseline until someone starts the infusion (the pre-infusion
check decides). Tests that need an infusion start it the way a nurse would: the trainee
first; where the check blocks it (a high blood pressure, a HIGH alarm), the instructor
starts it anyway with a reason, so the session follows the protocol's timeline.
"""

from __future__ import annotations

from typing import Any

from vitalsdash.actions import ActionError

REASON = "started on the protocol's schedule for the test"


def start_infusion(rt: Any, bed: str, reason: str = REASON) -> dict[str, Any]:
    """``start_infusion`` on ``bed`` now, through ``rt.submit``; the answer."""
    try:
        return rt.submit(bed, "start_infusion", {}, "trainee")
    except ActionError as exc:
        if exc.code != "pre_infusion_check_failed":
            raise
        return rt.submit(bed, "start_infusion", {"override_reason": reason}, "instructor")


def start_all(rt: Any, beds: Any = None) -> None:
    """Every listed bed (default: every bed waiting in its baseline) starts its infusion."""
    for bed in beds if beds is not None else list(rt.beds):
        view = rt.view(bed)
        if view is not None and view.phase == "baseline" and view.pre_infusion is not None:
            start_infusion(rt, bed)
