"""What events and actions share: a time ``at``, and the choice of model by ``kind``.

Both ``[[events]]`` and ``[[actions]]`` are lists of tables told apart by ``kind``; one
dispatcher serves both so their errors read alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from pydantic import PrivateAttr, ValidationInfo
from pydantic_core import PydanticCustomError

from ._time import At, Timeline
from ._validation import _error, _Model, _raise


class _Scheduled(_Model):
    """Something at a point in time: ``at`` is resolved against the timeline on loading."""

    at: At
    _at_s: float | None = PrivateAttr(default=None)
    _session_end_s: float | None = PrivateAttr(default=None)

    def _resolve(self, timeline: Timeline) -> float:
        self._at_s = timeline.resolve(self.at)
        self._session_end_s = timeline.end_s
        return self._at_s

    @property
    def at_s(self) -> float:
        """Seconds from the session start."""
        if self._at_s is None:
            raise RuntimeError("not resolved: load the scenario to resolve times")
        return self._at_s


def _dispatcher(
    classes: dict[str, type[_Scheduled]], what: str, table: str
) -> Callable[[Any, ValidationInfo], _Scheduled]:
    """A validator choosing the model by ``kind``: a discriminated union whose errors keep
    plain TOML keys (pydantic's own would insert the tag into the key path)."""
    known = ", ".join(classes)

    def validate(value: Any, info: ValidationInfo) -> _Scheduled:
        if isinstance(value, tuple(classes.values())):
            return value
        if not isinstance(value, dict):
            raise PydanticCustomError("not_table", f"must be a table, written as [[{table}]]")
        if "kind" not in value:
            _raise([_error(("kind",), f"required key is missing; known {what} kinds: {known}", {})])
        kind = value["kind"]
        cls = classes.get(kind) if isinstance(kind, str) else None
        if cls is None:
            close = difflib.get_close_matches(str(kind), list(classes), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            _raise([_error(("kind",), f"unknown {what} kind; {hint}known: {known}", kind)])
        return cls.model_validate(value, context=info.context)

    return validate
