"""Who may do what: every action kind and every capability, with the roles allowed.

One table, written out in full, so a new action is refused to everyone until someone
decides who may do it (``allowed`` is False for a kind it does not know). The runtime's
own actor, "system", is not a role: the action validation lets it through itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from vitalsdash.access._roles import Role

if TYPE_CHECKING:
    from vitalsdash.access._roles import Principal

__all__ = [
    "ACTION_ROLES",
    "CAPABILITY_ROLES",
    "allowed",
    "chair_refusal",
    "page_capability",
    "refusal",
]

_BOTH = frozenset({Role.INSTRUCTOR, Role.TRAINEE})
_INSTRUCTOR = frozenset({Role.INSTRUCTOR})
_ALL = frozenset(Role)

_ACTION_WORDS: dict[str, str] = {
    # the patient
    "pause_pump": "pause the pump",
    "resume_pump": "restart the pump",
    "set_rate": "change the infusion rate",
    "stop_infusion": "stop the infusion",
    "give_antihypertensive": "give an antihypertensive",
    "give_antiemetic": "give an antiemetic",
    "oxygen_on": "start oxygen",
    "oxygen_off": "stop oxygen",
    "reposition": "reposition the patient",
    "reassure": "reassure the patient",
    "nibp_start": "take a blood pressure",
    # the alarms
    "acknowledge": "acknowledge an alarm",
    "acknowledge_all": "acknowledge the alarms",
    "pause_audio": "silence the alarms",
    "resume_audio": "turn the alarm sound back on",
    "reset": "reset an alarm",
    "set_limit": "change an alarm limit",
    "set_limits": "change the alarm limits",
    "alarm_off": "turn an alarm off",
    "alarm_on": "turn an alarm back on",
    "auto_limits": "set the alarm limits from the patient's values",
    # the session
    "chart": "chart an observation",
    "start_infusion": "start the infusion",
    "discharge": "discharge the patient",
    "start_session": "start a session",
    "end_session": "end a session",
    "resume_session": "resume an interrupted session",
    "close_session": "close an interrupted session",
    "inject_event": "inject events",
    "create_patient": "create a patient",
    # the class and the simulation
    "set_speed": "change the simulation speed",
    "pause_simulation": "pause the simulation",
    "resume_simulation": "resume the simulation",
    "assign_chair": "assign chairs",
    "new_class_code": "make a new class code",
}
"""Each action kind as the nurse says it: "Only the instructor can <words>."."""

_INSTRUCTOR_ACTIONS = frozenset({
    "start_session", "end_session", "resume_session", "close_session", "inject_event",
    "create_patient", "set_speed", "pause_simulation", "resume_simulation", "assign_chair",
    "new_class_code",
})  # fmt: skip

ACTION_ROLES: Mapping[str, frozenset[Role]] = MappingProxyType({
    kind: _INSTRUCTOR if kind in _INSTRUCTOR_ACTIONS else _BOTH for kind in _ACTION_WORDS
})  # fmt: skip
"""Every action kind -> the roles that may do it. Observers act on nothing."""

CAPABILITY_ROLES: Mapping[str, frozenset[Role]] = MappingProxyType({
    "monitor": _ALL,  # central station, bedside pages, /api/beds, live streams, waves
    "history": _BOTH,  # /api/sessions..., /api/patients...
    "see_hidden": _INSTRUCTOR,  # concentrations, true scores, scripted events, scenario
    "instructor_console": _INSTRUCTOR,
    "settings": _BOTH,  # the alarm limits page
    "review": _INSTRUCTOR,  # debrief review, report, exports
    "class_results": _INSTRUCTOR,  # the class table, each trainee's page, chairs, code
    "own_results": frozenset({Role.TRAINEE}),  # /results/me
})  # fmt: skip
"""Every page-level capability -> the roles that have it."""


def allowed(role: Role | str, what: str) -> bool:
    """Whether ``role`` may do ``what`` (an action kind or a capability); anything
    unknown (role or what, or not text at all) is refused."""
    if not isinstance(role, str) or not isinstance(what, str):
        return False
    try:
        role = Role(role)
    except ValueError:
        return False
    roles = ACTION_ROLES.get(what)
    if roles is None:
        roles = CAPABILITY_ROLES.get(what, frozenset())
    return role in roles


_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""An id in a page address: a bed id, a session or user number."""


def page_capability(path: str) -> str | None:
    """The capability a page address needs, or None for an address that is not a page.

    ``path`` is the path within the app ("/bed/chair1"), as the router sees it. Anything
    odd (a double slash, a dot segment, another case, a character no id has) is None,
    never "monitor": the caller refuses what it cannot place."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 256:
        return None
    if path == "/":
        return "monitor"
    parts = path[1:].split("/")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one final slash: "/instructor/" is "/instructor"
    if not all(_SEGMENT.fullmatch(p) for p in parts):
        return None  # "", ".", "..", "%2e", "\\": nothing a page address holds
    match parts:
        case ["central"] | ["404"] | ["bed" | "bedside", _]:
            return "monitor"
        case ["instructor", *_]:
            return "instructor_console"
        case ["settings"]:
            return "settings"
        case ["review"] | ["review", _]:
            return "review"
        case ["class", *_]:
            return "class_results"
        case ["results", "me"]:
            return "own_results"
        case ["results", _]:
            return "class_results"
    return None


_OBSERVER_WORDS = "Observers watch; they cannot act."


def refusal(actor: str, kind: str) -> str | None:
    """Why ``actor`` may not do the action ``kind``, in the nurse's words; None if they
    may. The runtime's "system" actor is no role: refused here, let through by the
    action validation."""
    if allowed(actor, kind):
        return None
    if actor == Role.OBSERVER:
        return _OBSERVER_WORDS
    words = _ACTION_WORDS.get(kind) if isinstance(kind, str) else None
    if words is None:
        return "The monitor does not know that action."
    if actor == Role.TRAINEE:
        return f"Only the instructor can {words}."
    return f"Only the instructor or a trainee can {words}."


def chair_refusal(principal: Principal, bed_label: str,
                  chair_user: tuple[int, str] | None) -> str | None:  # fmt: skip
    """Why ``principal`` may not act on the chair ``bed_label`` ("Chair 2"), assigned to
    ``chair_user`` (user id, name) or to no one; None if they may. A logged-in trainee
    acts only on their own chair; the instructor and the open demo act on any."""
    if principal.open_demo or principal.role == Role.INSTRUCTOR:
        return None
    if principal.role != Role.TRAINEE:
        return _OBSERVER_WORDS
    if chair_user is None:
        return f"{bed_label} is not assigned to you: ask the instructor to assign it."
    user_id, name = chair_user
    if user_id == principal.user_id:
        return None
    return f"{bed_label} is assigned to {name}: you can watch it, not act on it."
