"""The person behind a callback, and the commands they send (the actor from the login).

Pages use this to show or hide what a role may not use; the server refuses it anyway
(``vitalsdash.server._access`` for pages and callbacks, the runtime for actions).
"""

from __future__ import annotations

from typing import Any

from vitalsdash.access import OPEN_DEMO, Principal, chair_refusal
from vitalsdash.principal import current_principal
from vitalsdash.runtime import Command, Runtime


def principal() -> Principal:
    """The signed-in person (the open demo when logins are off, or outside a request)."""
    return current_principal() or OPEN_DEMO


def command(kind: str, bed_id: str | None, params: Any, page_actor: str) -> Command:
    """``kind`` as the signed-in person sends it from a page made for ``page_actor``
    (bedside: trainee, console: instructor): the open demo acts in the page's role, a
    signed-in person in their own."""
    who = principal()
    actor = page_actor if who.open_demo else str(who.role)
    return Command(kind, bed_id, params, actor, user_id=who.user_id,
                   user_name=None if who.open_demo else who.name)  # fmt: skip


def watch_only_reason(runtime: Runtime, bed_id: str) -> str | None:
    """Why this person may watch the chair but not act on it (None: they may act)."""
    who = principal()
    if who.open_demo or who.may("instructor_console"):
        return None
    view = runtime.view(bed_id)
    label = view.label if view is not None else bed_id
    return chair_refusal(who, label, runtime.store.chair_user(bed_id))
