"""Who is asking: the logged-in person (``vitalsdash.server.current_principal``) as the
class pages need it.

Until the server provides logins, the import fails and everyone is the open demo's
person at the computer, with the instructor's rights. Once it does, the principal decides:
a ``None`` from the server is nobody (refused everything), never the open demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["OPEN_DEMO", "Viewer", "principal", "viewer"]


def _accessor() -> Callable[[], Any] | None:
    """``vitalsdash.server.current_principal``, or None while the server has no logins."""
    try:
        from vitalsdash.server import current_principal  # type: ignore[attr-defined]
    except ImportError:
        return None
    return current_principal


def principal() -> Any:
    """The server's principal for this request; None when the server has no logins."""
    get = _accessor()
    return None if get is None else get()


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
    """The person asking now: the open demo when the server has no logins."""
    get = _accessor()
    return OPEN_DEMO if get is None else of(get())
