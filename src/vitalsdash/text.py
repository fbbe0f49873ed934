"""Person-typed text: what may come in, and how it goes out into charts.

In: no control characters (a NUL breaks PostgreSQL, an escape sequence a terminal), no
lone surrogates (not encodable as UTF-8), no bidirectional overrides (they make a note
read backwards), and a length cap per field. A chart note may hold line breaks and tabs.

Out: Plotly renders a subset of HTML in hover text and annotations (``<a href>``,
``<span style>``), so every text a person typed is escaped with :func:`plotly_text`
before it goes into a figure; Plotly decodes ``&lt;`` back to a visible ``<``.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

__all__ = ["MAX_NAME_CHARS", "MAX_NOTE_CHARS", "NoteText", "ShortText", "plotly_text"]

_BIDI = "\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}\ud800-\udfff]")

MAX_NOTE_CHARS = 500
"""A chart note: a few sentences."""
MAX_NAME_CHARS = 64
"""An alarm condition, a channel, a catalogue name, an event's free text."""


def control_problem(text: str, multiline: bool = False) -> str | None:
    """Why ``text`` may not be stored, or None."""
    bad = (_MULTI_LINE if multiline else _ONE_LINE).search(text)
    if bad is None:
        return None
    allowed = " (line breaks and tabs are fine)" if multiline else ""
    return (f"contains the control character U+{ord(bad.group()):04X} at position "
            f"{bad.start() + 1}; remove it{allowed}")  # fmt: skip


def _one_line(text: str) -> str:
    why = control_problem(text)
    if why:
        raise ValueError(why)
    return text


def _multi_line(text: str) -> str:
    why = control_problem(text, multiline=True)
    if why:
        raise ValueError(why)
    return text


ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_CHARS), AfterValidator(_one_line)
]
"""A name-like value: one line, at most MAX_NAME_CHARS characters."""
NoteText = Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARS), AfterValidator(_multi_line)]
"""A chart note: line breaks allowed, at most MAX_NOTE_CHARS characters."""


def plotly_text(value: Any) -> str:
    """``value`` as text for a Plotly hover label or annotation: tags shown, not run."""
    return html.escape("" if value is None else str(value), quote=False)
