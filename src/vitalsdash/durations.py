"""Session time and spans as people read them: the one home of their formatting.

:func:`hms` is the one ``H:MM:SS`` formatter. Its rules (the monitor, the review pages,
the report, the alarm replay and the timeline figure all follow them):

- ``None`` or NaN is no time at all: ``""``.
- Hours are neither padded nor capped: ``0:05:00``, ``12:00:00``, ``100:00:00``.
- Seconds round to the nearest whole second (Python's ``round``: a half goes to the even
  second), so a stored 59.9996 s reads ``0:01:00``.
- A negative time keeps its sign (``-0:00:05``: before the session's time zero).
- A running clock (``elapsed=True``) shows the whole seconds that have passed instead:
  13.9 s is still ``0:00:13``, and it never shows less than ``0:00:00``.

A span in words comes in two widths, both rounded to the nearest whole second, ``""`` for
``None``, seconds under a minute, minutes under an hour, then hours and minutes:
:func:`span_in_columns` pads the second unit to two digits so a table's column lines up
(``3 min 05 s``, ``1 h 02 min``); :func:`span_in_words` reads as a sentence and drops a
zero second unit (``2 min 13 s``, ``2 min``, ``1 h``), never below ``0 s``.
"""

from __future__ import annotations

import math

__all__ = ["hms", "span_in_columns", "span_in_words"]


def hms(t_s: float | None, *, elapsed: bool = False) -> str:
    """Seconds as ``H:MM:SS`` by the rules above."""
    if t_s is None or (isinstance(t_s, float) and math.isnan(t_s)):
        return ""
    s = max(0, int(t_s)) if elapsed else round(t_s)
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def span_in_columns(s: float | None) -> str:
    """A span for a table: "45 s", "3 min 05 s" or "1 h 02 min"."""
    if s is None:
        return ""
    s = round(s)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def span_in_words(seconds: float | None) -> str:
    """A span for a sentence: ``133`` -> "2 min 13 s", ``3725`` -> "1 h 2 min"."""
    if seconds is None:
        return ""
    s = max(0, round(float(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m} min {r} s" if r else f"{m} min"
    h, r = divmod(s, 3600)
    m = r // 60
    return f"{h} h {m} min" if m else f"{h} h"
