"""The bedside's Discharge button to the runtime's ``discharge`` action, as the trainee.

Accepted, the session ends (the bedside tick then shows "Discharged at H:MM:SS"); refused,
the runtime's reasons (the criteria still missing, in the nurse's words) come back for
the page to list; any other refusal comes back as its sentence."""

from __future__ import annotations

from dataclasses import dataclass

from vitalsdash.actions import ActionError
from vitalsdash.runtime import Runtime
from vitalsdash.ui import fmt
from vitalsdash.ui._who import command

__all__ = ["DischargeOutcome", "submit_discharge"]


@dataclass(frozen=True)
class DischargeOutcome:
    ok: bool
    message: str
    reasons: tuple[str, ...] = ()


def submit_discharge(rt: Runtime, bed_id: str, note: str | None) -> DischargeOutcome:
    text = (note or "").strip() or None
    try:
        answer = rt.submit(command("discharge", bed_id, {"note": text}, "trainee"))
    except ActionError as exc:
        reasons = exc.details.get("reasons") or ()
        return DischargeOutcome(False, exc.message, tuple(str(r) for r in reasons))
    return DischargeOutcome(True, f"Discharged at {fmt.clock(float(answer['t_s']))}")
