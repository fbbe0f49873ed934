"""How the infusion was started: by whom, when, what the pre-infusion check said, the
attempts it refused, and an instructor's override with its reason.

Private to :mod:`vitalsdash.debrief`. Read from the session's ``start_infusion`` actions
(``runtime/_infusion_start``: params ``check``, ``reasons``, ``override_reason``,
``auto``; a refused attempt has outcome ``refused`` and the answer as its reason), else,
for a recording or a session from before the check existed, from the first infusion
phase (started on the scenario's schedule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vitalsdash.debrief._types import Action, person

KIND = "start_infusion"


@dataclass(frozen=True, slots=True)
class StartAttempt:
    """One ``start_infusion``: who (``user_name`` when logged in), when, its outcome
    (ok | refused) and the check then."""

    t_s: float
    actor: str
    outcome: str
    check: str | None = None  # pass | caution | blocked (None: not recorded)
    reasons: tuple[str, ...] = ()
    override_reason: str | None = None
    auto: bool = False
    user_name: str | None = None

    @property
    def by(self) -> str:
        """Who, as the debrief names them: "Ana Lima (trainee)", or the role."""
        return person(self.actor, self.user_name)

    @property
    def overridden(self) -> bool:
        """Started by an instructor despite a blocked check."""
        return self.outcome == "ok" and self.check == "blocked" and bool(self.override_reason)


@dataclass(frozen=True, slots=True)
class InfusionStart:
    """The start of the infusion in one session. ``started`` None: never started (or, with
    ``scheduled_t_s``, started on the scenario's schedule with no check recorded)."""

    started: StartAttempt | None
    refused: tuple[StartAttempt, ...]
    scheduled_t_s: float | None = None

    @property
    def overridden(self) -> bool:
        return self.started is not None and self.started.overridden

    @property
    def t_s(self) -> float | None:
        return self.started.t_s if self.started is not None else self.scheduled_t_s


def _attempt(a: Action) -> StartAttempt:
    p = a.params or {}
    reasons = p.get("reasons") or ()
    override = p.get("override_reason")
    return StartAttempt(
        t_s=float(a.t_s),
        actor=str(a.actor),
        outcome=str(a.outcome),
        check=str(p["check"]) if p.get("check") is not None else None,
        reasons=tuple(str(r) for r in reasons) if isinstance(reasons, list | tuple) else (),
        override_reason=str(override) if override else None,
        auto=bool(p.get("auto", False)),
        user_name=a.user_name,
    )


def infusion_start(
    actions: Sequence[Action], changes: Sequence[tuple[float, str]] = ()
) -> InfusionStart:
    """The start of the infusion from the session's actions (and phase changes)."""
    attempts = [_attempt(a) for a in actions if a.kind == KIND]
    started = next((a for a in attempts if a.outcome == "ok"), None)
    refused = tuple(a for a in attempts if a.outcome != "ok")
    scheduled = None
    if started is None:
        scheduled = next((float(t) for t, p in changes if p == "infusion"), None)
    return InfusionStart(started, refused, scheduled)


def shift_of(session_events: Sequence[Any]) -> tuple[bool, float, float | None]:
    """(started, seconds, when) by which the scenario's events written against the
    infusion moved in a live session: its ``scenario_moved`` note (at the real start:
    none of them came before it), else 0 once an infusion phase was logged (a scheduled
    start, ``when`` None), else not started (those events never happened)."""
    for e in session_events:
        if e.kind == "scenario_moved":
            return True, float((e.detail or {}).get("shift_s", 0.0)), float(e.t_s)
    started = any(e.kind == "phase" and (e.detail or {}).get("phase") == "infusion"
                  for e in session_events)  # fmt: skip
    return started, 0.0, None


__all__ = ["InfusionStart", "StartAttempt", "infusion_start", "shift_of"]
