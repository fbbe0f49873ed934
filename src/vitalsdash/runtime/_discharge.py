"""Discharge: the session ends when the protocol's discharge readiness is met, not before.

Private to :mod:`vitalsdash.runtime`. The readiness a discharge is judged by is the one the
bedside shows (``BedSession.readiness_at``: everything before the current second). A
refusal is a 409 ``discharge_criteria_not_met`` whose ``reasons`` are the missing criteria
in the nurse's words, and changes nothing. An accepted discharge ends the session with
status ``discharged``; when (session time and wall clock), who and the note are kept on
the session and stored with its row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from vitalsdash.actions import ActionError

if TYPE_CHECKING:
    from vitalsdash.runtime._bed import BedSession

NOT_MET = "discharge_criteria_not_met"
NO_PROTOCOL = "no discharge criteria: this session's protocol is not known"


def discharge(s: BedSession, params: dict[str, Any], actor: str, t: float,
              wall: datetime) -> None:  # fmt: skip
    """Discharge ``s`` at session second ``t`` if ready; else ActionError (nothing changed)."""
    r = s.readiness_at(t)
    missing = [NO_PROTOCOL] if r is None else list(r.missing)
    if missing:
        raise ActionError(NOT_MET, "Not ready for discharge: " + "; ".join(missing),
                          status=409, details={"reasons": missing})  # fmt: skip
    s.status = "discharged"
    s.discharge = {"t_s": float(t), "wall": wall, "actor": actor, "note": params.get("note")}


def discharge_update(s: BedSession) -> dict[str, Any]:
    """The session row's discharge columns (none before a discharge)."""
    d = s.discharge
    if d is None:
        return {}
    return {"discharged_t_s": d["t_s"], "discharged_at": d["wall"],
            "discharged_by": d["actor"], "discharge_note": d["note"]}  # fmt: skip


def discharge_answer(s: BedSession) -> dict[str, Any]:
    """What the API answers to an accepted discharge (besides ``ok`` and ``t_s``)."""
    d = s.discharge or {}
    wall = d.get("wall")
    return {"status": s.status, "discharged_at": None if wall is None else wall.isoformat(),
            "discharged_by": d.get("actor"), "note": d.get("note")}  # fmt: skip
