"""People's names as they sign up: one line, readable, and the same name typed twice is
the same name.

A name is shown on every page, in the debrief and in the report, and it is unique in the
class (case-insensitively), so what comes in is cleaned the one way: Unicode NFC (an
"é" typed two ways is one name), spaces stripped and collapsed. Invisible characters
(control, format: zero-width spaces, bidirectional overrides) are refused rather than
removed: they would let "Ana Lima" and a look-alike be two people, or a name read
backwards.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_USER_NAME_CHARS", "check_user_name"]

MAX_USER_NAME_CHARS = 64

_REFUSED = {"Cc": "a control character", "Cf": "an invisible formatting character",
            "Cs": "a broken character", "Co": "a private-use character",
            "Cn": "an unassigned character"}  # fmt: skip
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def check_user_name(name: str) -> str:
    """``name`` cleaned (NFC, stripped, one space between words), or ValueError saying
    why it cannot be a person's name."""
    if not isinstance(name, str):
        raise ValueError("A name is text.")
    if len(name) > 4 * MAX_USER_NAME_CHARS:  # never scan a pasted page
        raise ValueError(f"A name can be at most {MAX_USER_NAME_CHARS} characters.")
    for i, c in enumerate(name, start=1):
        if c in _LINE_BREAKS:
            raise ValueError("A name is one line: remove the line break.")
        what = _REFUSED.get(unicodedata.category(c))
        if what is not None:  # tabs too: a name is typed with spaces
            raise ValueError(f"The name contains {what} (U+{ord(c):04X}) at position {i}; "
                             "remove it.")  # fmt: skip
    clean = " ".join(unicodedata.normalize("NFC", name).split())
    if not clean:
        raise ValueError("Give a name; it cannot be empty.")
    if len(clean) > MAX_USER_NAME_CHARS:
        raise ValueError(f"A name can be at most {MAX_USER_NAME_CHARS} characters "
                         f"(this one has {len(clean)}).")  # fmt: skip
    return clean
