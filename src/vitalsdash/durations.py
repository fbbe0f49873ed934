"""Session time as people read it: the one ``H:MM:SS`` formatter.

Rules (the monitor, the review pages, the report, the alarm replay and the timeline
figure all follow them):

- ``None`` or NaN is no time at all: ``""``.
- Hours are neither padded nor capped: ``0:05:00``, ``12:00:00``, ``100:00:00``.
- Seconds round to the nearest whole second (Python's ``round``: a half goes to the even
  second), so a stored 59.9996 s reads ``0:01:00``.
- A negative time keeps its sign (``-0:00:05``: before the session's time zero).
- A running clock (``elapsed=True``) shows the whole seconds that have passed instead:
  13.9 s is still ``0:00:13``, and it never shows less than ``0:00:00``.
"""

from __future__ import annotations

import math

__all__ = ["hms"]


def hms(t_s: float | None, *, elapsed: bool = False) -> str:
    """Seconds as ``H:MM:SS`` by the rules above."""
    if t_s is None or (isinstance(t_s, float) and math.isnan(t_s)):
        return ""
    s = max(0, int(t_s)) if elapsed else round(t_s)
    sign = "-" if s < 0 else ""
    s = abs(s)
    return f"{sign}{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
