"""Who is asking (``vitalsdash.principal``) as the class pages need it: a ``None``
principal is nobody (refused everything), never the open demo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vitalsdash.principal import current_principal

__all__ = ["OPEN_DEMO", "Viewer", "principal", "viewer"]


def principal() -> Any:
    """The server's principal for this request (None: nobody signed in)."""
    return current_principal()


@dataclass(frozen=True, slots=True)
class Viewer:
    """What the class pages may show this person.

    ``instructor``: the class page, every trainee's results and their downloads (the
    ``class_results`` capability); ``trainee``: their own results (``own_results``, with
    an account); ``see_hidden``: the scenario of each session (the instructor's to know).
    """

    user_id: int | None
    name: str
    open_demo: bool = False
    instructor: bool = False
    trainee: bool = False
    see_hidden: bool = False


OPEN_DEMO = Viewer(None, "Open demo", open_demo=True, instructor=True, see_hidden=True)
NOBODY = Viewer(None, "")


def of(p: Any) -> Viewer:
    """A server principal (``access.Principal``) as a :class:`Viewer`."""
    if p is None:
        return NOBODY
    if getattr(p, "open_demo", False):
        return OPEN_DEMO

    def may(what: str) -> bool:
        try:
            return bool(p.may(what))
        except Exception:  # an unknown capability: not allowed
            return False

    uid = getattr(p, "user_id", None)
    return Viewer(
        user_id=None if uid is None else int(uid),
        name=str(getattr(p, "name", "") or ""),
        instructor=may("class_results"),
        trainee=uid is not None and may("own_results"),
        see_hidden=may("see_hidden"),
    )


def viewer() -> Viewer:
    """The person asking now."""
    return of(current_principal())
