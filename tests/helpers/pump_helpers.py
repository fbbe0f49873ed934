"""Getting a bed's pump running for a test, whoever starts the infusion.

A session's infusion is started either by the simulated session on the scenario's
schedule or by a person (the ``start_infusion`` action, where the runtime has it). Tests
about the pump need it running at a known time, not who started it.
"""

from __future__ import annotations

from typing import Any

from vitalsdash.actions import ActionError
from vitalsdash.runtime import Command


def start_pump(rt: Any, bed_id: str) -> None:
    """Start ``bed_id``'s infusion now if nobody has (a no-op when the session did)."""
    view = rt.view(bed_id)
    if view.pump is None or view.pump.started_s is not None:
        return
    try:
        rt.submit(Command("start_infusion", bed_id, {}, "instructor"))
    except ActionError as exc:
        if exc.code == "unknown_action":
            return  # the session starts it on its schedule
        rt.submit(Command("start_infusion", bed_id, {"override_reason": "pump test"},
                          "instructor"))  # fmt: skip


def advance_into_infusion(rt: Any, bed_id: str, start_s: int, to_s: int) -> None:
    """Run the clinic to session time ``to_s`` with ``bed_id``'s infusion started at
    ``start_s`` (the scenario's start) or, where a person starts it, one second later."""
    rt.advance(start_s + 1 - int(rt.view(bed_id).t_s))
    start_pump(rt, bed_id)
    assert rt.view(bed_id).pump.state == "running", rt.view(bed_id).pump
    rt.advance(to_s - int(rt.view(bed_id).t_s))
