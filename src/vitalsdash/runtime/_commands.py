"""What a person asks the runtime to do: a command, as plain data (``Runtime.submit``).

A command names its bed (None for the clinic's simulation clock), its kind (an action of
``vitalsdash.actions``, or ``set_limits``), its parameters and who asks. The answer is a
plain dict (``{"ok": True, ...}``); a refusal raises ``ActionError`` (code, message, HTTP
status) and changes nothing. ``user_id`` and ``user_name`` say which person asks, as
logged in (None: no login, the open demo, the system): every action row the command
writes carries them, so the debrief can name who did what. ``set_limits`` is all or
nothing: its edits are applied to the bed's alarm engine in an order that keeps each one
valid, and stored together (each as a ``set_limit`` action), or none is, with the
engine's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vitalsdash.runtime._codec import Plain

SET_LIMITS = "set_limits"


@dataclass(frozen=True, slots=True)
class Command(Plain):
    kind: str
    bed_id: str | None = None
    params: Any = None
    actor: str = "trainee"
    user_id: int | None = None
    user_name: str | None = None

    def who(self) -> dict[str, Any]:
        """The person's columns of each action row this command writes."""
        return {"user_id": self.user_id, "user_name": self.user_name}


@dataclass(frozen=True, slots=True)
class LimitEdit(Plain):
    """One cell of the limits table: ``which`` is critical_low, low, high or critical_high."""

    channel: str
    which: str
    value: float

    def params(self) -> dict[str, Any]:
        return {"channel": self.channel, "which": self.which, "value": self.value}


def set_limits(bed_id: str, edits: list[LimitEdit], actor: str, user_id: int | None = None,
               user_name: str | None = None) -> Command:  # fmt: skip
    """The all-or-nothing command for several limit edits of one bed."""
    return Command(SET_LIMITS, bed_id, {"limits": [e.params() for e in edits]}, actor,
                   user_id, user_name)  # fmt: skip
