"""Starting the infusion: the pre-infusion check before it, the override, and the log.

A session waits in its baseline until someone starts the infusion (the simulator no
longer starts it on its own schedule). ``start_infusion`` (trainee or instructor) first
runs the protocol's pre-infusion check on the live data at that second
(``BedSession.pre_infusion_check``):

- "pass": the infusion starts;
- "caution": it starts too; the check's reasons are logged with the action (the bedside
  asks the nurse to confirm before it sends the action);
- "blocked": refused with HTTP 409, error ``pre_infusion_check_failed``, the message and
  the check's ``reasons`` (and ``status``, ``items``) in the answer. The refused attempt
  is logged (an action row, outcome ``refused``) so the debrief can show it. An
  instructor may start anyway with ``override_reason`` (required, non-empty text, as a
  chart note); the override and its reason are logged with the action.

A bed configured ``auto_start`` starts by itself (actor ``system``) at the first second
its check passes; a caution or a block holds it, and the bed says why
(``BedSession.hold_reason``, the view's ``infusion_hold_reason``). Only a simulated
patient's infusion can be started from here: a replayed recording and a real device
run their own.

Every start is one action row ``start_infusion`` with ``params``: ``check`` (its
status), ``reasons`` (its words), ``override_reason`` (instructor, when given) and
``auto`` (a bed that started by itself); the rows with outcome ok are applied again when
an interrupted session is rebuilt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vitalsdash.actions import ActionError
from vitalsdash.adapters import SourceActionError

if TYPE_CHECKING:
    from vitalsdash.runtime._bed import BedSession

__all__ = ["KIND", "BlockedStartError", "prepare", "replay", "start_by_itself", "submit"]

KIND = "start_infusion"
BLOCKED = "pre_infusion_check_failed"


class BlockedStartError(Exception):
    """A start the check blocked: its row is logged and must be stored before the answer."""

    def __init__(self, error: ActionError) -> None:
        super().__init__(error.message)
        self.error = error


def prepare(s: BedSession, cfg: Any) -> None:
    """A new session of bed config ``cfg``: its patient's screening answers (the source's,
    if it has any), whether it starts by itself (``auto_start``: simulated patients
    only), and its check at t = 0."""
    screening = getattr(s.source, "screening", None)
    s.screening = screening() if callable(screening) else None
    s.auto_start = bool(getattr(cfg, "auto_start", False)) and callable(
        getattr(s.source, "start_infusion", None)
    )
    s.pre_infusion = s.pre_infusion_check(float(s.t_s))


def _row(s: BedSession, t: float, actor: str, params: dict[str, Any], outcome: str = "ok",
         reason: str | None = None,
         who: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"session_id": s.session_id, "t_s": t, "actor": actor, "kind": KIND,
            "params": params, "outcome": outcome, "reason": reason, **(who or {})}  # fmt: skip


def _start_source(s: BedSession, actor: str) -> dict[str, Any]:
    """Start the source's dosing; what the row records of it: ``route`` "intranasal" for a
    nasal spray (its log lines then say a dose was given, not an infusion started)."""
    starter = getattr(s.source, "start_infusion", None)
    if starter is None:
        raise ActionError("not_possible", "this chair's infusion is not run by the monitor "
                          "(a replayed recording or a real device)", status=409)  # fmt: skip
    try:
        given = starter(actor)
    except SourceActionError as exc:
        raise ActionError("not_possible", str(exc), status=409) from None
    return {"route": "intranasal"} if isinstance(given, dict) and "dose_mg" in given else {}


def _check_words(check: Any) -> dict[str, Any]:
    return {"check": check.status, "reasons": list(check.reasons)}


def submit(s: BedSession, clean: dict[str, Any], actor: str, t: float,
           who: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """``start_infusion`` now, for ``actor``, with validated params (``override_reason``);
    ``who``: the person's columns of the row (user_id, user_name), refused or not.

    Raises ActionError changing nothing, or :class:`BlockedStartError` having logged the refused
    attempt (the caller stores it, then answers the error)."""
    override = clean.get("override_reason")
    if override is not None and actor != "instructor":
        raise ActionError("forbidden", "only an instructor may start the infusion despite "
                          "the pre-infusion check (override_reason)", status=403,
                          words="Only the instructor can start the infusion despite the "
                          "pre-infusion check.")  # fmt: skip
    if not s.waiting_to_start():
        started = s.start_s is not None or s.phase.value != "baseline"
        raise ActionError("conflict", "the infusion has already been started" if started
                          else "the session is not waiting to start", status=409)  # fmt: skip
    if getattr(s.source, "start_infusion", None) is None:
        _start_source(s, actor)  # the not-possible answer, before any check or log
    check = s.pre_infusion_check(t)
    if check is None:  # no protocol to judge by: nothing to check
        params: dict[str, Any] = {}
    elif check.status == "blocked" and override is None:
        blocked = [r for r, i in zip(check.reasons, _blocked_first(check), strict=True) if i]
        message = "Not started: the pre-infusion check says " + "; ".join(blocked)
        if actor == "instructor":
            message += " (an instructor may start it anyway with a reason)"
        s.pending.actions.append(_row(s, t, actor, _check_words(check), "refused", message,
                                      who))  # fmt: skip
        raise BlockedStartError(ActionError(BLOCKED, message, status=409, details={
            "status": check.status, "reasons": list(check.reasons),
            "items": [[i.name, i.status, i.text] for i in check.items]}))  # fmt: skip
    else:
        params = _check_words(check)
    if override is not None:
        params["override_reason"] = override
    params.update(_start_source(s, actor))
    s.start_s = t
    s.pending.actions.append(_row(s, t, actor, params, who=who))
    out: dict[str, Any] = {"ok": True, "t_s": t}
    if check is not None:
        out.update(check=check.status, reasons=list(check.reasons))
    if override is not None and check is not None and check.status == "blocked":
        out["override"] = True
    return out


def _blocked_first(check: Any) -> list[bool]:
    """Per reason, whether it comes from a blocked item (``reasons`` lists those first)."""
    n = sum(1 for i in check.items if i.status == "blocked")
    return [k < n for k in range(len(check.reasons))]


def start_by_itself(s: BedSession, check: Any, now: float) -> None:
    """An ``auto_start`` bed whose check passed at ``now``: the system starts it."""
    route = _start_source(s, "system")
    s.start_s = now
    s.pending.actions.append(_row(s, now, "system", {"auto": True, **_check_words(check),
                                                     **route}))  # fmt: skip


def replay(s: BedSession, actor: str, t: float) -> None:
    """A logged start applied again (rebuilding an interrupted session): no check."""
    _start_source(s, actor)
    s.start_s = t
