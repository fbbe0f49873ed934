"""Who is acting: the three roles, the person behind a request, and the refusal to act.

A ``Principal`` is what the web layer knows of the person (from the login, or the open
demo's one person at the computer). The actor recorded with an action comes from the
principal, never from what a page or a client claims, so a trainee's page cannot record
an action as the instructor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vitalsdash.errors import VitalsdashError

__all__ = ["OPEN_DEMO", "AccessDenied", "Principal", "Role"]


class Role(StrEnum):
    """What a person may do in a class: run it, take part, or watch."""

    INSTRUCTOR = "instructor"
    TRAINEE = "trainee"
    OBSERVER = "observer"


_A_ROLE = {Role.INSTRUCTOR: "the instructor", Role.TRAINEE: "a trainee",
           Role.OBSERVER: "an observer"}  # fmt: skip
_OPEN_DEMO_ACTORS = (Role.TRAINEE.value, Role.INSTRUCTOR.value)
"""The page's role in the open demo: the bedside acts as a trainee, the console as the
instructor."""


class AccessDenied(VitalsdashError):  # noqa: N818  (the contract's name)
    """Someone asked for what their role does not allow; ``words`` say why, as a nurse
    reads it. Answers HTTP 403 (``code`` "forbidden", like a refused action)."""

    status = 403
    code = "forbidden"

    def __init__(self, words: str):
        super().__init__(words)
        self.words = words
        self.message = words

    def as_dict(self) -> dict[str, Any]:
        """The API's answer, shaped like a refused action's."""
        return {"error": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Principal:
    """The person behind a request. ``user_id`` is None only for the open demo, where the
    one person at the computer has the instructor's rights."""

    user_id: int | None
    name: str
    role: Role
    open_demo: bool = False

    def __post_init__(self) -> None:
        try:
            role = Role(self.role)
        except ValueError:
            raise ValueError(f"unknown role {self.role!r}; roles: "
                             f"{', '.join(r.value for r in Role)}") from None  # fmt: skip
        object.__setattr__(self, "role", role)  # a stored "trainee" becomes Role.TRAINEE
        if self.user_id is None and not self.open_demo:
            raise ValueError("a logged-in person has a user id (only the open demo has none)")

    def may(self, what: str) -> bool:
        """Whether this person may do ``what`` (an action kind or a capability)."""
        from vitalsdash.access._matrix import allowed  # the matrix needs Role: no cycle

        return allowed(Role.INSTRUCTOR if self.open_demo else self.role, what)

    def actor_for(self, requested: str | None) -> str:
        """The actor recorded for an action this person takes from a page that acts as
        ``requested`` ("trainee" at the bedside, "instructor" at the console, None: no
        say). Open demo: the page's role (default "trainee"). Logged in: always the
        person's own role; a page asking for another raises :class:`AccessDenied`."""
        if requested is not None and not isinstance(requested, str):
            raise AccessDenied("That action names no one who can do it.")
        if requested == "system":
            raise AccessDenied("That is done by the monitor itself, not by a person.")
        if self.open_demo:
            if requested is None:
                return Role.TRAINEE.value
            if requested in _OPEN_DEMO_ACTORS:
                return requested
            raise AccessDenied("In the open demo you act as a trainee or as the instructor.")
        mine = self.role.value
        if requested is None or requested == mine:
            return mine
        if requested == Role.INSTRUCTOR.value:
            raise AccessDenied(f"You are signed in as {_A_ROLE[self.role]}: only the "
                               "instructor can do that.")  # fmt: skip
        raise AccessDenied(f"You are signed in as {_A_ROLE[self.role]}: you act as "
                           f"{_A_ROLE[self.role]}, not as anyone else.")  # fmt: skip


OPEN_DEMO = Principal(None, "Open demo", Role.INSTRUCTOR, open_demo=True)
"""The person at the computer when the server runs on loopback without logins."""
